"""`factcheck spot`: the checkable sentences of an article, ranked, or as claim drafts.

It reads a file, stdin or a URL (through the verification fetcher, with its SSRF guard and size
caps) and writes nothing: drafts go to stdout for an editor to finish and import by hand.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from factcheck.cli.common import JSON_OPTION, print_json, say, state, transaction
from factcheck.cli.output import print_table

if TYPE_CHECKING:
    from factcheck.spotting.spot import Spotted

LANGS = ("auto", "en", "zh")
EXTENSION_KINDS = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html"}
NO_DATABASE = "no database: not checked against known claims"


def spot(
    ctx: typer.Context,
    target: str = typer.Argument(..., metavar="FILE|URL|-", help="A file, a URL, or - for stdin."),
    lang: str = typer.Option("auto", "--lang", help="auto (per sentence), en or zh."),
    top: int | None = typer.Option(None, "--top", min=1, metavar="N", help="Only the N best."),
    as_json: bool = JSON_OPTION,
    as_toml: bool = typer.Option(False, "--toml", help="Print claim drafts (TOML) on stdout."),
    speaker: str | None = typer.Option(None, "--speaker", help="Who said it (for the drafts)."),
    said_on: str | None = typer.Option(
        None, "--said-on", metavar="YYYY-MM-DD", help="When it was said: drafts, due dates."
    ),
    said_where: str | None = typer.Option(
        None, "--said-where", metavar="URL", help="Where it was said (for the drafts)."
    ),
) -> None:
    """List the checkable sentences of FILE|URL|- (English or Chinese), ranked, with their type,
    figures, score and a suggested claim; --toml prints claim drafts that import refuses until
    an editor gives each a source and removes `draft = true`."""
    from factcheck.declarations.fields import check_date, check_text, check_url
    from factcheck.errors import ValidationError
    from factcheck.spotting import drafts
    from factcheck.spotting.sentences import read_document
    from factcheck.spotting.spot import spot as find

    if lang not in LANGS:
        raise ValidationError(f"--lang: expected auto, en or zh, got {lang!r}")
    if as_json and as_toml:
        raise ValidationError("--json and --toml: give one or the other")
    day = check_date(said_on, "said_on") if said_on is not None else None
    where = check_url(said_where, "said_where") if said_where else None
    who = check_text(speaker, "speaker", max_len=200) if speaker is not None else None
    raw, kind = _read_input(ctx, target)
    spotted = find(read_document(raw, kind=kind), lang=lang, said_on=day, top=top)
    known = _known(ctx, spotted) if spotted else {}
    if as_toml:
        text = drafts.drafts_toml(spotted, speaker=who, said_on=day, said_where=where, known=known)
        sys.stdout.write(text)
    elif as_json:
        print_json([_as_json(s, known.get(i)) for i, s in enumerate(spotted)])
    else:
        _table(spotted, known)
    if not spotted:
        say("no checkable sentence found")


def _read_input(ctx: typer.Context, target: str) -> tuple[str, str]:
    """The input's text and kind (text, markdown or html); empty or binary input is refused."""
    from factcheck.errors import ValidationError

    content_type: str | None = None
    encoding = "utf-8-sig"
    if "://" in target:
        body, content_type, fetched_encoding = _fetch(ctx, target)
        encoding = fetched_encoding or encoding
    elif target == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            body = Path(target).read_bytes()
        except OSError as exc:
            raise ValidationError(f"{target}: cannot read: {exc.strerror}") from None
    name = "stdin" if target == "-" else target
    if b"\x00" in body:
        raise ValidationError(f"{name}: binary content, not text")
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise ValidationError(f"{name}: not text (cannot decode it as {encoding})") from None
    if not text.strip():
        raise ValidationError(f"{name}: empty input, nothing to spot")
    return text, _kind(target, content_type, text)


def _kind(target: str, content_type: str | None, text: str) -> str:
    """From the file extension, else the content type, else a look at the first characters."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    suffix = Path(path.rsplit("/", 1)[-1]).suffix.lower()
    if suffix in EXTENSION_KINDS:
        return EXTENSION_KINDS[suffix]
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media in ("text/html", "application/xhtml+xml"):
        return "html"
    if media in ("text/markdown", "text/x-markdown"):
        return "markdown"
    head = text.lstrip()[:15].lower()
    return "html" if head.startswith(("<!doctype html", "<html")) else "text"


def _fetch(ctx: typer.Context, url: str) -> tuple[bytes, str | None, str | None]:
    """The page through the run's fetcher: same SSRF guard, robots, size caps and timeouts."""
    from factcheck.declarations.fields import check_url
    from factcheck.domain import SourceFormat
    from factcheck.fetching.fetcher import Fetcher

    checked = check_url(url, "url", schemes=("http", "https", "file"))
    html = Path(checked.split("?", 1)[0]).suffix.lower() not in (".md", ".markdown", ".txt")
    with Fetcher(state(ctx).settings) as fetcher:
        fetched = fetcher.fetch(checked, fmt=SourceFormat.HTML if html else SourceFormat.TEXT)
    return fetched.body, fetched.content_type, fetched.encoding


def _known(ctx: typer.Context, spotted: list[Spotted]) -> dict[int, tuple[str, str | None]]:
    """Spotted sentences that are stored claims, when there is a database to ask."""
    from factcheck.errors import FactcheckError
    from factcheck.spotting.drafts import known_claims

    try:
        state(ctx).open()
    except FactcheckError:
        say(NO_DATABASE)
        return {}
    from sqlmodel import select

    from factcheck.storage import verdicts
    from factcheck.storage.models import Claim

    with transaction(ctx) as session:
        claims = list(session.exec(select(Claim)))
        standing = verdicts.effective_verdicts(session=session)
        stored = [
            (c.key, c.statement, standing[c.id].label if c.id in standing else None) for c in claims
        ]
    return known_claims(spotted, stored)


def _known_text(known: tuple[str, str | None] | None) -> str | None:
    return None if known is None else f"{known[0]} ({known[1] or 'no verdict'})"


def _table(spotted: list[Spotted], known: dict[int, tuple[str, str | None]]) -> None:
    columns = ["rank", "line", "type", "score", "figures", "sentence", "suggested kind", "known"]
    print_table(
        columns,
        [
            (
                rank,
                s.sentence.line,
                s.claim_type,
                f"{s.score:.2f}",
                "; ".join(s.figures) or None,
                s.sentence.text,
                s.suggestion.kind,
                _known_text(known.get(rank - 1)),
            )
            for rank, s in enumerate(spotted, start=1)
        ],
    )


def _as_json(s: Spotted, known: tuple[str, str | None] | None) -> dict[str, Any]:
    hint = s.suggestion
    due: date | None = hint.due
    return {
        "sentence": s.sentence.text,
        "line": s.sentence.line,
        "start": s.sentence.start,
        "end": s.sentence.end,
        "lang": s.sentence.lang,
        "type": s.claim_type,
        "types": list(s.types),
        "figures": list(s.figures),
        "score": s.score,
        "features": {name: weight for name, weight in s.features},
        "suggestion": {
            "kind": hint.kind,
            "expected": hint.expected,
            "unit": hint.unit,
            "due": due.isoformat() if due else None,
        },
        "known": None if known is None else {"key": known[0], "label": known[1]},
    }


def register(app: typer.Typer) -> None:
    app.command("spot")(spot)
