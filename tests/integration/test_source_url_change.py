"""A source re-imported with a new URL is another page: it is due at the next run whatever its
recheck interval, its fetch state is cleared, nothing extracted from the old URL is reused, and
the verdict follows the new page's evidence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlmodel import col, select

from factcheck.storage import catalog, db
from factcheck.storage.models import Evidence, Source
from factcheck.verification.pipeline import RunSummary, run_verification
from tests.servers import PageServer
from tests.support import DatabaseUnderTest, Result, make_fast_settings, seed

SETTINGS = make_fast_settings(obey_robots=True)  # the page server's robots.txt allows all


def _page(figure: str) -> str:
    return f"<html><body><p id='size'>{figure}</p></body></html>"


def _declare(path: Path, url: str) -> Path:
    """One source checked at most once a day, and one claim read from it."""
    path.write_text(
        f'[[source]]\nkey = "size-page"\nurl = "{url}"\nformat = "html"\nrecheck_hours = 24\n\n'
        '[[claim]]\nkey = "size"\nstatement = "405B"\nkind = "quantity"\nexpected = "405e9"\n'
        'unit = "parameters"\n  [[claim.evidence]]\n  source = "size-page"\n'
        '  rule_kind = "css"\n  rule = "#size"\n  options = { unit = "parameters" }\n',
        encoding="utf-8",
    )
    return path


def _source(database: DatabaseUnderTest) -> Source:
    with db.session_scope(database.engine) as session:
        source = catalog.get_source(session=session, key="size-page")
        session.expunge(source)
        return source


def _evidence(database: DatabaseUnderTest) -> list[Evidence]:
    with db.session_scope(database.engine) as session:
        rows = list(session.exec(select(Evidence).order_by(col(Evidence.id))))
        for row in rows:
            session.expunge(row)
        return rows


def _run(database: DatabaseUnderTest, *, force: bool = False) -> RunSummary:
    return run_verification(engine=database.engine, settings=SETTINGS, force=force)


def _move(
    tmp_path: Path, cli: Callable[..., Result], database: DatabaseUnderTest, new_url: str
) -> None:
    """Re-import the source's declaration with `new_url`, as an editor would."""
    result = cli("import", str(_declare(tmp_path / "size.toml", new_url)))
    assert result.code == 0, result.stderr
    assert "updated source size-page" in result.stderr + result.stdout
    assert _source(database).url == new_url


def test_a_new_url_is_fetched_at_the_next_run_and_the_verdict_follows_it(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    name = f"url-change-{database.backend}-{tmp_path.name}"
    old_url = pages.put(f"{name}-old", _page("405B"))
    new_url = pages.put(f"{name}-new", _page("8B"))
    seed(database, _declare(tmp_path / "size.toml", old_url))
    first = _run(database)
    assert [c.label for c in first.claims] == ["supported"]
    assert _run(database).sources == []  # within its recheck interval: not due

    _move(tmp_path, cli, database, new_url)
    moved = _source(database)
    assert (moved.etag, moved.last_modified, moved.last_sha256, moved.last_fetched_at) == (
        None,
        None,
        None,
        None,
    )
    after = _run(database)  # not forced, still within the interval the old URL was fetched in

    (result,) = after.sources
    assert not result.reused and result.error_code is None
    assert result.fetched is not None and result.fetched.final_url == new_url
    newest = _evidence(database)[-1]
    assert (newest.run_id, newest.final_url, newest.reused_from_id) == (after.run_id, new_url, None)
    assert newest.value is not None and newest.value.startswith("8")
    (outcome,) = after.claims
    assert outcome.label == "refuted", outcome.reason
    assert outcome.changed and outcome.previous_label == "supported"
    assert _source(database).last_fetched_at is not None  # and due again only in a day
    assert _run(database).sources == []


def test_the_same_body_at_a_new_url_is_parsed_again_and_then_reused_from_the_new_url(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    name = f"url-copy-{database.backend}-{tmp_path.name}"
    old_url = pages.put(f"{name}-old", _page("405B"))
    new_url = pages.put(f"{name}-new", _page("405B"))  # a mirror: byte for byte the same
    seed(database, _declare(tmp_path / "size.toml", old_url))
    _run(database)
    old_row = _evidence(database)[-1]
    assert old_row.final_url == old_url

    _move(tmp_path, cli, database, new_url)
    after = _run(database)
    again = _run(database, force=True)

    # the first run at the new URL fetches and extracts afresh (the old extraction of the very
    # same bytes is not reused: it came from another page) ...
    assert [s.reused for s in after.sources] == [False]
    rows = _evidence(database)
    moved_row = next(r for r in rows if r.run_id == after.run_id)
    assert (moved_row.final_url, moved_row.reused_from_id) == (new_url, None)
    assert moved_row.snapshot_sha256 == old_row.snapshot_sha256
    # ... and an unchanged body afterwards reuses the new URL's extraction
    assert [s.reused for s in again.sources] == [True]
    reused_row = next(r for r in rows if r.run_id == again.run_id)
    assert reused_row.reused_from_id == moved_row.id
    assert [c.label for c in again.claims] == ["supported"]


def test_a_changed_title_keeps_the_fetch_state(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    url = pages.put(f"url-same-{database.backend}-{tmp_path.name}", _page("405B"))
    path = _declare(tmp_path / "size.toml", url)
    seed(database, path)
    _run(database)
    fetched = _source(database)

    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'format = "html"\n', 'format = "html"\ntitle = "x"\n'
        ),
        encoding="utf-8",
    )
    seed(database, path)

    kept = _source(database)
    assert kept.title == "x"
    assert (kept.last_sha256, kept.last_fetched_at) == (
        fetched.last_sha256,
        fetched.last_fetched_at,
    )
    assert kept.last_sha256 is not None
    assert _run(database).sources == []  # a new title is not a new page: still not due


def test_a_new_format_clears_the_fetch_state(
    database: DatabaseUnderTest, pages: PageServer, tmp_path: Path
) -> None:
    url = pages.put(f"format-change-{database.backend}-{tmp_path.name}", _page("405B"))
    path = _declare(tmp_path / "size.toml", url)
    seed(database, path)
    _run(database)
    assert _source(database).last_sha256 is not None

    text = path.read_text(encoding="utf-8").replace('format = "html"', 'format = "text"')
    css = 'rule_kind = "css"\n  rule = "#size"'
    path.write_text(
        text.replace(css, "rule_kind = \"regex\"\n  rule = '(?P<value>\\d+B)'"), encoding="utf-8"
    )
    seed(database, path)

    # the same bytes read as another format are another document: parsed again, due now
    assert (_source(database).last_sha256, _source(database).last_fetched_at) == (None, None)
    (result,) = _run(database).sources
    assert not result.reused and result.error_code is None
