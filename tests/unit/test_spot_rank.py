"""spot(): ranking, scores with their features, suggestions, determinism and throughput."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from factcheck.spotting.sentences import read_document, split_sentences
from factcheck.spotting.spot import THRESHOLD, spot

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "llama-3.1-interview-zh.md"
SAID = date(2024, 7, 23)
TEXT = (
    "感谢您参加这次访谈。这是我们首次发布 4050 亿个参数的模型。您能简单介绍一下吗？\n\n"
    "我认为这是一个重要的时刻。Inference is about 50% cheaper than GPT-4o. Hello there!\n\n"
    "我的目标是在今年年底之前，让它成为世界上使用最广泛的人工智能助手。"
)


def test_checkable_sentences_rank_first_and_talk_is_left_out() -> None:
    found = spot(TEXT, said_on=SAID)
    texts = [s.sentence.text for s in found]
    assert set(texts) == {
        "这是我们首次发布 4050 亿个参数的模型。",
        "Inference is about 50% cheaper than GPT-4o.",
        "我的目标是在今年年底之前，让它成为世界上使用最广泛的人工智能助手。",
    }
    assert [s.score for s in found] == sorted((s.score for s in found), reverse=True)
    assert all(THRESHOLD <= s.score <= 1 for s in found)


def test_a_spotted_sentence_carries_figures_features_and_a_suggestion() -> None:
    by_text = {s.sentence.text: s for s in spot(TEXT, said_on=SAID)}
    sizes = by_text["这是我们首次发布 4050 亿个参数的模型。"]
    assert sizes.claim_type == "quantity"
    assert sizes.figures == ("405 billion parameters",)
    assert sizes.suggestion.kind == "quantity"
    assert (sizes.suggestion.expected, sizes.suggestion.unit) == ("4050 亿个参数", "parameters")
    assert any(name.startswith("quantity: figure") and w > 0 for name, w in sizes.features)
    goal = by_text["我的目标是在今年年底之前，让它成为世界上使用最广泛的人工智能助手。"]
    assert goal.claim_type == "prediction"
    assert {"prediction", "superlative"} <= set(goal.types)
    assert goal.suggestion.due == date(2024, 12, 31)
    assert goal.sentence.line == 5


def test_top_limits_the_list() -> None:
    assert len(spot(TEXT, top=1)) == 1
    assert spot(TEXT, top=0) == []
    assert spot("") == []


def test_spot_is_deterministic() -> None:
    text = read_document(SEED.read_text(encoding="utf-8"), kind="markdown")
    assert spot(text, said_on=SAID) == spot(text, said_on=SAID)


def test_the_seed_statements_are_found() -> None:
    text = read_document(SEED.read_text(encoding="utf-8"), kind="markdown")
    top = [s.sentence.text for s in spot(text, said_on=SAID, top=30)]
    for needle in (
        "4050亿个参数",
        "700 亿和80 亿",
        "便宜大约50%",
        "超过 2亿人",
        "2007年发布",
        "今年年底之前",
    ):
        assert any(needle in t for t in top), needle


def test_two_thousand_sentences_run() -> None:
    block = "这是我们首次发布 4050 亿个参数的模型。It is about 50% cheaper than GPT-4o. 谢谢！"
    text = "\n\n".join([block] * 667)
    assert len(split_sentences(text)) == 2001
    assert len(spot(text)) == 2 * 667
