"""The verdicts and changes exports: every verdict row, and each change of a standing label."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from factcheck.domain import VerdictAction
from factcheck.editorial import exportsql
from factcheck.editorial.columns import CHANGE_COLUMNS, VERDICT_COLUMNS
from factcheck.editorial.csvwriter import format_row
from factcheck.editorial.exportsql import Filters
from factcheck.storage.models import Claim, Verdict


def _verdict_statement(filters: Filters) -> Any:
    query = (
        sa.select(
            col(Verdict.id),
            col(Claim.key),
            col(Verdict.created_at),
            col(Verdict.set_by),
            col(Verdict.action),
            col(Verdict.editor),
            col(Verdict.label),
            col(Verdict.confidence),
            col(Verdict.reason),
            col(Verdict.note),
            col(Verdict.run_id),
            col(Verdict.figures),
            col(Verdict.claim_id),
        )
        .join(Claim, col(Claim.id) == Verdict.claim_id)
        .order_by(col(Verdict.id))
    )
    for condition in exportsql.claim_ids_where(filters):
        query = query.where(condition)
    return query


def verdict_rows(*, session: Session, filters: Filters) -> Iterator[list[str]]:
    query = _verdict_statement(filters)
    if filters.since is not None:
        query = query.where(col(Verdict.created_at) >= filters.since)
    if filters.label:
        query = query.where(col(Verdict.label) == filters.label)
    for v in exportsql.stream(session, query):
        figures = json.dumps(v.figures or {}, ensure_ascii=False, sort_keys=True)
        yield format_row(
            VERDICT_COLUMNS,
            (
                v.id,
                v.key,
                v.created_at,
                v.set_by,
                v.action,
                v.editor,
                v.label,
                v.confidence,
                v.reason,
                v.note,
                v.run_id,
                figures,
            ),
        )


def change_rows(*, session: Session, filters: Filters) -> Iterator[list[str]]:
    """Replay each claim's verdicts in order; a row whenever the standing label changes.

    Same rule as `verdicts.effective_verdicts`: an editor's override stands until lifted. The
    state kept is one pair of labels per claim, whatever the number of verdicts.
    """
    system: dict[int, str] = {}
    override: dict[int, str | None] = {}
    for v in exportsql.stream(session, _verdict_statement(filters)):
        cid = v.claim_id
        before = override.get(cid) or system.get(cid)
        if v.action == VerdictAction.JUDGED.value:
            system[cid] = v.label
        else:
            override[cid] = v.label if v.action == VerdictAction.OVERRIDE.value else None
        after = override.get(cid) or system.get(cid)
        if after == before:
            continue  # (a lift with no system verdict leaves no label: to_label is empty)
        if filters.since is not None and v.created_at < filters.since:
            continue
        if filters.label and after != filters.label:
            continue
        yield format_row(
            CHANGE_COLUMNS,
            (
                v.created_at,
                v.key,
                before,
                after,
                v.action,
                v.set_by,
                v.editor,
                v.confidence,
                v.reason,
                v.note,
                v.id,
                v.run_id,
            ),
        )
