"""The claim-spotting annotations (tests/data/spot_*.tsv) stay usable as a yardstick.

benchmarks/spot_eval.py scores spot() against them by offsets into the raw articles in
../shared; an offset off by a few characters, a row cut mid-sentence or a seed statement left
unannotated would silently skew its precision and recall. The articles are read-only inputs
outside the repo: missing outside CI skips, missing in CI fails.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from types import ModuleType

import pytest

from tests.support import IN_CI, REPO, SHARED

DATA = REPO / "tests" / "data"
ARTICLES = {
    "spot_seed_zh.tsv": SHARED / "seeds" / "llama-3.1-interview-zh.md",
    "spot_meta_blog_en.tsv": SHARED / "corpus" / "meta-ai-blog_introducing-llama-3-1.md",
}
HEADER = ["start", "end", "checkable", "type", "note"]
FAMILIES = (
    "quantity",
    "comparison",
    "superlative",
    "prediction",
    "date_event",
    "permission",
    "entities",
)
ENDERS = "。！？.!?"
CLOSERS = "”’」』）)*"


def _article(name: str) -> str:
    path = ARTICLES[name]
    if not path.is_file():
        if IN_CI:
            pytest.fail(f"the annotated articles are required in CI and missing: {path}")
        pytest.skip(f"no stored article at {path}")
    return path.read_text(encoding="utf-8")


def _rows(name: str) -> list[list[str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _spans(name: str) -> list[tuple[int, int]]:
    return [(int(r[0]), int(r[1])) for r in _rows(name)[1:] if r[2] == "1"]


def _spot_eval() -> ModuleType:
    """benchmarks/spot_eval.py as a module (it imports the spotter only when run)."""
    name = "benchmarks_spot_eval"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks/spot_eval.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while being built
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_rows_parse(name: str) -> None:
    rows = _rows(name)
    assert rows[0] == HEADER
    assert len(rows) > 20
    for row in rows[1:]:
        assert len(row) == 5, row
        start, end, checkable, kind, note = row
        assert 0 <= int(start) < int(end), row
        assert checkable in ("0", "1"), row
        assert kind in (*FAMILIES, "-"), row
        assert 0 < len(note) <= 80, row
    starts = [int(r[0]) for r in rows[1:]]
    assert starts == sorted(starts)


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_offsets_fall_on_sentence_boundaries(name: str) -> None:
    text = _article(name)
    previous_end = 0
    for start, end in _spans(name):
        assert end <= len(text)
        assert start >= previous_end, f"rows overlap at {start}"
        previous_end = end
        piece = text[start:end]
        assert piece == piece.strip(), f"{start}: padded with whitespace"
        before = text[:start].rstrip(" \t")
        assert not before or before[-1] in ENDERS + CLOSERS + "\n：" or before.endswith("* "), (
            f"{start}: starts mid-sentence"
        )
        after = text[end:].lstrip(" \t")
        ends_sentence = piece[-1] in ENDERS or (piece[-2:-1] in ENDERS and piece[-1] in CLOSERS)
        assert ends_sentence or after[:1] in ("\n", ""), f"{end}: ends mid-sentence"


@pytest.mark.parametrize("name", sorted(ARTICLES))
def test_notes_are_the_annotators_words(name: str) -> None:
    """Offsets only: no note quotes the article (the articles are not ours to copy)."""
    text = _article(name)
    for row in _rows(name)[1:]:
        note = row[4]
        assert note not in text, row
        assert not re.search(r"[\u4e00-\u9fff]", note), row


def test_seed_nine_are_annotated_checkable() -> None:
    text = _article("spot_seed_zh.tsv")
    nine = _spot_eval().SEED_NINE
    assert len(nine) == 9 and len({label for label, _, _ in nine}) == 9
    spans = _spans("spot_seed_zh.tsv")
    for label, start, end in nine:
        inside = [(s, e) for s, e in spans if s < end and start < e]
        assert inside, f"{label}: no checkable row"
        covered = set().union(*(range(s, e) for s, e in inside))
        uncovered = [i for i in range(start, end) if i not in covered]
        assert all(text[i].isspace() for i in uncovered), f"{label}: not all annotated"


def test_seed_nine_hold_the_figures_they_name() -> None:
    """Spot-check that the offsets point where the labels say (a shifted file would not)."""
    text = _article("spot_seed_zh.tsv")
    by_label = {label: text[s:e] for label, s, e in _spot_eval().SEED_NINE}
    expect = {"sizes": "4050", "wrong": "4500", "50%": "50%", "iPhone": "2007", "creators": "亿"}
    for word, figure in expect.items():
        (piece,) = [p for label, p in by_label.items() if word in label]
        assert figure in piece, word
