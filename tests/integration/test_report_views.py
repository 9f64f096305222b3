"""What each page of the report shows, from real runs of the demo's claims and pages, on every
database backend: two `verify` runs against the example pages on 127.0.0.1 (the second after
the model card changed its 405B to 450B and the use policy went missing) and an editor's
override in between. The view model is built once per backend and read by every test."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event

from factcheck.declarations.files import read_declarations
from factcheck.demo import Page, load_pages, point_sources, serve
from factcheck.domain import utcnow
from factcheck.editorial.overrides import set_override
from factcheck.reporting.views import ClaimView, SiteData, build_site_data
from factcheck.storage import catalog, db
from factcheck.verification.pipeline import run_verification
from tests.support import REPO, DatabaseUnderTest, make_fast_settings

RATIO = "llama-3.1-405b-half-price-of-gpt-4o"
SIZES, HEADLINE = "llama-3.1-released-sizes", "llama-3.1-450b-headline"
OVERRIDDEN = "meta-200-million-creators"
NOTE = "Meta's press office confirmed the figure by email"
CARD, POLICY = "llama-3.1-model-card", "llama-3.2-use-policy"
# the price list's 405B hosts, blended 3:1, in $/M tokens: two hosts near half of GPT-4o's $7.50
PRICES = {
    "quickinfer/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo": (3.5, True),
    "tokenforge/models/llama-v3p1-405b-instruct": (3.0, True),
    "bigcloud/meta.llama3-1-405b-instruct-v1:0": (7.975, False),
    "megacloud_ai/Meta-Llama-3.1-405B-Instruct": (7.5, False),
}


@dataclass(frozen=True)
class Built:
    data: SiteData
    queries: int
    statements: dict[str, str]  # claim key -> statement as declared
    site_url: str

    def claim(self, key: str) -> ClaimView:
        return next(c for c in self.data.claims if c.key == key)


@pytest.fixture(scope="module")
def built(module_database: DatabaseUnderTest) -> Iterator[Built]:
    database = module_database
    pages = dict(load_pages())  # the server reads this mapping on each request
    declared = read_declarations([REPO / "sources"])
    settings = make_fast_settings(database_url=database.url)
    with serve(pages) as site:
        with db.session_scope(database.engine) as session:
            catalog.apply_declarations(
                session=session, declared=point_sources(declared, base_url=site.url), now=utcnow()
            )
        run_verification(engine=database.engine, settings=settings, force=True)
        with db.session_scope(database.engine) as session:
            set_override(
                session=session, key=OVERRIDDEN, label="supported", editor="Ann", note=NOTE,
                now=utcnow(),
            )  # fmt: skip
        card = pages[CARD]
        pages[CARD] = Page(card.body.replace(b"405B", b"450B"), card.content_type)
        del pages[POLICY]
        run_verification(engine=database.engine, settings=settings, force=True)
    count = [0]

    def counted(*_: object) -> None:
        count[0] += 1

    event.listen(database.engine, "before_cursor_execute", counted)
    try:
        with db.session_scope(database.engine) as session:
            data = build_site_data(session=session, settings=settings, now=utcnow())
    finally:
        event.remove(database.engine, "before_cursor_execute", counted)
    statements = {c.key: c.statement for c in declared.claims}
    yield Built(data, count[0], statements, site.url)


def test_every_active_claim_with_its_standing_verdict(built: Built) -> None:
    data = built.data
    assert sorted(c.key for c in data.claims) == sorted(built.statements)
    for claim in data.claims:
        assert claim.label is not None and claim.confidence is not None, claim.key
        assert claim.set_by in ("system", "editor") and claim.reason
        assert claim.freshness in ("fresh", "stale", "no_evidence", "never_checked")
        assert claim.expected
    assert built.claim(OVERRIDDEN).set_by == "editor"
    assert built.claim(OVERRIDDEN).label == "supported"
    assert built.claim(OVERRIDDEN).editor == "Ann"
    assert built.claim(RATIO).set_by == "system" and built.claim(RATIO).label == "mixed"
    # counts per label word over the claims, and the filters' words
    labels = [c.label for c in data.claims]
    assert data.counts == {
        word: labels.count(word)
        for word in ("supported", "refuted", "mixed", "not_enough_info", "pending")
    } | {"none": 0}
    assert set(data.labels) == set(labels)
    assert set(data.kinds) == {c.kind for c in data.claims}
    assert "price" in data.tags and list(data.tags) == sorted(data.tags)


def test_claims_changed_in_the_last_run_come_first_and_are_flagged(built: Built) -> None:
    claims = built.data.claims
    changed = [c.key for c in claims if c.changed_in_last_run]
    assert sorted(changed) == [HEADLINE, SIZES]
    assert [c.key for c in claims[:2]] == changed  # first
    rest = [c.key for c in claims[2:]]
    assert rest == sorted(rest)  # then by key
    assert (built.claim(SIZES).previous_label, built.claim(SIZES).label) == ("supported", "refuted")
    assert built.claim(HEADLINE).previous_label == "refuted"
    assert built.claim(HEADLINE).label == "supported"
    assert built.claim(RATIO).previous_label is None  # not a change: unchanged prices


def test_ratio_claim_has_one_bar_per_provider_against_half_gpt4o(built: Built) -> None:
    ratio = built.claim(RATIO)
    assert {bar.name: bar.supports for bar in ratio.bars} == {k: s for k, (_, s) in PRICES.items()}
    assert {bar.name: bar.value for bar in ratio.bars} == pytest.approx(
        {k: v for k, (v, _) in PRICES.items()}
    )
    assert {bar.unit for bar in ratio.bars} == {"$/M tokens"}
    assert ratio.threshold == pytest.approx(3.75)  # half of GPT-4o's $7.50/M tokens
    assert ratio.threshold_label is not None
    assert (
        "gpt-4o-2024-05-13" in ratio.threshold_label and "$7.50/M tokens" in ratio.threshold_label
    )
    # its evidence values over time: numerator and denominator of each run
    assert len(ratio.series) == 4
    assert [p.at for p in ratio.series] == sorted(p.at for p in ratio.series)
    assert {(p.source, p.value) for p in ratio.series} == {
        ("litellm-prices (numerator)", 3.5),
        ("litellm-prices (denominator)", 7.5),
    }
    assert ratio.claimreview is not None
    assert ratio.claimreview["url"].endswith(f"/claims/{RATIO}")
    assert ratio.claimreview["reviewRating"]["alternateName"] == "Mixed"


def test_multi_record_quantity_claim_has_a_bar_per_figure(built: Built) -> None:
    headline = built.claim(HEADLINE)  # "450B" against the card's 8B, 70B and (now) 450B
    assert [(b.value, b.unit, b.supports) for b in headline.bars] == [
        (8.0, "B parameters", False),
        (70.0, "B parameters", False),
        (450.0, "B parameters", True),
    ]
    assert headline.threshold == pytest.approx(450.0)
    assert headline.threshold_label is not None and "450B" in headline.threshold_label
    assert built.claim(SIZES).bars == ()  # a set of sizes has no single threshold
    assert built.claim("iphone-released-2007").bars == ()


def test_claim_page_keeps_the_statement_as_said(built: Built) -> None:
    ratio = built.claim(RATIO)
    assert ratio.statement == built.statements[RATIO]
    assert "便宜大约 50%" in ratio.statement and ratio.language == "zh"
    assert ratio.statement_en and "50% cheaper" in ratio.statement_en
    assert ratio.speaker == "Mark Zuckerberg" and str(ratio.said_on) == "2024-07-23"
    assert ratio.said_where and ratio.said_where.startswith("http://mp.weixin.qq.com/")


def test_sources_show_rule_excerpt_highlight_and_fetch(built: Built) -> None:
    sizes = built.claim(SIZES)
    (card,) = sizes.sources
    assert card.key == CARD and card.url == f"{built.site_url}/{CARD}"
    assert card.rule_kind and card.rule and card.role == "value"
    assert card.http_status == 200 and card.error_code is None
    assert card.fetched_at is not None and card.fetched_at == sizes.last_checked
    assert card.excerpt is not None and card.highlight is not None
    assert card.highlight in card.excerpt and "450B" in card.excerpt
    assert card.values == ("8B parameters", "70B parameters", "450B parameters")
    ratio = {s.role: s for s in built.claim(RATIO).sources}
    assert set(ratio) == {"numerator", "denominator"}
    assert ratio["denominator"].values == ("gpt-4o-2024-05-13: $7.50/M tokens",)
    assert len(ratio["numerator"].values) == 4
    # a source that failed in the last run: its error, and still what it said before
    multimodal = built.claim("llama-multimodal-outside-eu-within-months")
    policy = next(s for s in multimodal.sources if s.key == POLICY)
    assert policy.http_status == 404 and policy.error_code == "http_status"
    assert policy.excerpt is not None  # from the first run's good fetch


def test_editor_override_appears_in_the_timeline_with_its_note(built: Built) -> None:
    timeline = built.claim(OVERRIDDEN).timeline
    assert [(e.set_by, e.action) for e in timeline] == [
        ("system", "judged"),
        ("editor", "override"),
    ]
    override = timeline[-1]
    assert override.note == NOTE and override.editor == "Ann" and override.label == "supported"
    assert override.run_id is None and timeline[0].run_id is not None
    sizes = built.claim(SIZES).timeline  # oldest first
    assert [e.label for e in sizes] == ["supported", "refuted"]
    assert sizes[0].at <= sizes[1].at and sizes[0].run_id != sizes[1].run_id


def test_runs_newest_first_with_failures_and_flips(built: Built) -> None:
    runs = built.data.runs
    assert len(runs) == 2 and runs[0].id > runs[1].id
    last, first = runs
    assert last.outcome == "completed, some sources failed" and last.failed == 1
    assert first.outcome == "completed" and first.failures == ()
    # the first run gave every claim its first verdict: each is a change, as verify counts it
    assert len(first.flips) == first.changes == 8
    assert all(was is None for _, was, _ in first.flips)
    assert last.failures == ((POLICY, f"{built.site_url}/{POLICY}", "http_status"),)
    assert sorted(last.flips) == [
        (HEADLINE, "refuted", "supported"),
        (SIZES, "supported", "refuted"),
    ]
    assert last.sources == 8 and last.claims == 8 and last.changes == 2
    assert last.started_at >= first.started_at and last.finished_at is not None


def test_review_queue(built: Built) -> None:
    review = {item.key: item for item in built.data.review}
    assert "flipped" in dict(review[SIZES].reasons)
    assert "supported -> refuted" in dict(review[SIZES].reasons)["flipped"]
    assert "mixed" in dict(review[RATIO].reasons) and review[RATIO].label == "mixed"
    assert review[SIZES].freshness == "fresh"


def test_report_json_round_trips(built: Built) -> None:
    report = built.data.as_json()
    assert json.loads(json.dumps(report, ensure_ascii=False)) == report
    generated = datetime.fromisoformat(report["generated_at"])
    assert generated.utcoffset() == timedelta(0)
    claim = next(c for c in report["claims"] if c["key"] == RATIO)
    assert claim["statement"] == built.statements[RATIO]
    assert len(claim["bars"]) == 4 and claim["threshold"] == pytest.approx(3.75)
    assert datetime.fromisoformat(claim["timeline"][0]["at"]).utcoffset() == timedelta(0)
    assert claim["said_on"] == "2024-07-23"
    assert report["runs"][0]["failures"] == [[POLICY, f"{built.site_url}/{POLICY}", "http_status"]]
    assert report["counts"] == built.data.counts


def test_a_bounded_number_of_queries_for_the_whole_site(built: Built) -> None:
    # one per table for all claims, not one per claim per table (8 claims, 5 tables: >= 40)
    assert built.queries <= 25, built.queries


def test_an_empty_store_gives_an_empty_site(database: DatabaseUnderTest) -> None:
    with db.session_scope(database.engine) as session:
        data = build_site_data(session=session, settings=make_fast_settings(), now=utcnow())
    assert (data.claims, data.runs, data.review, data.labels, data.tags) == ((), (), (), (), ())
    assert set(data.counts.values()) == {0}
    assert json.loads(json.dumps(data.as_json())) == data.as_json()
