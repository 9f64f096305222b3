"""Sentence splitting for spotting: English, Chinese, both mixed, broken lines, quotes,
abbreviations, decimals, headings and list items; Markdown and HTML read with offsets kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from factcheck.spotting.sentences import read_document, split_sentences

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "llama-3.1-interview-zh.md"


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_english_sentences() -> None:
    assert texts("Meta released three models. They are open! Are they good? Yes.") == [
        "Meta released three models.",
        "They are open!",
        "Are they good?",
        "Yes.",
    ]


def test_chinese_sentences_end_at_full_stops_without_spaces() -> None:
    assert texts("我们发布了三个模型。它们很便宜！真的吗？是的") == [
        "我们发布了三个模型。",
        "它们很便宜！",
        "真的吗？",
        "是的",
    ]


def test_mixed_languages_and_lang_per_sentence() -> None:
    found = split_sentences("今天 Meta 发布了 Llama 3.1。Meta released it today. 很好！")
    assert [s.text for s in found] == [
        "今天 Meta 发布了 Llama 3.1。",
        "Meta released it today.",
        "很好！",
    ]
    assert [s.lang for s in found] == ["zh", "en", "zh"]
    assert [s.lang for s in split_sentences("Meta released it.", lang="zh")] == ["zh"]


def test_a_line_break_inside_a_paragraph_does_not_end_a_sentence() -> None:
    text = (
        "这是我们首次发布 4050\n亿个参数的模型。接受了Rowan\nCheung独家专访。\n"
        "It has 405\nbillion parameters."
    )
    assert texts(text) == [
        "这是我们首次发布 4050亿个参数的模型。",
        "接受了Rowan Cheung独家专访。",
        "It has 405 billion parameters.",
    ]


def test_a_blank_line_always_ends_a_sentence() -> None:
    assert texts("没有句号的段落\n\n下一段。\n\nNo full stop here\n\nNext one.") == [
        "没有句号的段落",
        "下一段。",
        "No full stop here",
        "Next one.",
    ]


def test_closing_quotes_stay_with_the_sentence() -> None:
    assert texts("他说：“今天发布。明天上线。”然后离开了。「好的！」她说。") == [
        "他说：“今天发布。明天上线。”",
        "然后离开了。",
        "「好的！」",
        "她说。",
    ]
    assert texts('He said "it is open." Then he left.') == [
        'He said "it is open."',
        "Then he left.",
    ]
    assert texts("“It is open.” Then he left.") == ["“It is open.”", "Then he left."]


@pytest.mark.parametrize(
    "sentence",
    [
        "Mr. Zuckerberg spoke to Dr. Cheung in the U.S. about it.",
        "Some models, e.g. Llama, are open.",
        "It was released by J. Smith on Monday.",
        "The U.K. and the E.U. regulate it.",
    ],
)
def test_abbreviations_do_not_end_a_sentence(sentence: str) -> None:
    assert texts(sentence + " Next sentence.") == [sentence, "Next sentence."]


def test_decimals_and_versions_do_not_end_a_sentence() -> None:
    assert texts("Llama 3.1 costs $0.5 per token and scored 3.14 points. Llama 3.1.") == [
        "Llama 3.1 costs $0.5 per token and scored 3.14 points.",
        "Llama 3.1.",
    ]
    assert texts("在 405 上进行推理比 GPT 4.0\n便宜大约\n50%。") == [
        "在 405 上进行推理比 GPT 4.0便宜大约50%。"
    ]


def test_headings_and_list_items_are_sentences_of_their_own() -> None:
    found = split_sentences(
        "# Llama 3.1\nIntro line\n\n- first item\n- second item\n1. numbered\n## Next\nBody."
    )
    assert [(s.line, s.text) for s in found] == [
        (1, "Llama 3.1"),
        (2, "Intro line"),
        (4, "first item"),
        (5, "second item"),
        (6, "numbered"),
        (7, "Next"),
        (8, "Body."),
    ]


def test_offsets_and_lines_point_into_the_text() -> None:
    text = "第一句。\n\n  Second one. Third\none!"
    found = split_sentences(text)
    assert [(s.line, text[s.start : s.end]) for s in found] == [
        (1, "第一句。"),
        (3, "Second one."),
        (3, "Third\none!"),
    ]


def test_empty_and_punctuation_only_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n\n---\n\n***\n") == []


def test_markdown_keeps_offsets_and_drops_targets_images_and_code() -> None:
    raw = (
        "Read [the post](https://x.y/1.2) now.\n\n![](https://img/9.png)\n\n"
        "```\ncode 3.\n```\n**Bold** text."
    )
    text = read_document(raw, kind="markdown")
    assert len(text) == len(raw)
    found = split_sentences(text)
    assert [s.text for s in found] == ["Read the post now.", "Bold text."]
    assert raw[found[1].start : found[1].end] == "Bold** text."


def test_html_with_hostile_markup_becomes_text() -> None:
    raw = (
        "<html><head><title>T</title><style>p{}</style></head><body><p>One &amp; two<br>three."
        "<script>alert('x. Y.')</script><div><p>Unclosed <b>bold<p>Next <!-- c. D. -->para."
        "</body></html>"
    )
    assert texts(read_document(raw, kind="html")) == [
        "T",
        "One & two three.",
        "Unclosed bold",
        "Next para.",
    ]


def test_unknown_document_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown document kind"):
        read_document("x", kind="pdf")


def test_the_seed_article_splits_with_figures_joined_to_units() -> None:
    raw = SEED.read_text(encoding="utf-8")
    found = split_sentences(read_document(raw, kind="markdown"))
    joined = [s.text for s in found]
    assert "这是我们首次发布 4050亿个参数的模型。" in joined
    assert any("700 亿和80 亿个参数" in s for s in joined)
    assert all("\n" not in s for s in joined)
    assert all(raw[s.start] not in " \n" for s in found)
