"""Cue lexicons, per claim family and language, and the dampers that mark talk, not claims.

The families follow the claim types fact-checkers use (Full Fact's quantity, prediction,
rules...): a sentence is checkable when it says how much, compared with what, the most or the
first, what will happen by when, what happened when, what is allowed, or who takes part. Each cue
is a named pattern with a weight, so that an editor sees why a sentence ranks where it does.
Weights are hand-set on the seed article; the benchmark (benchmarks/spot_eval.py) measures them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DAMPERS", "FAMILIES", "LEXICON", "Cue", "find_cues", "find_dampers"]

FAMILIES = (
    "quantity",
    "comparison",
    "superlative",
    "prediction",
    "date_event",
    "permission",
    "entities",
)


@dataclass(frozen=True)
class Cue:
    """A cue found in a sentence: its family, the feature name shown to editors, its weight."""

    family: str
    name: str
    weight: float


# family -> (feature name, weight, pattern). Chinese and English side by side: the seed mixes
# them in one sentence, so every sentence is read with both.
_RAW: dict[str, tuple[tuple[str, float, str], ...]] = {
    "comparison": (
        (
            "比…便宜/贵/多/少",
            0.9,
            r"比[^，。！？,]{0,30}?(?:便宜|贵|多|少|大|小|快|慢|高|低|强|好|差)",
        ),
        ("倍/一半", 0.7, r"\d\s*倍|[一两二三四五六七八九十几]倍|一半|翻(?:了)?一?番"),
        ("约/大约", 0.3, r"大约|约|左右|将近"),
        ("超过/不到", 0.3, r"超过|不到|不足|以上"),
        ("-er than", 0.9, r"(?i)\b(?:\w+er|more|less|fewer|better|worse)\s+than\b"),
        ("times/half", 0.7, r"(?i)\b(?:\d+(?:\.\d+)?x|times (?:as|more|less|cheaper)|half)\b"),
        ("about/around", 0.3, r"(?i)\b(?:about|around|roughly|approximately|nearly|almost)\b"),
        ("compared with", 0.5, r"(?i)\b(?:compared (?:to|with)|versus|vs\.)"),
    ),
    "superlative": (
        ("第一/首个/唯一", 0.8, r"第一个|第一款|首个|首款|首次|唯一"),
        ("最…", 0.5, r"最(?:大|多|广泛|先进|便宜|强|好|受欢迎|流行|快|高|低|常用|复杂|重要|新)"),
        ("迄今为止", 0.3, r"迄今为止|有史以来"),
        ("first/only", 0.7, r"(?i)\b(?:the first|the only|first-ever)\b"),
        (
            "most/largest",
            0.6,
            r"(?i)\b(?:most (?:widely|used|popular|capable|advanced)|largest|biggest|best"
            r"|fastest|cheapest|leading|highest|lowest)\b",
        ),
    ),
    "prediction": (
        ("年底之前", 1.0, r"年底之前|年底前|到年底|今年年底|年末"),
        ("未来几个月", 1.0, r"(?:未来|接下来(?:的)?)几个月|几个月内|明年|下个月|今年晚些时候"),
        ("将/即将", 0.4, r"将会|即将|将(?!其|它|他|她|这|那|模型)"),
        ("将…发布/推出", 0.8, r"将[^。！？，]{0,15}(?:发布|推出|上线|开放)"),
        ("会", 0.2, r"会(?!议|员|谈)"),
        ("by the end of", 1.0, r"(?i)\bby (?:the )?(?:end of|year[- ]end)|\blater this year\b"),
        (
            "within months",
            1.0,
            r"(?i)\b(?:within (?:a few |the next few )?months|in the (?:coming|next few) months"
            r"|next (?:year|month))\b",
        ),
        ("will", 0.4, r"(?i)\b(?:will|going to|is set to|expects? to)\b"),
        ("will release/launch", 0.9, r"(?i)\bwill (?:release|launch|ship|open|roll out)\b"),
    ),
    "date_event": (
        ("发布/推出", 0.5, r"发布|推出|上市|问世|成立|发行|宣布"),
        ("released/launched", 0.5, r"(?i)\b(?:released|launched|came out|introduced|founded)\b"),
    ),
    "permission": (
        ("允许/可以用", 0.8, r"允许|可以用|可以使用|许可|授权|禁止|不得"),
        ("政策", 0.4, r"政策|条款|许可证|协议"),
        (
            "a rule allows",
            0.6,
            r"(?i)(?:政策|许可|协议|licen[cs]e|policy|terms)[^。！？.]{0,12}"
            r"(?:允许|禁止|allow|permit|prohibit)",
        ),
        (
            "allows/licence",
            0.8,
            r"(?i)\b(?:allow(?:s|ed)?|permit(?:s|ted)?|licen[cs]e[ds]?|prohibit\w*)\b",
        ),
        ("欧盟/EU", 0.4, r"欧盟|(?i:\b(?:the EU|European Union)\b)"),
        ("policy/terms", 0.4, r"(?i)\b(?:policy|terms of (?:use|service)|may be used)\b"),
    ),
    "entities": (
        ("、列举", 0.5, r"(?:[^、，。！？\s]{1,12}、){2,}[^、，。！？\s]{1,12}"),
        ("X、Y 等", 0.5, r"[\w.]+\s*(?:、|或|和|与)\s*[\w.]+\s*等"),
        ("合作伙伴", 0.5, r"合作伙伴|合作|包括"),
        (
            "X 或 Y 或 Z",
            0.8,
            r"[A-Za-z][\w.]*\s*(?:或(?!者)|、)\s*[^\s，。！？或、]{1,10}\s*(?:或(?!者)|、)\s*"
            r"[^\s，。！？或、]{1,10}",
        ),
        (
            "Names, Names and Names",
            0.5,
            r"(?:[A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*, ){2,}(?:and )?[A-Z]",
        ),
        ("partners", 0.5, r"(?i)\b(?:partners?|partnered|including)\b"),
    ),
}
LEXICON: dict[str, tuple[tuple[str, float, re.Pattern[str]], ...]] = {
    family: tuple((name, weight, re.compile(p)) for name, weight, p in cues)
    for family, cues in _RAW.items()
}

# Dampers: talk rather than claims. (name, weight, pattern, only without evidence: a figure
# or a strong cue; an interview says 我认为 before its checkable statements too)
DAMPERS: tuple[tuple[str, float, re.Pattern[str], bool], ...] = tuple(
    (name, weight, re.compile(p), no_figure)
    for name, weight, p, no_figure in (
        ("question", -1.2, r"[?？][”’」』\"')）]*\s*$", False),
        (
            "greeting/thanks",
            -0.8,
            r"(?i)感谢|谢谢|你好|很高兴|欢迎|\bthanks?\b|thank you|\bhello\b",
            False,
        ),
        (
            "first-person opinion",
            -0.6,
            r"(?i)我(?:认为|觉得|想|相信|希望|期待|非常期待|很兴奋|最兴奋|真的)"
            r"|\bI (?:think|believe|feel|hope|guess)\b|\bI'm (?:excited|glad)\b",
            True,
        ),
        ("field line", -1.5, r"^[^\s:：。]{1,12}\s*[:：][^。！？.!?]{0,60}$", False),
    )
)
_SHORT = {"zh": 8, "en": 25}  # characters below which a sentence says too little to check


def find_cues(text: str) -> list[Cue]:
    """Every family's cues found in `text`, one per named cue, in lexicon order.

    >>> [(c.family, c.name) for c in find_cues("它比 GPT-4o 便宜大约 50%。")]
    [('comparison', '比…便宜/贵/多/少'), ('comparison', '约/大约')]
    >>> [c.name for c in find_cues("The licence allows it by the end of the year.")]
    ['by the end of', 'a rule allows', 'allows/licence']
    """
    return [
        Cue(family, name, weight)
        for family, cues in LEXICON.items()
        for name, weight, pattern in cues
        if pattern.search(text)
    ]


def find_dampers(text: str, *, lang: str, has_evidence: bool) -> list[Cue]:
    """The dampers that apply: questions, greetings, opinions without figures, fragments.

    >>> [c.name for c in find_dampers("您能简单介绍一下吗？", lang="zh", has_evidence=False)]
    ['question']
    >>> [c.name for c in find_dampers("I think so.", lang="en", has_evidence=False)]
    ['first-person opinion', 'too short']
    """
    found = [
        Cue("damper", name, weight)
        for name, weight, pattern, no_figure in DAMPERS
        if not (no_figure and has_evidence) and pattern.search(text)
    ]
    if len(text) < _SHORT.get(lang, 25):
        found.append(Cue("damper", "too short", -0.6))
    return found
