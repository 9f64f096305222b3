"""Each cue family found in English and in Chinese, dampers for talk, and due dates."""

from __future__ import annotations

from datetime import date

import pytest

from factcheck.spotting.cues import FAMILIES, find_cues, find_dampers
from factcheck.spotting.due import derive_due
from factcheck.spotting.sentences import split_sentences
from factcheck.spotting.spot import score_sentence

SAID = date(2024, 7, 23)


def reading(text: str) -> tuple[str, tuple[str, ...]]:
    scored = score_sentence(split_sentences(text)[0], said_on=SAID)
    assert scored is not None
    return scored.claim_type, scored.types


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("这是我们首次发布 4050 亿个参数的模型。", "quantity"),
        ("It has 405 billion parameters.", "quantity"),
        ("推理比 GPT 4.0 便宜大约 50%。", "comparison"),
        ("Inference is about 50% cheaper than GPT-4o.", "comparison"),
        ("它是世界上使用最广泛的助手。", "superlative"),
        ("It is the first open frontier model.", "superlative"),
        ("我们将在未来几个月内发布它们。", "prediction"),
        ("We will release them within months.", "prediction"),
        ("iPhone 在 2007 年发布。", "date_event"),
        ("The iPhone was released in 2007.", "date_event"),
        ("社区政策允许人们将它用作教师模型。", "permission"),
        ("The licence allows distillation of the model.", "permission"),
        ("我们与亚马逊、Databricks、英伟达等合作伙伴一起发布。", "entities"),
        ("Our partners include AWS, Databricks, Nvidia and Groq.", "entities"),
    ],
)
def test_each_family_in_both_languages(text: str, family: str) -> None:
    claim_type, types = reading(text)
    assert family in types
    assert claim_type == family
    assert claim_type in FAMILIES


def test_an_event_verb_without_a_date_is_no_date_event() -> None:
    assert "released/launched" in [c.name for c in find_cues("We released it.")]
    assert score_sentence(split_sentences("We released it.")[0]) is None
    assert reading("We released it in 2007.") == ("date_event", ("date_event",))


def test_a_percentage_compared_is_a_ratio() -> None:
    scored = score_sentence(split_sentences("它比 GPT-4o 便宜大约 50%。")[0])
    assert scored is not None
    assert (scored.suggestion.kind, scored.suggestion.expected, scored.suggestion.unit) == (
        "ratio",
        "about 0.5",  # a ratio claim takes a bare number, its hedge in words
        None,
    )


@pytest.mark.parametrize(
    ("text", "damper"),
    [
        ("您能简单介绍一下发布的所有内容吗？", "question"),
        ("Can you tell us what you released?", "question"),
        ("好的，马克，感谢您参加这次访谈。", "greeting/thanks"),
        ("Thank you for joining us today, Mark.", "greeting/thanks"),
        ("我认为这是一个相当重要的时刻。", "first-person opinion"),
        ("I think this is an important moment for us.", "first-person opinion"),
        ("当然可以", "too short"),
        ("发布时间: 2024-07-27 16:19", "field line"),
    ],
)
def test_dampers(text: str, damper: str) -> None:
    lang = split_sentences(text)[0].lang
    assert damper in [c.name for c in find_dampers(text, lang=lang, has_evidence=False)]


def test_an_opinion_with_evidence_is_not_damped() -> None:
    text = "我认为直接在 405 上进行推理比 GPT 4.0 便宜大约 50%。"
    assert find_dampers(text, lang="zh", has_evidence=True) == []


@pytest.mark.parametrize(
    ("text", "said_on", "due"),
    [
        ("我的目标是在今年年底之前，让它成为世界上使用最广泛的助手。", SAID, date(2024, 12, 31)),
        ("It will be the most used assistant by the end of this year.", SAID, date(2024, 12, 31)),
        ("到年底它会成为第一。", SAID, date(2024, 12, 31)),
        ("我们将在接下来的几个月内发布。", SAID, date(2025, 1, 23)),
        ("We will ship it in the coming months.", SAID, date(2025, 1, 23)),
        ("明年会有 LLaMA 4。", SAID, date(2025, 12, 31)),
        ("Llama 4 will come next year.", SAID, date(2025, 12, 31)),
        ("It will launch next month.", date(2024, 1, 31), date(2024, 2, 29)),
        ("到 2026 年将超过 10 亿用户。", SAID, date(2026, 12, 31)),
        ("It will have a billion users by 2026.", None, date(2026, 12, 31)),
        ("It will be the most used by the end of the year.", None, None),
        ("It will be great.", SAID, None),
    ],
)
def test_due_dates(text: str, said_on: date | None, due: date | None) -> None:
    assert derive_due(text, said_on)[0] == due


def test_the_due_date_and_why_are_in_the_features() -> None:
    scored = score_sentence(
        split_sentences("我们将在接下来的几个月内发布多模态模型。")[0], said_on=SAID
    )
    assert scored is not None
    assert scored.claim_type == "prediction"
    assert scored.suggestion.kind == "prediction"
    assert scored.suggestion.due == date(2025, 1, 23)
    assert any("6 months" in name for name, _ in scored.features)
