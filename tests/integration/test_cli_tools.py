"""`factcheck quantity`, `factcheck rule test` and `factcheck verify` through the entry point."""

from __future__ import annotations

from pathlib import Path

from pytest_httpserver import HTTPServer

from tests.support import run_cli

LOOPBACK = {
    "FACTCHECK_ALLOW_LOOPBACK": "1",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_RETRIES": "0",
}
CARD = (
    "<html><head><title>Model card</title></head><body><h1>Example LM</h1>"
    "<p>Released in <b>8B</b>, <b>70B</b> and <b>405B</b> sizes.</p></body></html>"
)


def test_quantity_reads_chinese_and_english(tmp_path: Path) -> None:
    result = run_cli("quantity", "超过2亿人", "--json", cwd=tmp_path)
    assert result.code == 0, result.stderr
    found = result.json()["quantities"]  # type: ignore[index]
    assert found[0]["amount"] == "200000000" and found[0]["bound"] == "at_least"
    lines = run_cli(
        "quantity",
        "-",
        "--json",
        cwd=tmp_path,
        stdin="16.4亿\n$3.50 per million tokens\nnothing\n",
        subprocess=True,  # a real stdin pipe
    )
    data = lines.json()
    assert [q["amount"] for line in data for q in line["quantities"]] == ["1640000000", "0.0000035"]  # type: ignore[index, union-attr]
    assert data[2]["quantities"] == []  # type: ignore[index]


def test_rule_test_shows_hits_and_figures(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/card").respond_with_data(CARD, content_type="text/html")
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    result = run_cli(
        "rule",
        "test",
        httpserver.url_for("/card"),
        "--rule-kind",
        "css",
        "--rule",
        "p b",
        "--option",
        "unit=parameters",
        "--json",
        cwd=tmp_path,
        env=LOOPBACK,
    )
    assert result.code == 0, result.stderr
    hits = result.json()["hits"]  # type: ignore[index]
    assert [h["quantity"]["amount"] for h in hits] == ["8000000000", "70000000000", "405000000000"]
    assert all(h["quantity"]["unit"] == "parameters" for h in hits)
    bad = run_cli(
        "rule",
        "test",
        httpserver.url_for("/card"),
        "--rule-kind",
        "css",
        "--rule",
        "p[",
        cwd=tmp_path,
        env=LOOPBACK,
    )
    assert bad.code == 2 and "Traceback" not in bad.stderr


def test_rule_test_refuses_loopback_unless_allowed(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/card").respond_with_data(CARD, content_type="text/html")
    result = run_cli(
        "rule",
        "test",
        httpserver.url_for("/card"),
        "--rule-kind",
        "css",
        "--rule",
        "p",
        cwd=tmp_path,
    )
    assert result.code == 1
    assert "which is loopback" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert len(httpserver.log) == 0


def test_verify_records_verdicts_and_exits_3_when_a_source_fails(
    cli, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/card").respond_with_data(CARD, content_type="text/html")
    card = httpserver.url_for("/card")
    assert cli("source", "add", "--key", "card", "--url", card, subprocess=True).code == 0
    assert (
        cli(
            "claim",
            "add",
            "--key",
            "sizes",
            "--statement",
            "8B, 70B and 405B",
            "--kind",
            "quantity_set",
            "--expected",
            "8e9",
            "--expected",
            "70e9",
            "--expected",
            "405e9",
            "--unit",
            "parameters",
            subprocess=True,
        ).code
        == 0
    )
    assert (
        cli(
            "claim",
            "link",
            "sizes",
            "card",
            "--rule-kind",
            "css",
            "--rule",
            "p b",
            "--option",
            "unit=parameters",
            "--authoritative",
        ).code
        == 0
    )
    first = cli("verify", "--json", env=LOOPBACK, subprocess=True)
    assert first.code == 0, first.stderr
    report = first.json()
    assert report["claims"][0]["label"] == "supported"  # type: ignore[index]
    assert first.stdout.lstrip().startswith("{")  # messages stay on stderr
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/card").respond_with_data("down", status=500)
    second = cli("verify", "--all", env=LOOPBACK)
    assert second.code == 3, second.stderr
    assert f"failed: card (http_status, HTTP 500) {httpserver.url_for('/card')}: " in second.stderr
    shown = cli("claim", "show", "sizes", "--json").json()
    assert shown["latest_verdict"]["label"] == "supported"  # type: ignore[index]
