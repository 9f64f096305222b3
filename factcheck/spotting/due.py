"""When a prediction falls due, from its words and the day it was said.

A prediction can only be judged once its time is up; the speaker rarely names a date, but says
"by the end of this year", "in the coming months", "明年". Each rule names how it read the
words, so the editor sees the guess (six months for "the coming months" is ours, not theirs).
"""

from __future__ import annotations

import calendar
import re
from datetime import date

__all__ = ["derive_due"]

_NEXT_YEAR = re.compile(r"明年|(?i:\bnext year\b|\bend of next year\b)")
_YEAR_END = re.compile(
    r"年底之前|年底前|到年底|今年年底|今年内|年末|今年晚些时候"
    r"|(?i:\bby (?:the )?(?:end of (?:this |the )?year|year[- ]end)\b"
    r"|\blater this year\b|\bthis year\b)"
)
_IN_YEAR = re.compile(
    r"(?:到|在)\s*(?P<zh>20\d\d)\s*年|(?i:\b(?:by|in|before|until)\s+(?P<en>20\d\d)\b)"
)
_MONTHS = re.compile(
    r"(?:未来|接下来(?:的)?)几个月|几个月内|(?i:\b(?:within (?:a few |the next few )?months"
    r"|in the (?:coming|next few) months|over the next few months)\b)"
)
_NEXT_MONTH = re.compile(r"下个月|(?i:\bnext month\b)")
_COMING_MONTHS = 6


def derive_due(text: str, said_on: date | None) -> tuple[date | None, str]:
    """(due date, how it was read) for a prediction, or (None, "") when the text gives none.

    >>> derive_due("我的目标是在今年年底之前，让它成为最广泛的助手。", date(2024, 7, 23))
    (datetime.date(2024, 12, 31), 'the end of the year it was said')
    >>> derive_due("We will ship it in the coming months.", date(2024, 7, 23))[0]
    datetime.date(2025, 1, 23)
    >>> derive_due("明年会更好", date(2024, 7, 23))[0], derive_due("by 2026 it will", None)[0]
    (datetime.date(2025, 12, 31), datetime.date(2026, 12, 31))
    >>> derive_due("by the end of the year", None)
    (None, '')
    """
    explicit = _IN_YEAR.search(text)
    if explicit:
        year = int(explicit.group("zh") or explicit.group("en"))
        return date(year, 12, 31), f"the end of {year}, as said"
    if said_on is None:
        return None, ""
    if _NEXT_YEAR.search(text):
        return date(said_on.year + 1, 12, 31), "the end of the year after it was said"
    if _YEAR_END.search(text):
        return date(said_on.year, 12, 31), "the end of the year it was said"
    if _MONTHS.search(text):
        due = add_months(said_on, _COMING_MONTHS)
        return due, f"'the coming months' read as {_COMING_MONTHS} months after it was said"
    if _NEXT_MONTH.search(text):
        following = add_months(said_on.replace(day=1), 1)
        last = calendar.monthrange(following.year, following.month)[1]
        return following.replace(day=last), "the end of the month after it was said"
    return None, ""


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, the day clamped to the month's length.

    >>> add_months(date(2024, 8, 31), 6), add_months(date(2024, 12, 15), 1)
    (datetime.date(2025, 2, 28), datetime.date(2025, 1, 15))
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
