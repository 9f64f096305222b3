"""planning.plan_sources: a worker holding only source ids rebuilds the plans plan_run makes."""

from __future__ import annotations

from pathlib import Path

from factcheck.domain import utcnow
from factcheck.storage import catalog
from factcheck.storage.db import session_scope
from factcheck.verification.planning import plan_run, plan_sources
from tests.support import DatabaseUnderTest, seed

DECLARED = """
[[source]]
key = "{name}"
url = "http://127.0.0.1:9/{name}.txt"
format = "text"
title = "{name}"
recheck_hours = 24
"""

CLAIM = """
[[claim]]
key = "{key}"
statement = "The model has 405B parameters."
kind = "quantity"
expected = "405e9"
unit = "parameters"
{links}
"""

LINK = """
  [[claim.evidence]]
  source = "{source}"
  rule_kind = "regex"
  rule = '(?P<value>\\\\d+B) {word}'
  options = {{ unit = "parameters" }}
"""


def _declare(database: DatabaseUnderTest, folder: Path) -> dict[str, int]:
    """Sources a, b, c; claim x links a and b, claim y links a and c, claim z links c."""
    text = "".join(DECLARED.format(name=n) for n in "abc")
    for key, sources in (("x", "ab"), ("y", "ac"), ("z", "c")):
        links = "".join(LINK.format(source=s, word=f"{key}-words") for s in sources)
        text += CLAIM.format(key=key, links=links)
    path = folder / "declared.toml"
    path.write_text(text, encoding="utf-8")
    seed(database, path)
    with session_scope(database.engine) as session:
        return {n: catalog.get_source(session=session, key=n).id or 0 for n in "abc"}


def test_plan_sources_are_the_forced_plans_of_exactly_those_sources(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    ids = _declare(database, tmp_path)
    now = utcnow()
    with session_scope(database.engine) as session:
        forced = {p.source_id: p for p in plan_run(session=session, force=True, now=now).sources}
        some = plan_sources(session=session, source_ids=[ids["c"], ids["a"]], now=now)
    assert [p.source_id for p in some] == [ids["a"], ids["c"]]
    assert some == [forced[ids["a"]], forced[ids["c"]]]
    assert [link.claim_key for link in some[0].links] == ["x", "y"]
    assert [link.claim_key for link in some[1].links] == ["y", "z"]


def test_plan_sources_keep_only_the_links_of_the_named_claims(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    ids = _declare(database, tmp_path)
    now = utcnow()
    with session_scope(database.engine) as session:
        y_id = catalog.get_claim(session=session, key="y").id or 0
        named = plan_run(session=session, claim_keys=["y"], now=now).sources
        some = plan_sources(
            session=session, source_ids=list(ids.values()), claim_ids=[y_id], now=now
        )
    # b has no link of y: no plan; a and c carry y's link only, as a run of y plans them
    assert [p.source_id for p in some] == [ids["a"], ids["c"]]
    assert some == list(named)
    assert all([link.claim_key for link in p.links] == ["y"] for p in some)


def test_plan_sources_leave_out_retired_claims_unless_named(
    database: DatabaseUnderTest, tmp_path: Path
) -> None:
    ids = _declare(database, tmp_path)
    now = utcnow()
    with session_scope(database.engine) as session:
        z = catalog.get_claim(session=session, key="z")
        catalog.retire_claim(session=session, claim=z, now=now)
    with session_scope(database.engine) as session:
        (c_plan,) = plan_sources(session=session, source_ids=[ids["c"]], now=now)
        (c_named,) = plan_sources(
            session=session, source_ids=[ids["c"]], claim_ids=[z.id or 0], now=now
        )
        assert plan_sources(session=session, source_ids=[], now=now) == []
    assert [link.claim_key for link in c_plan.links] == ["y"]
    assert [link.claim_key for link in c_named.links] == ["z"]
