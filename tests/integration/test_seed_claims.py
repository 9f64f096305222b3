"""The seed claims of sources/*.toml end to end, as a journalist would judge them.

(a) Against the real sources as stored in ../shared/corpus, served on 127.0.0.1 with the declared
rules unchanged (only the URLs point at the local server), on every database backend.
(b) Through `factcheck demo`, the installed entry point, against the example pages it ships.

Both must give the same labels, with reasons that carry the figures.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from factcheck.declarations.files import read_declarations
from factcheck.demo import PAGES_DIR, Page, Site, load_pages, point_sources, serve
from factcheck.domain import RunStatus, utcnow
from factcheck.storage import catalog, db, verdicts
from factcheck.storage.models import Claim
from factcheck.verification.pipeline import RunSummary, run_verification
from tests.support import IN_CI, REPO, SHARED, DatabaseUnderTest, make_fast_settings, run_cli

CORPUS = SHARED / "corpus"
TEXT = "text/plain; charset=utf-8"

# source key -> (stored copy in ../shared/corpus, Content-Type it is served with); MANIFEST.md
# says where each copy comes from. The blog post is a Markdown crawl: served as HTML, as the
# source is declared.
CORPUS_FILES = {
    "llama-3.1-model-card": ("llama-models_llama3_1_MODEL_CARD.md", TEXT),
    "llama-3.1-license": ("llama-models_llama3_1_LICENSE.txt", TEXT),
    "meta-blog-llama-3.1": ("meta-ai-blog_introducing-llama-3-1.md", "text/html; charset=utf-8"),
    "llama-3.2-vision-model-card": ("llama-models_llama3_2_MODEL_CARD_VISION.md", TEXT),
    "llama-3.2-use-policy": ("llama-models_llama3_2_USE_POLICY.md", TEXT),
    "litellm-prices": ("litellm-prices_via-RoCry_2026-07-24.json", "application/json"),
    "cache-register-disclosures": ("cache-register_curated_disclosures.csv", "text/csv"),
}
# The Wikipedia REST summary is not in the corpus: a stand-in in the API's shape, our own words.
IPHONE_SUMMARY = {
    "type": "standard",
    "title": "iPhone (1st generation)",
    "extract": (
        "The iPhone (1st generation) is the first smartphone made by Apple. It was announced "
        "on January 9, 2007, and released in the United States on June 29, 2007."
    ),
}

EXPECTED = {
    "llama-3.1-released-sizes": "supported",
    "llama-3.1-450b-headline": "refuted",
    "llama-3.1-405b-half-price-of-gpt-4o": "mixed",
    "meta-ai-most-used-assistant-2024": "not_enough_info",
    "llama-3.1-license-allows-distillation": "supported",
    "iphone-released-2007": "supported",
    "llama-multimodal-outside-eu-within-months": "supported",
    "meta-200-million-creators": "not_enough_info",
}
# What each reason must say: the figures (or phrases) the verdict rests on.
REASON_PARTS = {
    "llama-3.1-released-sizes": ["8B", "70B", "405B", "all 3 claimed values found"],
    "llama-3.1-450b-headline": ["8B, 70B, 405B", "not the claimed 450B"],
    "meta-ai-most-used-assistant-2024": [
        "users/month",
        "users/week",
        "different units",
        "700 million",
        "400 million",
    ],
    "llama-3.1-license-allows-distillation": ["leverage the outputs of its models"],
    "iphone-released-2007": ["2007", "compared by year"],
    "llama-multimodal-outside-eu-within-months": [
        "collection of multimodal large language models",
        "the European Union",
    ],
    "meta-200-million-creators": ["no evidence"],
}
# one price ratio written out: "<host> $3.00/M tokens / gpt-4o-2024-05-13 $7.50/M tokens = 0.40"
RATIO = re.compile(
    r"\$(?P<top>\d+\.\d\d)/M tokens / gpt-4o-2024-05-13 \$7\.50/M tokens = (?P<ratio>\d+\.\d\d)"
)


def _corpus_pages() -> dict[str, Page]:
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"the stored sources are required in CI and missing: {CORPUS}")
        pytest.skip(f"no stored sources at {CORPUS}")
    pages = {
        key: Page((CORPUS / name).read_bytes(), content_type)
        for key, (name, content_type) in CORPUS_FILES.items()
    }
    pages["wikipedia-iphone-1st-generation"] = Page(
        json.dumps(IPHONE_SUMMARY).encode(), "application/json"
    )
    return pages


@pytest.fixture
def corpus_site() -> Iterator[Site]:
    with serve(_corpus_pages()) as site:
        yield site


def _verify_seed(database: DatabaseUnderTest, site: Site) -> RunSummary:
    declared = point_sources(read_declarations([REPO / "sources"]), base_url=site.url)
    with db.session_scope(database.engine) as session:
        catalog.apply_declarations(session=session, declared=declared, now=utcnow())
    settings = make_fast_settings(database_url=database.url, obey_robots=True, workers=8)
    return run_verification(engine=database.engine, settings=settings)


def _assert_reasons(reasons: dict[str, str]) -> None:
    for key, parts in REASON_PARTS.items():
        for part in parts:
            assert part in reasons[key], f"{key}: {part!r} not in {reasons[key]!r}"
    ratio = reasons["llama-3.1-405b-half-price-of-gpt-4o"]
    assert "For:" in ratio and "Against:" in ratio
    written = [(m["top"], m["ratio"]) for m in RATIO.finditer(ratio)]
    assert written, ratio
    for top, result in written:  # the arithmetic in the reason is right, to the cent
        assert abs(float(top) / 7.5 - float(result)) <= 0.005, (top, result)
    ratios = [float(result) for _, result in written]
    assert any(0.35 <= r <= 0.65 for r in ratios)  # specialist hosts near half
    assert any(r >= 1.0 for r in ratios)  # hyperscalers at or above GPT-4o's launch price


@pytest.mark.corpus
def test_seed_claims_against_the_stored_real_sources(
    database: DatabaseUnderTest, corpus_site: Site
) -> None:
    summary = _verify_seed(database, corpus_site)

    assert summary.status is RunStatus.SUCCEEDED
    assert [(s.plan.key, s.error_message) for s in summary.failed_sources] == []
    labels = {c.key: c.label for c in summary.claims}
    assert labels == EXPECTED
    reasons = {c.key: c.reason for c in summary.claims}
    _assert_reasons(reasons)
    # the real price list: Fireworks at $3.00 is 0.40 of GPT-4o's launch price, Azure above it
    ratio = reasons["llama-3.1-405b-half-price-of-gpt-4o"]
    assert "llama-v3p1-405b-instruct $3.00/M tokens" in ratio
    assert "azure_ai/Meta-Llama-3.1-405B-Instruct $8.00/M tokens" in ratio
    # each source was fetched once, whatever the number of claims linked to it
    assert all(corpus_site.requests[f"/{key}"] == 1 for key in CORPUS_FILES)
    # and the verdicts are in the store, as judged
    with db.session_scope(database.engine) as session:
        claims = {c.id or 0: c.key for c in session.exec(select(Claim))}
        stored = verdicts.latest_verdicts(session=session, claim_ids=list(claims))
        assert {claims[cid]: v.label for cid, v in stored.items()} == EXPECTED


@pytest.mark.corpus
def test_ratio_reason_names_each_source_once(
    database: DatabaseUnderTest, corpus_site: Site
) -> None:
    """Numerator and denominator come from the same price list: say so once, not twice."""
    summary = _verify_seed(database, corpus_site)

    ratio = next(c.reason for c in summary.claims if c.key.endswith("half-price-of-gpt-4o"))
    assert ratio.count("litellm model prices and context windows (as of") == 1, ratio


def test_every_demo_page_stands_in_for_a_declared_source() -> None:
    declared = {s.key for s in read_declarations([REPO / "sources"]).sources}

    assert set(load_pages(PAGES_DIR)) == declared


def _demo_labels(result_json: object) -> dict[str, str]:
    assert isinstance(result_json, dict)
    return {c["key"]: c["label"] for c in result_json["claims"]}


def test_demo_through_the_installed_command(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()

    result = run_cli("demo", "--json", cwd=tmp_path, env={"TMPDIR": str(scratch)}, subprocess=True)

    assert result.code == 0, result.stderr
    report = result.json()
    assert _demo_labels(report) == EXPECTED
    assert isinstance(report, dict) and report["failures"] == [] and report["status"] == "succeeded"
    _assert_reasons({c["key"]: c["reason"] for c in report["claims"]})
    assert "demo: imported 8 claims" in result.stderr
    assert "example pages" in result.stderr and "deleted" in result.stderr
    # the throwaway database is gone, and no database was made where the command ran
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "factcheck.db").exists()


def test_demo_table_and_kept_database(tmp_path: Path) -> None:
    kept = tmp_path / "kept"

    result = run_cli("demo", "--keep", str(kept), cwd=tmp_path)

    assert result.code == 0, result.stderr
    for key, label in EXPECTED.items():
        assert re.search(rf"^{re.escape(key)}\t{label}\t", result.stdout, re.M), key
    assert f"kept in {kept}" in result.stderr
    shown = run_cli(
        "claim",
        "show",
        "llama-3.1-450b-headline",
        "--json",
        db_url=f"sqlite:///{kept}/factcheck.db",
    )
    assert shown.code == 0, shown.stderr
    assert "refuted" in shown.stdout

    again = run_cli("demo", "--keep", str(kept), cwd=tmp_path)

    assert again.code == 2 and "exists" in again.stderr
