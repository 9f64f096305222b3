"""The HTML report as files: every page, relative links only, hostile text escaped, the JSON-LD
safe in its script, the atomic swap, `factcheck report` after a demo run, `--serve`, and the
nightly rebuild (the browser test, with JavaScript and screenshots, is test_report_browser)."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from factcheck.cli.report_cmd import nightly_rebuild
from factcheck.errors import ValidationError
from factcheck.reporting.site import write_site
from factcheck.reporting.views import (
    ClaimView,
    ReviewView,
    RunView,
    SiteData,
    SourceView,
    TimelineEntry,
)
from factcheck.verification import nightly
from tests.integration.scheduling import declare
from tests.support import DatabaseUnderTest, cli_env, factcheck_bin, make_fast_settings, run_cli

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
HOSTILE = "<script>alert(1)</script> costs $3.50/M tokens"
CLOSER = "</script><script>alert(2)</script>"
ORG_URL = "https://factcheckers.example/org"


def _source(key: str, url: str, excerpt: str | None, highlight: str | None) -> SourceView:
    return SourceView(
        key=key,
        url=url,
        title=f"{key} <b>title</b>",
        publisher="Pub & Co",
        role="evidence",
        rule_kind="regex",
        rule=r"\$(?P<value>[\d.]+)",
        fetched_at=NOW - timedelta(days=3),
        http_status=200,
        error_code=None,
        excerpt=excerpt,
        highlight=highlight,
        values=("$3.50/M tokens",),
    )


def _claim(key: str, **changes: object) -> ClaimView:
    claim = ClaimView(
        key=key,
        kind="quantity",
        status="active",
        statement="The price is $3.50.",
        statement_en=None,
        language=None,
        speaker="A Speaker",
        said_on=date(2024, 7, 23),
        said_where="an interview",
        subject="inference",
        tags=("price", "llama"),
        label="supported",
        confidence="0.75",
        set_by="system",
        editor=None,
        reason="Found $3.50/M tokens, within 0.5%.",
        verdict_at=NOW - timedelta(days=3),
        last_checked=NOW - timedelta(days=3),
        freshness="fresh",
        stale=False,
        changed_in_last_run=False,
        previous_label=None,
        expected="$3.50/M tokens",
        sources=(_source(f"{key}-src", f"https://src.example/{key}", "costs $3.50", "$3.50"),),
        timeline=(
            TimelineEntry(
                at=NOW - timedelta(days=3),
                label="supported",
                set_by="system",
                action="judged",
                editor=None,
                note=None,
                reason="Found $3.50/M tokens.",
                run_id=1,
            ),
        ),
        bars=(),
        threshold=None,
        threshold_label=None,
        series=(),
        claimreview={"@context": "https://schema.org", "@type": "ClaimReview", "x": key},
    )
    return replace(claim, **changes)  # type: ignore[arg-type]


def site_data(generated_at: datetime = NOW) -> SiteData:
    """Two claims: a plain one, and one whose scraped text and statement are hostile."""
    hostile = _claim(
        "hostile-claim",
        kind="ratio",
        statement="价格是一半 <img src=x onerror=alert(3)>",
        statement_en="The price is half.",
        language="zh",
        tags=("price",),
        label="refuted",
        changed_in_last_run=True,
        previous_label="supported",
        sources=(_source("evil", "https://evil.example/page", HOSTILE, "$3.50"),),
        claimreview={"@type": "ClaimReview", "claimReviewed": f"said {CLOSER}"},
    )
    return SiteData(
        generated_at=generated_at,
        organisation_name="Checkers <Org>",
        organisation_url=ORG_URL,
        claims=(hostile, _claim("plain-claim")),
        runs=(
            RunView(
                id=2,
                trigger="schedule",
                status="succeeded",
                outcome="completed, some sources failed",
                started_at=NOW - timedelta(hours=10),
                finished_at=NOW - timedelta(hours=9),
                sources=2,
                failed=1,
                claims=2,
                changes=1,
                failures=(("evil", "https://evil.example/page", "http_error"),),
                flips=(("hostile-claim", "supported", "refuted"),),
            ),
        ),
        review=(ReviewView("hostile-claim", "refuted", "fresh", (("flipped", "it flipped"),)),),
        counts={"supported": 1, "refuted": 1, "none": 0},
        labels=("refuted", "supported"),
        kinds=("quantity", "ratio"),
        tags=("llama", "price"),
    )


class Links(HTMLParser):
    """Every href/src, every <script src> and <link href>, the JSON-LD texts, and lang values."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.external_assets: list[str] = []
        self.jsonld: list[str] = []
        self.langs: dict[str, str] = {}
        self._in_jsonld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        for name in ("href", "src"):
            if name in found:
                self.links.append(found[name])
                if tag in ("script", "link", "img") and "//" in found[name]:
                    self.external_assets.append(found[name])
        if "lang" in found:
            self.langs[f"{tag}.{found.get('class', '')}"] = found["lang"]
        self._in_jsonld = tag == "script" and found.get("type") == "application/ld+json"

    def handle_data(self, data: str) -> None:
        if self._in_jsonld:
            self.jsonld.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in_jsonld = False


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_every_page_exists_and_links_resolve_within_the_site(tmp_path: Path) -> None:
    data = site_data()
    out = tmp_path / "report"

    write_site(data, out)

    expected = {
        "index.html",
        "runs/index.html",
        "review/index.html",
        "claims/hostile-claim/index.html",
        "claims/plain-claim/index.html",
        "report.json",
        "static/report.css",
        "static/report.js",
    }
    built = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert built == expected
    allowed_out = {ORG_URL, "https://evil.example/page"} | {
        f"https://src.example/{c.key}" for c in data.claims
    }
    for page in out.rglob("*.html"):
        links = parse(page)
        assert links.external_assets == [], page
        for link in links.links:
            if link.startswith(("http://", "https://")):
                assert link in allowed_out, (page, link)
                continue
            assert not link.startswith(("/", "file:", "//")), (page, link)
            if link.startswith("#"):
                continue
            target = (page.parent / link.split("#")[0]).resolve()
            assert target.is_file(), (page, link)
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == json.loads(
        json.dumps(data.as_json())
    )


def test_scraped_text_is_escaped_and_the_figure_marked(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_site(site_data(), out)
    page = (out / "claims" / "hostile-claim" / "index.html").read_text(encoding="utf-8")

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; costs <mark>$3.50</mark>/M tokens" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(3)&gt;" in page
    assert "<b>title</b>" not in page and "Pub &amp; Co" in page
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Checkers &lt;Org&gt;" in index and "<Org>" not in index


def test_the_json_ld_parses_and_a_closing_script_in_a_text_is_neutralised(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    write_site(site_data(), out)
    path = out / "claims" / "hostile-claim" / "index.html"

    links = parse(path)

    assert len(links.jsonld) == 1
    assert json.loads(links.jsonld[0]) == {
        "@type": "ClaimReview",
        "claimReviewed": f"said {CLOSER}",
    }
    page = path.read_text(encoding="utf-8")
    assert "alert(2)</script>" not in page
    assert page.count("<script") == page.count("</script>") == 1  # the JSON-LD alone


def test_pages_are_semantic_and_say_the_language(tmp_path: Path) -> None:
    out = tmp_path / "report"
    write_site(site_data(), out)
    claim = parse(out / "claims" / "hostile-claim" / "index.html")
    index = (out / "index.html").read_text(encoding="utf-8")

    assert claim.langs["html."] == "en"
    assert claim.langs["blockquote.statement"] == "zh"
    assert '<th scope="col">Label</th>' in index and '<th scope="row"' in index
    rows = re.findall(r'<tr class="claim[^"]*"[^>]*>', index)
    assert len(rows) == 2
    assert 'class="claim changed"' in rows[0] and 'data-key="hostile-claim"' in rows[0]
    assert 'data-label="refuted"' in rows[0] and 'data-tags="price"' in rows[0]
    assert '<span class="label label-refuted">refuted</span>' in index
    # UTC ISO 8601 with the relative time, counted from the build
    assert '<time datetime="2026-03-01T12:00:00Z">' in index and "(3 days ago)" in index


def _version_of(out: Path) -> Path:
    return out.parent / out.readlink()


def test_the_swap_is_atomic_and_keeps_one_previous_version(tmp_path: Path) -> None:
    out = tmp_path / "report"
    first = write_site(site_data(NOW), out)
    held = out.resolve()  # a reader in the middle of the old site
    assert held == first.resolve()

    second = write_site(site_data(NOW + timedelta(days=1)), out)

    assert out.is_symlink() and _version_of(out).resolve() == second.resolve()
    assert (held / "index.html").read_text(encoding="utf-8").count("2026-03-04T12:00:00Z") >= 1
    assert (held / "claims" / "plain-claim" / "index.html").is_file()
    assert "2026-03-05T12:00:00Z" in (out / "index.html").read_text(encoding="utf-8")

    third = write_site(site_data(NOW + timedelta(days=2)), out)

    versions = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".report.v-"))
    assert versions == sorted([second.name, third.name])
    assert not held.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["report"]


def test_a_real_folder_is_never_replaced_an_empty_one_is(tmp_path: Path) -> None:
    taken = tmp_path / "mine"
    taken.mkdir()
    (taken / "notes.txt").write_text("keep me", encoding="utf-8")

    with pytest.raises(ValidationError, match="not a report built by factcheck"):
        write_site(site_data(), taken)

    assert (taken / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # nothing left behind
    empty = tmp_path / "empty"
    empty.mkdir()
    write_site(site_data(), empty)
    assert empty.is_symlink() and (empty / "index.html").is_file()

    # a symlink the operator made (/var/www/html -> /srv/site) is theirs: never repointed
    theirs = tmp_path / "html"
    theirs.symlink_to(taken, target_is_directory=True)
    with pytest.raises(ValidationError, match="symlink factcheck did not make"):
        write_site(site_data(), theirs)
    assert theirs.resolve() == taken.resolve()


def test_report_after_a_demo_run_lists_every_claim(tmp_path: Path) -> None:
    kept, out = tmp_path / "demo", tmp_path / "site"
    assert run_cli("demo", "--keep", str(kept), cwd=tmp_path).code == 0

    result = run_cli(
        "report", "-o", str(out), "--json", db_url=f"sqlite:///{kept}/factcheck.db", cwd=tmp_path
    )

    assert result.code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["claims"] == 8 and summary["dir"] == str(out) and summary["runs"] == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    keys = re.findall(r'<tr class="claim[^"]*" data-key="([^"]+)"', index)
    assert len(keys) == 8 and "llama-3.1-405b-half-price-of-gpt-4o" in keys
    for key in keys:
        assert (out / "claims" / key / "index.html").is_file()
    price = (out / "claims" / "llama-3.1-405b-half-price-of-gpt-4o" / "index.html").read_text(
        encoding="utf-8"
    )
    assert 'lang="zh' in price and '<script type="application/ld+json">' in price


def test_report_builds_from_each_backend(database: DatabaseUnderTest, tmp_path: Path) -> None:
    declared = Path(__file__).resolve().parents[2] / "sources"
    assert run_cli("import", str(declared), db_url=database.url, cwd=tmp_path).code == 0
    out = tmp_path / "site"

    result = run_cli("report", "-o", str(out), db_url=database.url, cwd=tmp_path)

    assert result.code == 0, result.stderr
    assert result.stdout.strip() == str(out / "index.html")
    index = (out / "index.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<tr class="claim', index)) == 8
    assert index.count('<span class="label label-none">no verdict</span>') >= 8


def test_report_refuses_a_folder_it_did_not_build(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("mine", encoding="utf-8")

    result = run_cli("report", "-o", str(tmp_path / "site"), db_url=database.url, cwd=tmp_path)

    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "not a report built by factcheck" in result.stderr
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "mine"


def test_serve_answers_get_and_refuses_post(tmp_path: Path) -> None:
    out = tmp_path / "site"
    write_site(site_data(), out)
    env = cli_env({"FACTCHECK_DATABASE_URL": f"sqlite:///{tmp_path}/unused.db"})
    child = subprocess.Popen(
        [factcheck_bin(), "report", "--serve", "--port", "0", "-o", str(out)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        assert child.stderr is not None
        line = child.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, line
        url = found.group(0)
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200
            assert b'<table id="claims">' in response.read()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(url, data=b"x", method="POST"))
        assert refused.value.code == 405
        assert refused.value.headers["Allow"] == "GET, HEAD"
        refused.value.close()
    finally:
        child.terminate()
        code = child.wait(timeout=20)
        if child.stderr is not None:
            child.stderr.close()
    assert code == 0
    assert not (tmp_path / "unused.db").exists()  # serving opens no database


def test_serve_without_a_built_report_is_one_line(tmp_path: Path) -> None:
    result = run_cli("report", "--serve", "-o", str(tmp_path / "nothing"), cwd=tmp_path)

    assert result.code == 2 and result.stderr.count("\n") == 1
    assert "no report here" in result.stderr


def test_the_nightly_run_rebuilds_the_report_and_a_failed_rebuild_stops_nothing(
    database: DatabaseUnderTest,
    httpserver: HTTPServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpserver.expect_request("/daily.txt").respond_with_data("It has 405B parameters.")
    declare(database, tmp_path, httpserver.url_for("").rstrip("/"), ["daily"])
    out = tmp_path / "site"
    settings = make_fast_settings(database_url=database.url, report_dir=str(out))
    assert nightly_rebuild(database.engine, replace(settings, report_dir=None)) is None
    now = datetime.now(UTC)
    service = nightly.NightlyService(
        engine=database.engine,
        settings=settings,
        clock=lambda: now,
        after_run=nightly_rebuild(database.engine, settings),
    )

    assert service.nightly() is not None

    assert 'data-key="claim-daily"' in (out / "index.html").read_text(encoding="utf-8")

    def broken() -> None:
        raise OSError("disk full")

    later = now + timedelta(days=1, hours=1)
    failing = nightly.NightlyService(
        engine=database.engine, settings=settings, clock=lambda: later, after_run=broken
    )
    with caplog.at_level(logging.ERROR, logger="factcheck.verification.nightly"):
        report = failing.nightly()
    assert report is not None and report.summary.run_id
    assert "follow-up step failed" in caplog.text and "disk full" in caplog.text


def test_run_now_rebuilds_the_report_like_the_nightly_run(
    database: DatabaseUnderTest, httpserver: HTTPServer, tmp_path: Path
) -> None:
    httpserver.expect_request("/daily.txt").respond_with_data("It has 405B parameters.")
    declare(database, tmp_path, httpserver.url_for("").rstrip("/"), ["daily"])
    out = tmp_path / "site"
    env = {
        **cli_env(),
        "FACTCHECK_REPORT_DIR": str(out),
        "FACTCHECK_ALLOW_LOOPBACK": "true",
        "FACTCHECK_OBEY_ROBOTS": "false",  # the test server has no robots.txt
        "FACTCHECK_PER_HOST_DELAY_S": "0",
    }
    result = run_cli("schedule", "run-now", db_url=database.url, cwd=tmp_path, env=env)
    assert result.code == 0, result.stderr
    assert 'data-key="claim-daily"' in (out / "index.html").read_text(encoding="utf-8")
