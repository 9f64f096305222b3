"""The claim fields' table agrees with the model, the inputs, the CSV columns and the CLI."""

from __future__ import annotations

import io
import typing

import pytest

from factcheck.declarations.claim_fields import CLAIM_FIELDS, EDITABLE_FIELDS, FIELDS
from factcheck.declarations.inputs import ClaimInput, validate_claim
from factcheck.editorial import columns, csvimport
from factcheck.errors import ValidationError
from factcheck.storage.models import Claim

BOOKKEEPING = {"id", "created_at", "updated_at"}  # Claim columns no one declares


def test_every_declared_column_is_on_the_model_with_its_type() -> None:
    model = {name: info.annotation for name, info in Claim.model_fields.items()}
    declared = {column: kind for f in CLAIM_FIELDS for column, kind in f.columns}
    for column, kind in declared.items():
        assert column in model, f"{column} is declared but not a Claim column"
        assert model[column] == kind, f"{column}: model {model[column]}, declared {kind}"
    assert set(model) - BOOKKEEPING == set(declared), "a Claim column no field declares"


def test_every_column_is_an_input_attribute() -> None:
    # storage.records.claim_columns reads each column from the same-named ClaimInput attribute
    hints = typing.get_type_hints(ClaimInput)
    for f in CLAIM_FIELDS:
        for column, _ in f.columns:
            assert column in hints, f"ClaimInput has no {column} (field {f.name})"
    assert "tags" in hints


def test_import_csv_reads_exactly_the_editable_fields() -> None:
    names = [f.name for f in EDITABLE_FIELDS]
    assert list(columns.EDITABLE) == names
    assert [c.name for c in columns.CLAIM_COLUMNS[: len(CLAIM_FIELDS)]] == list(FIELDS)
    # the header may hold the editable columns alone, in any order; each one is required
    header = ",".join(reversed(names))
    got, rows = csvimport.read_rows(io.StringIO(header + "\r\n"))
    assert got == list(reversed(names)) and rows == []
    for missing in names:
        partial = ",".join(n for n in names if n != missing)
        with pytest.raises(ValidationError, match=f"column '{missing}' is missing"):
            csvimport.read_rows(io.StringIO(partial + "\r\n"))
    # a row entry takes those cells by name and nothing else
    cells = {name: "" for name in names} | {
        "key": "k",
        "statement": "s",
        "kind": "text",
        "label": "supported",  # an export column: ignored
    }
    assert set(csvimport.row_entry(cells)) <= set(names)


FULL_ENTRY = {
    "key": "open-weights-by-2026",
    "statement": "到2026年我们会发布 4050 亿参数的开放模型",
    "language": "zh",
    "statement_en": "By 2026 we will release a 405B open model",
    "speaker": "Ann",
    "said_on": "2024-07-23",
    "said_where": "https://example.org/post",
    "subject": "Llama",
    "property": "parameter count",
    "kind": "prediction",
    "inner_kind": "quantity",
    "expected": "405e9",
    "unit": "parameters",
    "tolerance": "0.1",
    "comparison": "approx",
    "relation": "at_least",
    "quantifier": "all",
    "where": ["value > 1e9"],
    "due": "2026-12-31",
    "status": "retired",
    "tags": ["llama", "zh"],
}


def test_validate_claim_applies_each_declared_check() -> None:
    assert set(FULL_ENTRY) == set(FIELDS)
    spec = validate_claim(FULL_ENTRY)
    for f in CLAIM_FIELDS:
        if f.check is None:
            continue
        attribute = f.columns[0][0] if f.columns else f.name
        assert getattr(spec, attribute) == f.validate(FULL_ENTRY), f.name
    defaults = validate_claim({"key": "k", "statement": "s", "kind": "text"})
    assert defaults.language == FIELDS["language"].default
    assert defaults.status.value == FIELDS["status"].default
    assert defaults.comparison == FIELDS["comparison"].default
    with pytest.raises(ValidationError, match="field 'speaker': longer than 200"):
        validate_claim({**FULL_ENTRY, "speaker": "x" * 201})
    with pytest.raises(ValidationError, match="field 'nonsense': unknown field"):
        validate_claim({**FULL_ENTRY, "nonsense": 1})


def test_cli_options_are_named_after_the_fields() -> None:
    assert FIELDS["said_on"].option == "--said-on"
    assert all(f.help and f.doc for f in CLAIM_FIELDS)
