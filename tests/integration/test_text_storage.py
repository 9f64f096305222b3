"""Scraped text that no database would store (NUL, lone surrogates) is stored, replaced by
U+FFFD, identically on SQLite and PostgreSQL: through `records.hit_json` and
`runs.insert_evidence`, and through a whole `record_source` of a hostile JSON page.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import select

from factcheck.domain import Fetched, Hit, Quantity, Role, Rule, RuleKind, SourceFormat
from factcheck.extraction.rules import parse_document
from factcheck.storage import db, records, runs
from factcheck.storage.models import Claim, Evidence, Snapshot, Source
from factcheck.verification.planning import LinkPlan, SourcePlan
from factcheck.verification.source_unit import SourceResult, extract_links, record_source
from tests.support import DatabaseUnderTest

NOW = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)
R = "\ufffd"


def _rows(database: DatabaseUnderTest) -> tuple[int, int, int]:
    """A claim, a source and a run to hang evidence on: (claim_id, source_id, run_id)."""
    with db.session_scope(database.engine) as session:
        claim = Claim(key="c", statement="A says B", kind="text", expected_pattern="B")
        source = Source(key="s", url="https://example.org/s.json", format="json")
        session.add(claim)
        session.add(source)
        session.flush()
        run = runs.start_run(session=session, trigger="manual", now=NOW)
        assert claim.id is not None and source.id is not None and run.id is not None
        return claim.id, source.id, run.id


def test_a_hit_with_nul_and_a_lone_surrogate_is_stored_and_read_back(
    database: DatabaseUnderTest,
) -> None:
    claim_id, source_id, run_id = _rows(database)
    hit = Hit(raw="a\ud800b\x00c", excerpt="… \x00 …", location='$["k\x00"]', key="k\udfff")
    quantity = Quantity(amount=Decimal(5), unit="users", text="5\ud800")
    row = {
        "run_id": run_id,
        "claim_id": claim_id,
        "source_id": source_id,
        "role": "value",
        "rule_kind": "json_path",
        "rule": "$.*",
        "fetched_at": NOW,
        "hits": [records.hit_json(hit, quantity)],
        "raw": hit.raw,
        "excerpt": hit.excerpt,
        "error_message": "note \x00\ud800",
    }
    with db.session_scope(database.engine) as session:
        runs.insert_evidence(session=session, rows=[records.storable_row(row)])
    with db.session_scope(database.engine) as session:
        stored = session.exec(select(Evidence)).one()
        (back,), (q,) = records.hits_from_json(stored.hits)
        assert (stored.raw, stored.excerpt) == (f"a{R}b{R}c", f"… {R} …")
        assert stored.error_message == f"note {R}{R}"
    assert back == Hit(raw=f"a{R}b{R}c", excerpt=f"… {R} …", location=f'$["k{R}"]', key=f"k{R}")
    assert q is not None and (q.amount, q.text) == (Decimal(5), f"5{R}")


def test_a_hostile_json_page_is_recorded_whole(database: DatabaseUnderTest) -> None:
    claim_id, source_id, run_id = _rows(database)
    body = rb'{"model\u0000": "open \ud800weights", "other": "\u0000"}'
    link = LinkPlan(
        claim_id, "c", Role.VALUE.value, Rule(RuleKind.JSON_PATH, "$.*"), "f", None, False, None
    )
    plan = SourcePlan(
        source_id, "s", "https://example.org/s.json", SourceFormat.JSON, None, None, None, (link,)
    )
    fetched = Fetched(
        url=plan.url,
        final_url="https://example.org/s.json?\x00",
        status=200,
        headers={},
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        fetched_at=NOW,
        etag='W/"\x00"',
        last_modified="Mon, 03 Mar 2031 \ud800",
        content_type="application/json\x00",
    )
    document = parse_document(body, fmt=SourceFormat.JSON, encoding="utf-8")
    result = SourceResult(plan, fetched, links=extract_links(document, plan.links))
    with db.session_scope(database.engine) as session:
        record_source(session=session, run_id=run_id, result=result, now=NOW)
    with db.session_scope(database.engine) as session:
        row = session.exec(select(Evidence)).one()
        source = session.get(Source, source_id)
        snapshot = session.exec(select(Snapshot)).one()
        assert row.error_code is None
        assert [(h["key"], h["raw"]) for h in row.hits] == [
            (f"model{R}", f"open {R}weights"),
            ("other", R),
        ]
        assert row.raw == f"open {R}weights"
        assert row.error_message is not None
        assert row.error_message.endswith("unstorable characters replaced with U+FFFD")
        assert (row.final_url, row.etag) == (f"https://example.org/s.json?{R}", f'W/"{R}"')
        assert source is not None
        assert (source.etag, source.last_modified) == (f'W/"{R}"', f"Mon, 03 Mar 2031 {R}")
        assert snapshot.content_type == f"application/json{R}"
