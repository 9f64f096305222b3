"""The static site: SiteData rendered through autoescaped Jinja2 templates, written atomically.

Scraped text is hostile, so every template escapes by default; only the SVG charts (built by
charts.py from numbers) and the JSON-LD (escaped for a <script> element here) are marked safe.
Links are relative, so the folder works from file:// and under any path of any static server.

`write_site` never shows a reader half a site: it renders into a new version folder beside the
target, then points the target (a symlink) at it with one `os.replace`, which is atomic on
POSIX. The previous version is kept (a reader may still hold it); older ones are removed.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from factcheck.errors import ValidationError
from factcheck.reporting.views import ChartBar, ChartPoint, ClaimView, SiteData

log = logging.getLogger(__name__)

STATIC_FILES = ("report.css", "report.js")
VERSION_MARK = ".v-"  # `.report.v-<stamp>-<random>`: a complete version of `report`
BUILDING_MARK = ".building-"  # a version being written; never the target of the link


def iso_utc(moment: datetime | None) -> str:
    """UTC ISO 8601 to the second, `Z` for UTC; empty for None.

    >>> iso_utc(datetime(2024, 7, 23, 14, 0, 5, 123, tzinfo=UTC))
    '2024-07-23T14:00:05Z'
    >>> iso_utc(None)
    ''
    """
    if moment is None:
        return ""
    if moment.tzinfo is None:  # stored naive timestamps are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_UNITS = (("year", 365 * 86400), ("month", 30 * 86400), ("day", 86400), ("hour", 3600))


def relative(moment: datetime | None, now: datetime) -> str:
    """`moment` in words relative to `now` (the build time): the page says when it was true.

    >>> now = datetime(2024, 7, 23, 12, 0, tzinfo=UTC)
    >>> relative(datetime(2024, 7, 20, 11, 0, tzinfo=UTC), now)
    '3 days ago'
    >>> relative(datetime(2024, 7, 23, 11, 0, tzinfo=UTC), now)
    '1 hour ago'
    >>> relative(datetime(2024, 7, 23, 11, 59, 30, tzinfo=UTC), now)
    'just now'
    >>> relative(datetime(2024, 7, 25, 12, 0, tzinfo=UTC), now)
    'in 2 days'
    >>> relative(None, now)
    'never'
    """
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    span = abs(seconds)
    found = next(((unit, size) for unit, size in _UNITS if span >= size), ("minute", 60))
    name, count = found[0], int(span // found[1])
    if count == 0:
        return "just now"
    words = f"{count} {name}{'' if count == 1 else 's'}"
    return f"{words} ago" if seconds >= 0 else f"in {words}"


def timed(moment: datetime | None, now: datetime) -> Markup:
    """A <time> in UTC ISO 8601 with the relative time beside it (`never` for None).

    >>> now = datetime(2024, 7, 23, 12, 0, tzinfo=UTC)
    >>> stamp, ago = timed(datetime(2024, 7, 20, 12, 0, tzinfo=UTC), now).split("</time> ")
    >>> print(stamp)
    <time datetime="2024-07-20T12:00:00Z">2024-07-20T12:00:00Z
    >>> print(ago)
    <span class="ago">(3 days ago)</span>
    """
    if moment is None:
        return Markup('<span class="never">never</span>')
    stamp = iso_utc(moment)
    return Markup('<time datetime="{0}">{0}</time> <span class="ago">({1})</span>').format(
        stamp, relative(moment, now)
    )


def script_json(value: Any) -> Markup:
    """JSON for a <script> element: `<`, `>` and `&` as \\u escapes, so that no scraped text
    can close the element (`</script>`) or open a comment; the JSON parses the same.

    >>> str(script_json({"a": "</script><!--"}))
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003c!--"}'
    """
    text = json.dumps(value, ensure_ascii=False, indent=None, default=str)
    for char, code in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e")):
        text = text.replace(char, code)
    return Markup(text)  # escaped just above for the script context


def highlighted(excerpt: str | None, figure: str | None) -> Markup:
    """The excerpt escaped, with the first occurrence of the figure in <mark>.

    >>> str(highlighted("cost <b>$3.50</b> per M", "$3.50"))
    'cost &lt;b&gt;<mark>$3.50</mark>&lt;/b&gt; per M'
    >>> str(highlighted("no figure", "9"))
    'no figure'
    """
    if not excerpt:
        return Markup("")
    at = excerpt.find(figure) if figure else -1
    if figure is None or at < 0:
        return escape(excerpt)
    end = at + len(figure)
    return (
        escape(excerpt[:at])
        + Markup("<mark>")
        + escape(figure)
        + Markup("</mark>")
        + escape(excerpt[end:])
    )


def safe_href(url: str | None) -> str:
    """A link target only for http(s) URLs (and file: for local sources); anything else (a
    `javascript:` scheme a hostile declaration could carry) becomes no link at all.

    >>> safe_href("https://example.org/a b"), safe_href("javascript:alert(1)")
    ('https://example.org/a b', '')
    """
    if url and url.split(":", 1)[0].lower() in ("http", "https", "file"):
        return url
    return ""


def label_word(label: str | None) -> str:
    """The label's class word (`none` for no verdict)."""
    return label or "none"


def label_text(label: str | None) -> str:
    """The label as words, so it reads without its colour.

    >>> label_text("not_enough_info"), label_text(None)
    ('not enough info', 'no verdict')
    """
    return label.replace("_", " ") if label else "no verdict"


def claim_href(key: str) -> str:
    """The claim page, relative to the site root (`claims/<key>/index.html`)."""
    return f"claims/{quote(key, safe='')}/index.html"


def claim_charts(claim: ClaimView) -> dict[str, Markup]:
    """The claim's SVG charts (records against the threshold, values over time), if any."""
    from factcheck.reporting.charts import bars_svg, series_svg  # pygal: loaded when drawn

    found: dict[str, Markup] = {}
    if claim.bars:
        bars: tuple[ChartBar, ...] = claim.bars
        svg = bars_svg(
            bars,
            threshold=claim.threshold,
            threshold_label=claim.threshold_label,
            title=f"{claim.key}: each record against the threshold",
        )
        if svg:
            found["records"] = Markup(svg)  # SVG from numbers, names escaped by charts
    if claim.series:
        points: tuple[ChartPoint, ...] = claim.series
        svg = series_svg(points, title=f"{claim.key}: evidence values over time")
        if svg:
            found["series"] = Markup(svg)
    return found


def make_environment() -> Environment:
    """Templates from the installed package, autoescaped (html), undefined names an error."""
    env = Environment(
        loader=PackageLoader("factcheck.reporting", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        utc=iso_utc,
        highlighted=highlighted,
        script_json=script_json,
        href=safe_href,
        label_word=label_word,
        label_text=label_text,
        claim_href=claim_href,
    )
    return env


def render_pages(data: SiteData) -> dict[str, str]:
    """Every page of the site by its relative path."""
    env = make_environment()
    now = data.generated_at

    def render(name: str, root: str, **context: Any) -> str:
        return env.get_template(name).render(
            data=data, root=root, when=lambda moment: timed(moment, now), **context
        )

    pages = {
        "index.html": render("index.html", "", page="claims"),
        "runs/index.html": render("runs.html", "../", page="runs"),
        "review/index.html": render("review.html", "../", page="review"),
    }
    for claim in data.claims:
        pages[f"claims/{claim.key}/index.html"] = render(
            "claim.html", "../../", page="claim", claim=claim, charts=claim_charts(claim)
        )
    return pages


def static_files() -> dict[str, bytes]:
    """The site's CSS and JavaScript, read from the installed package."""
    folder = resources.files("factcheck.reporting") / "static"
    return {f"static/{name}": (folder / name).read_bytes() for name in STATIC_FILES}


def _write_tree(folder: Path, pages: Mapping[str, str], files: Mapping[str, bytes]) -> None:
    for relative_path, text in pages.items():
        target = folder / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for relative_path, content in files.items():
        target = folder / relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _check_target(out_dir: Path) -> None:
    """Refuse to replace what factcheck did not build: a file, a folder with content, or a
    symlink that does not point at one of this report's version folders beside it."""
    if out_dir.is_symlink():
        if os.readlink(out_dir).startswith(f".{out_dir.name}{VERSION_MARK}"):
            return
        raise ValidationError(
            f"{out_dir}: is a symlink factcheck did not make (to {os.readlink(out_dir)}); "
            "move it away or choose another folder"
        )
    if out_dir.is_dir() and not any(out_dir.iterdir()):
        try:
            out_dir.rmdir()  # an empty folder made for the report: nothing is lost
        except OSError as exc:  # a mount point (a container volume) cannot become a link
            raise ValidationError(
                f"{out_dir}: cannot be replaced by a link ({exc.strerror}); "
                f"use a folder inside it, e.g. {out_dir / 'site'}"
            ) from None
        return
    if out_dir.exists():
        raise ValidationError(
            f"{out_dir}: exists and is not a report built by factcheck (a symlink to a version "
            "folder); move it away or choose another folder"
        )


def write_site(data: SiteData, out_dir: Path) -> Path:
    """Build the whole site in a new version folder beside `out_dir`, then swap the `out_dir`
    symlink to it atomically; keep the previous version, remove older ones. Returns the version
    folder now published."""
    out_dir = Path(os.path.abspath(out_dir))
    parent, name = out_dir.parent, out_dir.name
    parent.mkdir(parents=True, exist_ok=True)
    _check_target(out_dir)
    pages = render_pages(data)
    files = {**static_files(), "report.json": _report_json(data)}
    stamp = data.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    token = f"{stamp}-{secrets.token_hex(4)}"
    building = parent / f".{name}{BUILDING_MARK}{token}"
    version = parent / f".{name}{VERSION_MARK}{token}"
    building.mkdir(mode=0o755)
    link = parent / f".{name}.link-{token}"
    try:
        _write_tree(building, pages, files)
        building.rename(version)
        with _swap_lock(parent / f".{name}.lock"):  # one swap and clean-up at a time
            previous = _current_version(out_dir)
            os.symlink(version.name, link, target_is_directory=True)  # relative: parent may move
            os.replace(link, out_dir)
            _remove_old_versions(parent, name, keep={version.name, previous})
    except BaseException:
        for leftover in (building, version):
            shutil.rmtree(leftover, ignore_errors=True)
        link.unlink(missing_ok=True)
        raise
    return version


@contextmanager
def _swap_lock(path: Path) -> Iterator[None]:
    """An exclusive lock file around the swap: two builds (the nightly one and a manual one)
    never remove the version the other has just published."""
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _report_json(data: SiteData) -> bytes:
    return json.dumps(data.as_json(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _current_version(out_dir: Path) -> str:
    return os.readlink(out_dir) if out_dir.is_symlink() else ""


def _remove_old_versions(parent: Path, name: str, *, keep: set[str]) -> None:
    """Remove versions of `name` but those in `keep` (the published one and its predecessor)."""
    prefix = f".{name}{VERSION_MARK}"
    for entry in parent.iterdir():
        if entry.name.startswith(prefix) and entry.name not in keep and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            log.debug("removed old report version %s", entry)
