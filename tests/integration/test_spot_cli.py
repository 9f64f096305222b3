"""`factcheck spot` through the entry point: files, stdin and a URL in; a table, JSON or drafts
out; drafts that import refuses until finished; stored claims reported as known."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.support import REPO, Result, run_cli, seed
from tests.unit.test_spot_drafts import _dump

LOOPBACK = {
    "FACTCHECK_ALLOW_LOOPBACK": "1",
    "FACTCHECK_PER_HOST_DELAY_S": "0",
    "FACTCHECK_RETRIES": "0",
}
EN = (
    "# Llama 3.1\n"
    "\n"
    "Meta released Llama 3.1 in three sizes: 405B, 70B and 8B parameters.\n"
    "\n"
    "The weather was pleasant that day.\n"
)
ZH = "今天天气很好。\n\n我们发布了三个模型，其中最大的有 4050 亿个参数。\n"
HOSTILE = (
    "<!DOCTYPE html><html><head><style>p { color: red } /* 999B */</style>"
    "<script>document.write('9000B parameters')</script></head><body>"
    "<div><div><p>Meta released <b>Llama 3.1 <i>405B</i></b> with "
    "<span>405 billion parameters</span>.</p></div></div>"
    "<!-- 777B hidden --><noscript>x</noscript></body></html>"
)
SOURCE = '[[source]]\nkey = "card"\nurl = "https://example.org/card"\nformat = "text"\n'
STATEMENT_KEY = "llama-3.1-released-sizes"
Cli = Callable[..., Result]


def _spot(tmp_path: Path, name: str, text: str, *args: str) -> Result:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return run_cli("spot", str(path), *args, cwd=tmp_path)


def _found(result: Result) -> list[dict]:  # type: ignore[type-arg]
    assert result.code == 0, result.stderr
    found = result.json()
    assert isinstance(found, list)
    return found


def test_english_text_as_a_table_and_as_json(tmp_path: Path) -> None:
    table = _spot(tmp_path, "a.md", EN)
    assert table.code == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split("\t") == [
        "rank",
        "line",
        "type",
        "score",
        "figures",
        "sentence",
        "suggested kind",
        "known",
    ]
    assert "no database: not checked against known claims" in table.stderr
    assert any("405B, 70B and 8B" in row for row in rows)
    found = _found(_spot(tmp_path, "a.md", EN, "--json"))
    sizes = [f for f in found if "405B" in f["sentence"]]
    assert sizes and sizes[0]["line"] == 3 and sizes[0]["figures"]
    assert set(sizes[0]) >= {"start", "end", "type", "types", "score", "features", "suggestion"}
    assert not [f for f in found if "weather" in f["sentence"]]


def test_chinese_text(tmp_path: Path) -> None:
    found = _found(_spot(tmp_path, "zh.txt", ZH, "--json", "--lang", "zh"))
    assert [f["line"] for f in found if "4050" in f["sentence"]] == [3]
    assert not [f for f in found if "天气" in f["sentence"]]
    top = _found(_spot(tmp_path, "zh.txt", ZH + ZH.replace("4050", "700"), "--json", "--top", "1"))
    assert len(top) == 1


def test_hostile_html_is_read_as_text(tmp_path: Path) -> None:
    found = _found(_spot(tmp_path, "page.html", HOSTILE, "--json"))
    text = " ".join(f["sentence"] for f in found)
    assert "405" in text
    for hidden in ("9000B", "999B", "777B", "<", "document.write"):
        assert hidden not in text


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty input"),
        (b" \n\t\n", "empty input"),
        (b"405B\x00\x01", "binary"),
        (b"\xff\xfe\x80 405B", "not text"),
    ],
)
def test_empty_and_binary_input_refused(tmp_path: Path, content: bytes, says: str) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(content)
    result = run_cli("spot", str(path), cwd=tmp_path)
    assert result.code == 2 and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_bad_options_refused(tmp_path: Path) -> None:
    for args in (["--lang", "fr"], ["--said-on", "2024-13-01"], ["--json", "--toml"]):
        result = _spot(tmp_path, "a.txt", EN, *args)
        assert result.code == 2 and "Traceback" not in result.stderr, args


def test_a_url_through_the_fetcher(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/article").respond_with_data(
        HOSTILE, content_type="text/html; charset=utf-8"
    )
    url = httpserver.url_for("/article")
    found = _found(run_cli("spot", url, "--json", cwd=tmp_path, env=LOOPBACK))
    assert any("405" in f["sentence"] for f in found)
    assert "9000B" not in " ".join(f["sentence"] for f in found)
    refused = run_cli("spot", url, cwd=tmp_path)  # loopback is refused unless allowed
    assert refused.code != 0 and "Traceback" not in refused.stderr


@pytest.mark.db
def test_drafts_round_trip_through_import(cli: Cli, tmp_path: Path) -> None:
    article = tmp_path / "article.md"
    article.write_text(EN, encoding="utf-8")
    drafted = cli("spot", str(article), "--toml", "--speaker", "Meta", "--said-on", "2024-07-23")
    assert drafted.code == 0, drafted.stderr
    claims = tomllib.loads(drafted.stdout)["claim"]
    assert claims and all(c["draft"] is True for c in claims)
    assert all(c["speaker"] == "Meta" for c in claims)
    assert any("405B" in c["statement"] for c in claims)
    as_drafted = tmp_path / "drafts.toml"
    as_drafted.write_text(SOURCE + drafted.stdout, encoding="utf-8")
    refused = cli("import", "--dry-run", str(as_drafted))
    assert refused.code == 2 and "is a draft: give it a source" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    evidence = {"source": "card", "rule_kind": "contains", "rule": "405B"}
    finished = [
        {k: v for k, v in c.items() if k != "draft"} | {"evidence": [evidence]} for c in claims
    ]
    done = tmp_path / "finished.toml"
    done.write_text(_dump(tomllib.loads(SOURCE) | {"claim": finished}), encoding="utf-8")
    accepted = cli("import", "--dry-run", str(done))
    assert accepted.code == 0, accepted.stderr
    assert cli("claim", "list", "--json").json() == []  # a dry run and a draft write nothing


@pytest.mark.db
def test_a_stored_claim_is_reported_as_known(cli: Cli, database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(database, REPO / "sources")
    stored = tomllib.loads((REPO / "sources" / "llama-3.1-models.toml").read_text("utf-8"))
    statement = next(c["statement"] for c in stored["claim"] if c["key"] == STATEMENT_KEY)
    article = tmp_path / "interview.txt"
    article.write_text(f"主持人问了很多问题。\n\n{statement}。\n", encoding="utf-8")
    found = cli("spot", str(article), "--json")
    assert found.code == 0, found.stderr
    known = [f["known"] for f in found.json() if f["known"]]  # type: ignore[union-attr]
    assert known and {k["key"] for k in known} == {STATEMENT_KEY}
    assert all(k["label"] is None for k in known)  # not verified yet: no verdict
    assert "no database" not in found.stderr
    drafted = cli("spot", str(article), "--toml")
    assert f"# known: claim {STATEMENT_KEY} (no verdict yet)" in drafted.stdout
    table = cli("spot", str(article))
    assert f"{STATEMENT_KEY} (no verdict)" in table.stdout
