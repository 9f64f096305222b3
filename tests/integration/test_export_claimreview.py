"""ClaimReview JSON-LD: parsed back and checked against Google's fact-check markup fields.

Google's documentation (developers.google.com/search/docs/appearance/structured-data/factcheck)
requires `claimReviewed`, `reviewRating` with `alternateName`, and `url`; it recommends
`author`, `datePublished`, `itemReviewed` (a Claim with `author`, `datePublished`,
`appearance`/`firstAppearance`) and the rating's `ratingValue`, `bestRating`, `worstRating`,
`name`. Every JSON-LD root needs `@context` https://schema.org and a `@type`.
"""

from __future__ import annotations

import io
import json
from datetime import date
from urllib.parse import urlsplit

from factcheck.config import Settings
from factcheck.editorial import claimreview
from factcheck.storage import db
from tests.integration.test_export import NOW, build
from tests.support import DatabaseUnderTest

SETTINGS = Settings(organisation_name="Example Checks", organisation_url="https://checks.example/")


def test_claimreview_has_every_field_google_documents(database: DatabaseUnderTest) -> None:
    build(database)  # price-drop: refuted by an editor; size-405b: not_enough_info; formula: none
    out = io.StringIO()
    with db.session_scope(database.engine) as session:
        count = claimreview.write_claim_reviews(out, session=session, settings=SETTINGS)
    documents = json.loads(out.getvalue())
    assert count == len(documents) == 1  # only verdicts on the scale are published
    review = documents[0]
    # JSON-LD roots
    assert review["@context"] == "https://schema.org" and review["@type"] == "ClaimReview"
    # required
    assert 0 < len(review["claimReviewed"]) <= claimreview.CLAIM_REVIEWED_MAX
    assert review["claimReviewed"] == "+half the price"
    assert review["url"] == "https://checks.example/claims/price-drop"
    assert urlsplit(review["url"]).hostname == urlsplit(SETTINGS.organisation_url).hostname
    rating = review["reviewRating"]
    assert rating["@type"] == "Rating" and rating["alternateName"] == "False"
    # recommended
    assert rating["name"] == "False"
    assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
    assert (rating["worstRating"], rating["ratingValue"], rating["bestRating"]) == (1, 1, 5)
    assert review["author"] == {
        "@type": "Organization",
        "name": "Example Checks",
        "url": "https://checks.example/",
    }
    date.fromisoformat(review["datePublished"])
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert review["itemReviewed"]["text"].startswith("-50% cheaper")  # JSON: no guard needed


def test_claim_with_speaker_date_and_place(database: DatabaseUnderTest) -> None:
    build(database)
    with db.session_scope(database.engine) as session:
        from factcheck.editorial import overrides

        overrides.set_override(
            session=session,
            key="size-405b",
            label="supported",
            editor="Cy",
            note="card says so",
            now=NOW,
        )
        reviews = list(claimreview.claim_reviews(session=session, settings=SETTINGS, tag="llama"))
    assert len(reviews) == 1
    item = reviews[0]["itemReviewed"]
    assert item["author"] == {"@type": "Person", "name": "Mark Zuckerberg"}
    assert item["datePublished"] == "2024-07-23"
    assert item["appearance"]["url"] == "https://example.org/interview"
    assert item["firstAppearance"]["url"] == "https://example.org/interview"
    assert item["inLanguage"] == "zh" and "4050" in item["text"]
    assert reviews[0]["reviewRating"]["ratingValue"] == 5
    assert reviews[0]["reviewRating"]["alternateName"] == "True"


def test_scale_is_documented_and_ordered() -> None:
    values = [claimreview.SCALE[label].value for label in ("refuted", "mixed", "supported")]
    assert values == sorted(values)
    assert min(values) >= claimreview.WORST_RATING and max(values) <= claimreview.BEST_RATING
    assert set(claimreview.SCALE) == {"refuted", "mixed", "supported"}
    for label, rating in claimreview.SCALE.items():
        assert f"{label}" in (claimreview.__doc__ or "") and rating.name in claimreview.__doc__
