"""Claim drafts: spotted sentences as `[[claim]]` entries an editor finishes, never imports as is.

Each draft carries `draft = true`, which `import` refuses until the editor has given it a source
(`[[claim.evidence]]`) and removed the mark. A sentence that is already a stored claim is a
comment naming that claim, not a second draft.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from factcheck.declarations.inputs import validate_claim
from factcheck.errors import ValidationError
from factcheck.normalising.quantities import parse_quantities
from factcheck.spotting.spot import Spotted

END_MARKS = "。！？!?.…；;"  # what may end a sentence and not the stored statement
KEY_WORDS = 6  # words of the sentence in a draft's key
EVIDENCE_HINT = (
    "# [[claim.evidence]]  (required: import refuses a claim without a source while it is a draft)",
    '# source = ""        # the key of a [[source]] where this can be checked',
    '# rule_kind = "css"  # css, json_path or regex',
    '# rule = ""',
)


def squash(text: str) -> str:
    """Whitespace-normalised text, the form statements are compared in.

    >>> squash("  405B\\n parameters ")
    '405B parameters'
    """
    return " ".join(text.split())


def _bare(text: str) -> str:
    """The squashed text without the final stop, which a stored statement often drops.

    >>> _bare("我们发布了三个模型。 ")
    '我们发布了三个模型'
    """
    return squash(text).rstrip(END_MARKS).rstrip()


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; DEL must be escaped too).

    >>> toml_string('say "4050 亿"')
    '"say \\\\"4050 亿\\\\""'
    """
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def draft_key(spotted: Spotted) -> str:
    """A readable key: the claim type and the sentence's first ASCII words (or its line).

    >>> from factcheck.spotting.sentences import Sentence
    >>> from factcheck.spotting.spot import Suggestion
    >>> s = Sentence("我们发布了 4050 亿参数的 Llama 3.1 模型。", 7, 0, 26, "zh")
    >>> draft_key(Spotted(s, "quantity", (), (), 0.5, (), Suggestion(None, None, None, None)))
    'quantity-4050-llama-3-1'
    """
    words = re.findall(r"[a-z0-9]+", spotted.sentence.text.lower())[:KEY_WORDS]
    tail = "-".join(words) if words else f"line-{spotted.sentence.line}"
    return f"{spotted.claim_type}-{tail}"[:100].rstrip("-")


def known_claims(
    spotted: Sequence[Spotted], stored: Iterable[tuple[str, str, str | None]]
) -> dict[int, tuple[str, str | None]]:
    """Which spotted sentences (by index) are stored claims: (key, statement, label) rows whose
    whitespace-normalised statement (final stop aside) equals, contains or is contained in the
    sentence."""
    claims = [(key, _bare(statement), label) for key, statement, label in stored]
    found: dict[int, tuple[str, str | None]] = {}
    for index, item in enumerate(spotted):
        text = _bare(item.sentence.text)
        for key, statement, label in claims:
            if statement and text and (statement in text or text in statement):
                found[index] = (key, label)
                break
    return found


def drafts_toml(
    spotted: Sequence[Spotted],
    *,
    speaker: str | None,
    said_on: date | None,
    said_where: str | None,
    known: Mapping[int, tuple[str, str | None]],
) -> str:
    """The drafts of `spotted` (best first) in the declaration format, one `[[claim]]` each."""
    lines = [
        "# Claim drafts from `factcheck spot`: each is marked draft = true, which import refuses.",
        "# To finish one: check the statement, give it a [[claim.evidence]] source, then remove",
        "# draft = true; `factcheck import --dry-run FILE` says what is still missing.",
    ]
    seen: set[str] = set()
    for index, item in enumerate(spotted):
        lines.append("")
        if index in known:
            key, label = known[index]
            lines.append(f"# known: claim {key} ({label or 'no verdict yet'}), not drafted again:")
            lines.append(f"#   line {item.sentence.line}: {squash(item.sentence.text)}")
            continue
        key = _unique(draft_key(item), seen)
        entry = _entry(item, key, speaker=speaker, said_on=said_on, said_where=said_where)
        lines.extend(_about(item))
        lines.extend(_render(entry, english=item.sentence.lang == "en"))
    return "\n".join(lines) + "\n"


def _unique(key: str, seen: set[str]) -> str:
    candidate, n = key, 1
    while candidate in seen:
        n += 1
        candidate = f"{key[:95]}-{n}"
    seen.add(candidate)
    return candidate


def _about(item: Spotted) -> list[str]:
    """The comment above a draft: why it was spotted and where it is."""
    s = item.sentence
    features = ", ".join(f"{name} {weight:+.2f}" for name, weight in item.features)
    return [
        f"# {item.claim_type} (types: {', '.join(item.types) or item.claim_type}) "
        f"· score {item.score:.2f} · line {s.line}, chars {s.start}-{s.end}",
        f"# features: {features or 'none'}",
    ]


def _entry(
    item: Spotted, key: str, *, speaker: str | None, said_on: date | None, said_where: str | None
) -> dict[str, object]:
    """The draft's fields; the suggestion is kept only when it validates as a claim (else the
    claim is a text claim and the suggestion a comment, so a finished draft imports)."""
    s, hint = item.sentence, item.suggestion
    entry: dict[str, object] = {"key": key, "statement": squash(s.text), "language": s.lang}
    if s.lang == "en":
        entry["statement_en"] = entry["statement"]
    for name, value in (("speaker", speaker), ("said_on", said_on), ("said_where", said_where)):
        if value is not None:
            entry[name] = value
    guess: dict[str, object] = {"kind": hint.kind or "text"}
    if hint.kind == "prediction":
        read = hint.expected is not None and parse_quantities(hint.expected)
        guess["inner_kind"] = "quantity" if read else "text"
    for name, value in (("expected", hint.expected), ("unit", hint.unit), ("due", hint.due)):
        if value is not None:
            guess[name] = value
    try:
        validate_claim({**entry, **{k: str(v) for k, v in guess.items()}})
    except ValidationError as exc:
        shown = ", ".join(f"{k}={v}" for k, v in guess.items())
        return entry | {"kind": "text", "#": f"suggested {shown}; it does not validate: {exc}"}
    return entry | guess


def _render(entry: Mapping[str, object], *, english: bool) -> list[str]:
    out = ["[[claim]]"]
    for name, value in entry.items():
        if name == "#":
            out.append(f"# {value}")
        elif isinstance(value, date):
            out.append(f"{name} = {value.isoformat()}")
        else:
            out.append(f"{name} = {toml_string(str(value))}")
        if name == "key":
            out.append("draft = true")
    if not english:
        out.append('# statement_en = ""  # the English rendering, for the editor')
    for name in ("speaker", "said_on", "said_where"):
        if name not in entry:
            out.append(f'# {name} = ""')
    out.append('# subject = ""  # what it is about, e.g. "Llama 3.1 405B"')
    out.append('# property = ""  # which property, e.g. "parameter count"')
    out.append("")
    out.extend(EVIDENCE_HINT)
    return out
