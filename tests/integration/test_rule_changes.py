"""A changed rule (its options too) is neither reused nor judged on the old rule's evidence."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer
from sqlmodel import col, select

from factcheck.declarations.inputs import validate_link
from factcheck.storage import catalog, db
from factcheck.storage.models import Claim, Evidence
from factcheck.verification.pipeline import run_verification
from tests.support import DatabaseUnderTest, make_fast_settings, seed

PAGE = (Path(__file__).resolve().parents[1] / "pages" / "pipeline" / "size.html").read_bytes()
SETTINGS = make_fast_settings(obey_robots=True)


def _declare(tmp_path: Path, database: DatabaseUnderTest, url: str) -> None:
    path = tmp_path / "size.toml"
    path.write_text(
        f'[[source]]\nkey = "size-page"\nurl = "{url}"\nformat = "html"\n\n'
        '[[claim]]\nkey = "size"\nstatement = "405B"\nkind = "quantity"\nexpected = "405e9"\n'
        'unit = "parameters"\n  [[claim.evidence]]\n  source = "size-page"\n'
        '  rule_kind = "css"\n  rule = "#size"\n  options = { unit = "parameters" }\n',
        encoding="utf-8",
    )
    seed(database, path)


def _relink(database: DatabaseUnderTest, options: dict[str, object]) -> None:
    """Unlink and link again with other options: the expression stays the same."""
    with db.session_scope(database.engine) as session:
        claim = catalog.get_claim(session=session, key="size")
        source = catalog.get_source(session=session, key="size-page")
        catalog.unlink_claim(session=session, claim=claim, source=source)
        link = validate_link(
            {"source": "size-page", "rule_kind": "css", "rule": "#size", "options": options}
        )
        catalog.link_claim(session=session, claim=claim, source=source, link=link)


def _rows(database: DatabaseUnderTest) -> list[Evidence]:
    with db.session_scope(database.engine) as session:
        claim_id = session.exec(select(Claim.id).where(Claim.key == "size")).one()
        query = select(Evidence).where(Evidence.claim_id == claim_id).order_by(col(Evidence.id))
        return list(session.exec(query))


def test_changed_rule_options_are_not_reused_and_not_judged_on_old_evidence(
    httpserver: HTTPServer, database: DatabaseUnderTest, tmp_path: Path
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/page").respond_with_data(
        PAGE, content_type="text/html; charset=utf-8", headers={"ETag": '"v1"'}
    )
    _declare(tmp_path, database, httpserver.url_for("/page"))
    first = run_verification(engine=database.engine, settings=SETTINGS, force=True)
    assert [c.label for c in first.claims] == ["supported"]

    # same page, same selector, but now it reads an attribute that holds no figure
    _relink(database, {"unit": "parameters", "attr": "id"})
    second = run_verification(engine=database.engine, settings=SETTINGS, force=True)

    assert [s.reused for s in second.sources] == [False]  # fetched and parsed again, no 304 reuse
    rows = _rows(database)
    assert rows[-1].run_id == second.run_id and rows[-1].error_code == "no_quantity"
    assert rows[0].rule_fingerprint != rows[-1].rule_fingerprint
    (outcome,) = second.claims
    # the first rule's good evidence is not this rule's: nothing is left to support the claim
    assert outcome.label == "not_enough_info", outcome.reason
    assert "no_quantity" in outcome.reason
