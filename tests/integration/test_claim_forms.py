"""Every form of claim people make, declared in TOML and judged against real stored sources.

tests/data/claim_forms.toml holds one claim per form (bounds on both sides, a quantifier with a
placeholder excluded, membership, a converted unit, a date in Chinese words); the sources are
the stored copies in ../shared/corpus, served on 127.0.0.1, on every database backend. Each
verdict must follow from the figures, and its reason must name the deciding figure and bound.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factcheck.declarations.files import read_declarations
from factcheck.demo import Page, Site, point_sources, serve
from factcheck.domain import RunStatus, utcnow
from factcheck.storage import catalog, db
from factcheck.verification.pipeline import RunSummary, run_verification
from tests.support import IN_CI, REPO, SHARED, DatabaseUnderTest, make_fast_settings

CORPUS = SHARED / "corpus"
FORMS = REPO / "tests" / "data" / "claim_forms.toml"
TEXT = "text/plain; charset=utf-8"
FILES = {
    "disclosures": ("cache-register_curated_disclosures.csv", "text/csv"),
    "prices-2024-07-25": ("litellm-prices_via-tokencost_2024-07-25.json", "application/json"),
    "model-card-3.1": ("llama-models_llama3_1_MODEL_CARD.md", TEXT),
    "model-card-3.2-vision": ("llama-models_llama3_2_MODEL_CARD_VISION.md", TEXT),
}

# key -> (label, what the reason must say: the deciding figure and bound)
EXPECTED = {
    "anthropic-at-least-250k-business-customers": (
        "supported",
        ["at least 300,000 organisations is at least 250,000"],
    ),
    "anthropic-more-than-400k-business-customers": (
        "not_enough_info",
        ["300,000", "more than 400,000"],
    ),
    "meta-ai-more-than-a-billion-monthly": ("refuted", ["1 billion"]),
    "llama-405b-cheaper-on-most-providers": (
        "refuted",
        ["vertex_ai/meta/llama3-405b-instruct-maas", "value > 0", "groq/llama-3.1-405b"],
    ),
    "llama-405b-cheaper-on-some-provider": ("supported", ["groq/llama-3.1-405b-reasoning"]),
    "llama-3.1-comes-in-405b": ("supported", ["405B"]),
    "gpt-4o-input-5-dollars-per-million": ("supported", ["$5.00/M tokens"]),
    "llama-3.2-vision-released": ("supported", ["Sept 25, 2024"]),
}


@pytest.fixture
def corpus_site() -> Iterator[Site]:
    if not CORPUS.is_dir():
        if IN_CI:
            pytest.fail(f"the stored sources are required in CI and missing: {CORPUS}")
        pytest.skip(f"no stored sources at {CORPUS}")
    pages = {key: Page((CORPUS / name).read_bytes(), kind) for key, (name, kind) in FILES.items()}
    with serve(pages) as site:
        yield site


def _verify(database: DatabaseUnderTest, site: Site) -> RunSummary:
    declared = point_sources(read_declarations([FORMS]), base_url=site.url)
    with db.session_scope(database.engine) as session:
        catalog.apply_declarations(session=session, declared=declared, now=utcnow())
    settings = make_fast_settings(database_url=database.url, workers=4)
    return run_verification(engine=database.engine, settings=settings)


@pytest.mark.corpus
def test_every_form_is_judged_from_its_figures(
    database: DatabaseUnderTest, corpus_site: Site
) -> None:
    summary = _verify(database, corpus_site)

    assert summary.status is RunStatus.SUCCEEDED
    assert [(s.plan.key, s.error_message) for s in summary.failed_sources] == []
    judged = {c.key: (c.label, c.reason) for c in summary.claims}
    assert {key: label for key, (label, _) in judged.items()} == {
        key: label for key, (label, _) in EXPECTED.items()
    }
    for key, (_, parts) in EXPECTED.items():
        for part in parts:
            assert part in judged[key][1], f"{key}: {part!r} not in {judged[key][1]!r}"


def test_the_forms_file_is_what_the_readme_quotes() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    declared = read_declarations([FORMS])

    for claim in declared.claims:
        assert claim.key in readme, f"README does not show the {claim.key} example"
