"""spotting.drafts from hand-built Spotted values: TOML an editor can finish, and import refuses
until it is finished."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from factcheck.declarations.files import read_declarations
from factcheck.errors import SourceFileError
from factcheck.spotting.drafts import drafts_toml, known_claims, squash
from factcheck.spotting.sentences import Sentence
from factcheck.spotting.spot import Spotted, Suggestion

SOURCE = """
[[source]]
key = "card"
url = "https://example.org/card"
format = "text"
"""
EVIDENCE = {"source": "card", "rule_kind": "contains", "rule": "405B"}


def _spotted(
    text: str,
    *,
    lang: str = "en",
    line: int = 1,
    claim_type: str = "quantity",
    suggestion: Suggestion | None = None,
) -> Spotted:
    return Spotted(
        sentence=Sentence(text, line, 0, len(text), lang),
        claim_type=claim_type,
        types=(claim_type, "entities"),
        figures=("405B",),
        score=0.8,
        features=(("figure", 0.5), ("cue:first", 0.3)),
        suggestion=suggestion or Suggestion("quantity", "405B", "parameters", None),
    )


EN = _spotted("Llama 3.1 comes in a 405B size.", line=3)
ZH = _spotted("这是我们首次发布 4050 亿个参数的模型。", lang="zh", line=9)
PREDICTION = _spotted(
    "It will be the most used assistant by the end of this year.",
    claim_type="prediction",
    suggestion=Suggestion("prediction", "most used assistant", None, date(2024, 12, 31)),
)


def _drafts(*spotted: Spotted, **known: tuple[str, str | None]) -> tuple[str, list[dict]]:  # type: ignore[type-arg]
    text = drafts_toml(
        spotted,
        speaker="Mark Zuckerberg",
        said_on=date(2024, 7, 23),
        said_where=None,
        known={int(k[1:]): v for k, v in known.items()},
    )
    return text, tomllib.loads(text).get("claim", [])


def test_each_spotted_sentence_is_a_draft_with_its_suggestion() -> None:
    text, claims = _drafts(EN, ZH, PREDICTION)
    assert [c["draft"] for c in claims] == [True, True, True]
    en, zh, prediction = claims
    assert en["statement"] == en["statement_en"] == EN.sentence.text
    assert (en["language"], en["kind"], en["expected"], en["unit"]) == (
        "en",
        "quantity",
        "405B",
        "parameters",
    )
    assert zh["language"] == "zh" and "statement_en" not in zh  # left for the editor
    assert zh["speaker"] == "Mark Zuckerberg" and zh["said_on"] == date(2024, 7, 23)
    assert prediction["kind"] == "prediction" and prediction["due"] == date(2024, 12, 31)
    assert prediction["inner_kind"] == "text"
    assert len({c["key"] for c in claims}) == 3
    assert "# quantity (types: quantity, entities) · score 0.80 · line 9" in text
    assert "# features: figure +0.50, cue:first +0.30" in text
    assert "# [[claim.evidence]]" in text and '# statement_en = ""' in text


def test_same_words_get_distinct_keys() -> None:
    _, claims = _drafts(EN, EN, EN)
    keys = [c["key"] for c in claims]
    assert keys[0] == "quantity-llama-3-1-comes-in-a" and len(set(keys)) == 3


def test_a_suggestion_that_does_not_validate_becomes_a_comment() -> None:
    bad = _spotted(
        "It costs 12 zorkmids.", suggestion=Suggestion("quantity", "12", "zorkmid", None)
    )
    text, (claim,) = _drafts(bad)
    assert claim["kind"] == "text" and "unit" not in claim and "expected" not in claim
    assert "# suggested kind=quantity, expected=12, unit=zorkmid; it does not validate" in text


def test_known_sentences_are_comments_not_drafts() -> None:
    text, claims = _drafts(EN, ZH, i1=("llama-3.1-405b", "true"))
    assert [c["language"] for c in claims] == ["en"]
    assert "# known: claim llama-3.1-405b (true), not drafted again:" in text
    assert f"#   line 9: {ZH.sentence.text}" in text


def test_known_claims_match_on_normalised_whitespace_both_ways() -> None:
    stored = [
        ("sizes", "这是我们首次发布 4050 亿个参数的模型。我们还发布了 70B", None),
        ("size", "Llama 3.1   comes in a\n405B size.", "false"),
    ]
    assert known_claims([ZH, EN, PREDICTION], stored) == {0: ("sizes", None), 1: ("size", "false")}
    inside = _spotted("Today: Llama 3.1 comes in a 405B size. Really.")
    assert known_claims([inside], stored) == {0: ("size", "false")}
    assert known_claims([EN], [("empty", "", None)]) == {}
    assert squash(" a \n\t b ") == "a b"


def test_import_refuses_a_draft_and_takes_it_once_finished(tmp_path: Path) -> None:
    text, _ = _drafts(ZH)
    path = tmp_path / "drafts.toml"
    path.write_text(SOURCE + text, encoding="utf-8")
    with pytest.raises(SourceFileError) as refused:
        read_declarations([path])
    message = str(refused.value)
    assert "\n" not in message
    assert message == (
        f"{path}: claim 'quantity-4050' is a draft: give it a source ([[claim.evidence]]) "
        "and remove draft = true"
    )
    claim = tomllib.loads(text)["claim"][0]
    finished = {k: v for k, v in claim.items() if k != "draft"}
    document = tomllib.loads(SOURCE) | {"claim": [finished | {"evidence": [EVIDENCE]}]}
    path.write_text(_dump(document), encoding="utf-8")
    declared = read_declarations([path])
    assert [c.key for c in declared.claims] == ["quantity-4050"]


def test_draft_false_is_accepted_and_a_non_boolean_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    entry = '[[claim]]\nkey = "k"\nstatement = "s"\nkind = "text"\ndraft = {}\n'
    path.write_text(entry.format("false"), encoding="utf-8")
    assert [c.key for c in read_declarations([path]).claims] == ["k"]
    path.write_text(entry.format('"yes"'), encoding="utf-8")
    with pytest.raises(SourceFileError, match=r"claim 'k': field 'draft': expected true or false"):
        read_declarations([path])


def _dump(document: dict) -> str:  # type: ignore[type-arg]
    """Just enough TOML for these documents (tomllib has no writer)."""
    from factcheck.spotting.drafts import toml_string

    def value(v: object) -> str:
        if isinstance(v, date):
            return v.isoformat()
        if isinstance(v, bool):
            return "true" if v else "false"
        return toml_string(str(v))

    out: list[str] = []
    for table in ("source", "claim"):
        for entry in document.get(table, []):
            out.append(f"[[{table}]]")
            out += [f"{k} = {value(v)}" for k, v in entry.items() if k != "evidence"]
            for link in entry.get("evidence", []):
                out.append("[[claim.evidence]]")
                out += [f"{k} = {value(v)}" for k, v in link.items()]
    return "\n".join(out) + "\n"
