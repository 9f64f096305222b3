"""The claim language through the CLI, on every database backend: expected values in words,
relations, units, quantifiers; how a claim is read back; and the one-line errors of a bad one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import Result, database_state

SOURCE = """
[[source]]
key = "prices"
url = "https://example.org/prices.json"
format = "json"
"""


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def refused(result: Result, *parts: str) -> str:
    """A usage error: exit 2, one line on stderr naming `parts`, no traceback."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


def _claim(body: str, evidence: str = "") -> str:
    return f'{SOURCE}\n[[claim]]\nkey = "c"\nstatement = "s"\n{body}\n{evidence}'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "claims.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_words_are_read_and_stored_canonically(cli) -> None:
    ok(
        cli(
            "claim", "add", "--key", "b", "--statement", "超过 88 分", "--kind", "quantity",
            "--expected", "超过 88 分",
        )
    )  # fmt: skip
    shown = ok(cli("claim", "show", "b", "--json")).json()
    assert shown["relation"] == "more_than" and shown["expected_amount"] == "88"
    assert shown["expected_text"] == "超过 88 分"
    assert shown["judged_as"].startswith("more than 88")
    ok(
        cli(
            "claim", "add", "--key", "p", "--statement", "$10/M", "--kind", "quantity",
            "--expected", "10", "--unit", "USD/M tokens",
        )
    )  # fmt: skip
    price = ok(cli("claim", "show", "p", "--json")).json()
    assert price["expected_amount"] == "0.00001" and price["expected_unit"] == "USD/token"
    assert "$10.00/M tokens" in price["judged_as"]
    text = ok(cli("claim", "show", "p")).stdout
    assert "\njudged as            $10.00/M tokens\n" in text  # claim show's aligned fields
    assert "\nstored               exact 0.00001, unit USD/token, tolerance -\n" in text


def test_an_edit_keeps_what_was_written(cli) -> None:
    ok(
        cli(
            "claim", "add", "--key", "o", "--statement", "s", "--kind", "quantity",
            "--expected", "at least 250,000 organisations",
        )
    )  # fmt: skip
    ok(cli("claim", "edit", "o", "--speaker", "someone"))
    shown = ok(cli("claim", "show", "o", "--json")).json()
    assert shown["expected_text"] == "at least 250,000 organisations"
    assert shown["relation"] == "at_least" and shown["expected_unit"] == "organisations"
    assert shown["judged_as"] == "at least 250,000 organisations"
    conflict = cli("claim", "edit", "o", "--relation", "at_most")
    refused(conflict, "relation", "at_least")


def test_dry_run_says_how_each_claim_is_read(cli, database, tmp_path: Path) -> None:
    path = _write(tmp_path, _claim('kind = "quantity"\nexpected = "4050 亿"\nunit = "parameters"'))
    before = database_state(database)
    result = ok(cli("import", "--dry-run", str(path)))
    assert "claim c: judged as 405B parameters (from '4050 亿')" in result.stderr
    assert database_state(database) == before


@pytest.mark.parametrize(
    ("body", "evidence", "parts"),
    [
        ('kind = "quantity"\nexpected = "5"\nunit = "USD/M tokns"', "", ["unit", "USD/M tokens"]),
        ('kind = "quantity"\nexpected = "8B or 70B"', "", ["field 'expected'"]),
        ('kind = "quantity"\nexpected = "数亿"', "", ["field 'expected'"]),
        ('kind = "quantity_set"\nexpected = ["8B"]\nrelation = "at_least"', "", ["relation"]),
        ('kind = "text"\nexpected = "x"\nquantifier = "all"', "", ["quantifier"]),
        ('kind = "quantity"\nexpected = "5"\nquantifier = "half"', "", ["quantifier"]),
        ('kind = "quantity"\nexpected = "5"\nwhere = ["price > 0"]', "", ["where"]),
        (
            'kind = "quantity"\nexpected = "5"\nquantifier = "all"',
            '[[claim.evidence]]\nsource = "prices"\nrule_kind = "json_path"\nrule = "$.a.b"',
            ["quantifier", "more than one record"],
        ),
    ],
)
def test_bad_declarations_name_file_entry_and_field(
    cli, database, tmp_path: Path, body: str, evidence: str, parts: list[str]
) -> None:
    path = _write(tmp_path, _claim(body, evidence))
    before = database_state(database)

    line = refused(cli("import", str(path)), "claims.toml", *parts)

    assert "claim" in line
    assert database_state(database) == before


def test_every_form_survives_the_editors_csv_round_trip(cli, tmp_path: Path) -> None:
    """Export claims, import the file back untouched: nothing changes, words and all."""
    forms = Path(__file__).parent.parent / "data" / "claim_forms.toml"
    between = _write(
        tmp_path,
        _claim('kind = "quantity"\nrelation = "between"\nexpected = ["35 million", "45 million"]'),
    )
    ok(cli("import", str(forms)))
    ok(cli("import", str(between)))
    ok(cli("export", "claims", "-o", "claims.csv"))

    again = ok(cli("import-csv", "claims.csv"))

    assert "0 updated, 9 unchanged" in again.stderr
    shown = ok(cli("claim", "show", "c", "--json")).json()
    assert (shown["expected_amount"], shown["expected_upper"]) == ("35000000", "45000000")
    assert shown["judged_as"] == "between 35 million and 45 million"
    most = ok(cli("claim", "show", "llama-405b-cheaper-on-most-providers", "--json")).json()
    assert most["quantifier"] == "most" and most["record_filter"] == ["value > 0"]


def test_claim_add_states_each_form(cli) -> None:
    def add(key: str, kind: str, *options: str) -> dict[str, object]:
        ok(cli("claim", "add", "--key", key, "--statement", key, "--kind", kind, *options))
        shown = ok(cli("claim", "show", key, "--json")).json()
        assert isinstance(shown, dict)
        return shown

    sizes = add("sizes", "quantity_set", "--relation", "includes", "--expected", "4050 亿个参数")
    assert sizes["judged_as"] == "includes 405B parameters (other values allowed)"
    released = add("released", "date", "--expected", "二〇二四年九月二十五日")
    assert released["expected_date"] == "2024-09-25" and released["expected_precision"] == "day"
    cheaper = add(
        "cheaper", "ratio", "--expected", "at most 0.5", "--quantifier", "80%",
        "--where", "value > 0", "--where", "key !~ *preview*",
    )  # fmt: skip
    assert cheaper["relation"] == "at_most" and cheaper["quantifier"] == "80%"
    assert cheaper["judged_as"] == (
        "numerator / denominator at most 0.5 on at least 80% of records, counting only "
        "records where value > 0 and key !~ *preview*"
    )
    nearly = add("nearly", "quantity", "--expected", "近 10 亿", "--unit", "people")
    assert nearly["relation"] == "nearly" and nearly["expected_unit"] == "people"


def test_editing_words_keeps_the_unit_and_lets_the_new_words_decide(cli, tmp_path: Path) -> None:
    """Found by a new user: an edit of the expected words dropped the unit, and the stored
    relation blocked new words that say another one."""
    ok(
        cli(
            "claim", "add", "--key", "u1", "--statement", "s", "--kind", "quantity",
            "--expected", "over 250,000", "--unit", "organisations",
        )
    )  # fmt: skip
    ok(cli("claim", "edit", "u1", "--expected", "at most 500,000"))
    shown = ok(cli("claim", "show", "u1", "--json")).json()
    assert (shown["relation"], shown["expected_amount"], shown["expected_unit"]) == (
        "at_most",
        "500000",
        "organisations",
    )
    assert shown["expected_text"] == "at most 500,000"
    ok(cli("claim", "edit", "u1", "--unit", "people"))  # the words name no unit: it may change
    assert ok(cli("claim", "show", "u1", "--json")).json()["expected_unit"] == "people"
    ok(cli("claim", "add", "--key", "u2", "--statement", "s", "--kind", "quantity",
           "--expected", "300000"))  # fmt: skip
    ok(cli("claim", "edit", "u2", "--expected", "at least 300000"))
    assert ok(cli("claim", "show", "u2", "--json")).json()["relation"] == "at_least"
    ok(cli("claim", "edit", "u2", "--expected", "300000"))  # plain figures again: exact
    assert ok(cli("claim", "show", "u2", "--json")).json()["relation"] == "exact"


def test_a_quantifier_is_checked_against_the_stored_links_on_edit(
    cli, database, tmp_path: Path
) -> None:
    path = _write(
        tmp_path,
        _claim(
            'kind = "quantity"\nexpected = "5"',
            '[[claim.evidence]]\nsource = "prices"\nrule_kind = "json_path"\nrule = "$.a.b"',
        ),
    )
    ok(cli("import", str(path)))
    before = database_state(database)

    refused(cli("claim", "edit", "c", "--quantifier", "most"), "quantifier", "more than one")

    assert database_state(database) == before
