"""The columns of each CSV export: name, cell kind and meaning (the README's tables).

Kinds: `text` (guarded against formulas), `number` (plain decimal), `number_or_text` (a number
when it is one, else guarded text), `date` (YYYY-MM-DD), `timestamp` (UTC ISO 8601, to the
second, with Z) and `bool` (true/false).
"""

from __future__ import annotations

from dataclasses import dataclass

from factcheck.declarations.claim_fields import CLAIM_FIELDS, EDITABLE_FIELDS


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | number | number_or_text | date | timestamp | bool
    doc: str


# The claim's own fields first, as declared (claim_fields): what import-csv reads back, by name.
CLAIM_FIELD_COLUMNS = tuple(Column(f.name, f.csv_kind, f.doc) for f in CLAIM_FIELDS)
CLAIM_COLUMNS = (
    *CLAIM_FIELD_COLUMNS,
    Column("label", "text", "the verdict that stands (an editor's override, else the system's)"),
    Column("set_by", "text", "system or editor"),
    Column("editor", "text", "the editor who set it, for an override"),
    Column("confidence", "number", "confidence of that verdict, 0 to 1"),
    Column("reason", "text", "the reason in words and figures (an override: the editor's note)"),
    Column("verdict_at", "timestamp", "when that verdict was set"),
    Column("last_checked", "timestamp", "the last fetch of any of its sources"),
    Column("stale", "bool", "true when its freshest good evidence is older than the limit"),
    Column("freshness", "text", "fresh, stale, no_evidence (fetched, none good) or never_checked"),
    Column("sources", "text", "URLs of its linked sources, one per line"),
    Column("best_source", "text", "the source of the best evidence excerpt"),
    Column("best_excerpt", "text", "the excerpt of that evidence"),
    Column("updated_at", "timestamp", "when the claim itself last changed"),
)
EDITABLE = tuple(f.name for f in EDITABLE_FIELDS)  # the columns import-csv reads

EVIDENCE_COLUMNS = (
    Column("evidence_id", "number", "the evidence row"),
    Column("run_id", "number", "the run that recorded it"),
    Column("claim_key", "text", "the claim"),
    Column("source_key", "text", "the source"),
    Column("role", "text", "value, numerator, denominator or contradicts"),
    Column("fetched_at", "timestamp", "when the source was fetched"),
    Column("http_status", "number", "HTTP status of the fetch"),
    Column("stance", "text", "supports, refutes, neutral or none"),
    Column("value", "number", "first figure found, as a plain decimal"),
    Column("unit", "text", "its unit"),
    Column("raw", "text", "the text the rule extracted"),
    Column("excerpt", "text", "the text around it"),
    Column("rule_kind", "text", "the rule's kind"),
    Column("rule", "text", "the rule's expression"),
    Column("final_url", "text", "the URL after redirects"),
    Column("reused_from", "number", "unchanged source: the row whose extraction is reused"),
    Column("error_code", "text", "why nothing could be extracted"),
    Column("error_message", "text", "the error in words"),
)

VERDICT_COLUMNS = (
    Column("verdict_id", "number", "the verdict row"),
    Column("claim_key", "text", "the claim"),
    Column("created_at", "timestamp", "when it was set"),
    Column("set_by", "text", "system or editor"),
    Column("action", "text", "judged (system), override (editor) or lift (override lifted)"),
    Column("editor", "text", "who, for editor rows"),
    Column("label", "text", "supported, refuted, mixed, not_enough_info or pending"),
    Column("confidence", "number", "0 to 1"),
    Column("reason", "text", "the reason in words and figures"),
    Column("note", "text", "the editor's note"),
    Column("run_id", "number", "the run that judged it (system rows)"),
    Column("figures", "text", "the figures behind the reason, as JSON"),
)

CHANGE_COLUMNS = (
    Column("changed_at", "timestamp", "when the standing label changed"),
    Column("claim_key", "text", "the claim"),
    Column("from_label", "text", "the label that stood before (empty: first verdict)"),
    Column("to_label", "text", "the label that stands from then on"),
    Column("action", "text", "judged, override or lift"),
    Column("set_by", "text", "system or editor"),
    Column("editor", "text", "who, for editor rows"),
    Column("confidence", "number", "confidence of the new verdict"),
    Column("reason", "text", "its reason"),
    Column("note", "text", "the editor's note"),
    Column("verdict_id", "number", "the verdict row that made the change"),
    Column("run_id", "number", "the run, for system rows"),
)

COLUMNS = {
    "claims": CLAIM_COLUMNS,
    "evidence": EVIDENCE_COLUMNS,
    "verdicts": VERDICT_COLUMNS,
    "changes": CHANGE_COLUMNS,
}
