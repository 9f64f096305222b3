"""schema.org ClaimReview JSON-LD for the claims whose standing verdict can be published.

Output: a JSON array with one self-contained JSON-LD document per claim (each has its own
`@context`), so that a publisher can embed each element in its claim's page as-is. Fields
follow Google's fact-check markup documentation: required `claimReviewed` (kept under 75
characters), `reviewRating.alternateName` and `url`; recommended `author` (the configured
organisation), `datePublished`, `itemReviewed` (a Claim with `author`, `datePublished`,
`appearance`) and the rating's `ratingValue`, `bestRating`, `worstRating`, `name`.

The rating scale (1 worst .. 5 best):

    refuted           1  "False"
    mixed             3  "Mixed"
    supported         5  "True"

`not_enough_info` and `pending` have no place on a truth scale and are not published.
Streamed in claim batches: memory stays flat whatever the number of claims.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TextIO

from sqlmodel import Session, col, select

from factcheck.config import Settings
from factcheck.storage import verdicts
from factcheck.storage.models import Claim, ClaimTag, Verdict

SCHEMA_CONTEXT = "https://schema.org"
CLAIM_REVIEWED_MAX = 75  # Google: keep claimReviewed under 75 characters
WORST_RATING, BEST_RATING = 1, 5
BATCH = 500


@dataclass(frozen=True)
class Rating:
    value: int
    name: str


SCALE = {
    "refuted": Rating(1, "False"),
    "mixed": Rating(3, "Mixed"),
    "supported": Rating(5, "True"),
}


def shorten(text: str, limit: int = CLAIM_REVIEWED_MAX) -> str:
    """At most `limit` characters, cut at a word when there is one, with an ellipsis.

    >>> shorten("We released three models: 405B, 70B and 8B parameters.", 30)
    'We released three models…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"


def review_url(settings: Settings, key: str) -> str:
    """The page where the fact check is published: `<organisation_url>/claims/<key>`."""
    return f"{settings.organisation_url.rstrip('/')}/claims/{key}"


def claim_review(claim: Claim, verdict: Verdict, settings: Settings) -> dict[str, Any] | None:
    rating = SCALE.get(verdict.label)
    if rating is None:
        return None
    item: dict[str, Any] = {"@type": "Claim"}
    if claim.speaker:
        item["author"] = {"@type": "Person", "name": claim.speaker}
    if claim.said_on:
        item["datePublished"] = claim.said_on.isoformat()
    if claim.said_where:
        item["appearance"] = {"@type": "CreativeWork", "url": claim.said_where}
        item["firstAppearance"] = {"@type": "CreativeWork", "url": claim.said_where}
    if claim.statement:
        item["text"] = claim.statement
        item["inLanguage"] = claim.language
    organisation = {
        "@type": "Organization",
        "name": settings.organisation_name,
        "url": settings.organisation_url,
    }
    return {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": review_url(settings, claim.key),
        "claimReviewed": shorten(claim.statement_en or claim.statement),
        "author": organisation,
        "datePublished": verdict.created_at.date().isoformat(),
        "inLanguage": "en",
        "itemReviewed": item,
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating.value,
            "bestRating": BEST_RATING,
            "worstRating": WORST_RATING,
            "alternateName": rating.name,
            "name": rating.name,
            "ratingExplanation": verdict.reason,
        },
    }


def claim_reviews(
    *, session: Session, settings: Settings, tag: str | None = None, status: str | None = None
) -> Iterator[dict[str, Any]]:
    """One ClaimReview per claim whose standing verdict is on the scale, by claim id."""
    last_id = 0
    while True:
        query = select(Claim).where(col(Claim.id) > last_id).order_by(col(Claim.id)).limit(BATCH)
        if tag:
            query = query.where(
                col(Claim.id).in_(select(ClaimTag.claim_id).where(ClaimTag.tag == tag))
            )
        if status:
            query = query.where(Claim.status == status)
        claims = list(session.exec(query))
        if not claims:
            return
        last_id = claims[-1].id or 0
        standing = verdicts.effective_verdicts(
            session=session, claim_ids=[c.id for c in claims if c.id is not None]
        )
        for claim in claims:
            verdict = standing.get(claim.id or 0)
            review = claim_review(claim, verdict, settings) if verdict else None
            if review is not None:
                yield review
        session.expunge_all()


def write_claim_reviews(
    out: TextIO,
    *,
    session: Session,
    settings: Settings,
    tag: str | None = None,
    status: str | None = None,
) -> int:
    """Stream the JSON array into `out`; returns the number of reviews."""
    count = 0
    out.write("[")
    for review in claim_reviews(session=session, settings=settings, tag=tag, status=status):
        out.write(",\n" if count else "\n")
        out.write(json.dumps(review, ensure_ascii=False, indent=2))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
