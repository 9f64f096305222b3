"""json_path rules are RFC 9535: stored old-dialect rules are rewritten in the new syntax.

Every old-dialect rule that RFC 9535 reads differently or refuses is rewritten:
- key globs (`$[?key~"*llama*405b*"]`, case-insensitive) become
  `$[?match(#, '(?is).*llama.*405b.*')]` (`(?s)`: `*` matched newlines, as fnmatch's did);
  a negated glob `[?key!~"x"]` becomes `[?match(#, '(?s).*') && !match(#, '(?is)x')]`, which
  still selects nothing on a list (`#` is a list element's index, not a string);
- dotted names the RFC has no shorthand for (`$.by_year.2024`, `$.0.a`, `$.1e5`, `$.gpt-4o`)
  are quoted (`$.by_year['2024']`), as are quoted names with backslash escapes or control
  characters (the old backslash escaped the next character: `"\\n"` was "n");
- indexes lose leading zeros (`[007]` -> `[7]`, `[-0]` -> `[0]`); surrounding blanks go.
Rules the RFC reads the same (`$.extract`, `$["gpt-4o"]`, `$.data[*]`) are left as written.
An index beyond +-(2**53 - 1) is left: it selected nothing, and the RFC refuses it. The
converter is frozen below (a copy of `factcheck.extraction.legacypath` as of this revision):
a migration must not import app code that may change.

`rule_fingerprint` is not stored on `claimsource`; evidence rows carry the fingerprint of the
rule that made them (hash of kind, expression and options). The rewritten rule selects the
same records, so the fingerprint of each link's evidence made by the old text is moved to the
new text's; otherwise every such link would be refetched unconditionally and, until then,
judged without its standing evidence. `evidence.rule` keeps the text that actually ran.

Downgrade converts back only what is trivial: a `match(#, '(?is)...')` step (or `(?i)`), or
the negated form upgrade writes, whose pattern is literal characters, `.*` and `.` becomes a
glob again; any other RFC 9535 rule is left as it is, and the old code refuses it when it
runs.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:40:00
"""

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

import regex
import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

claimsource = sa.table(
    "claimsource",
    sa.column("id", sa.Integer()),
    sa.column("claim_id", sa.Integer()),
    sa.column("source_id", sa.Integer()),
    sa.column("role", sa.String()),
    sa.column("rule_kind", sa.String()),
    sa.column("rule", sa.Text()),
    sa.column("rule_options", sa.JSON()),
)
evidence = sa.table(
    "evidence",
    sa.column("claim_id", sa.Integer()),
    sa.column("source_id", sa.Integer()),
    sa.column("role", sa.String()),
    sa.column("rule_fingerprint", sa.String()),
)

# -- the old dialect, frozen -------------------------------------------------------------------
_NAME = r"[A-Za-z0-9_][A-Za-z0-9_\-]*"
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'"
_STEP = re.compile(
    rf"\.(?P<name>{_NAME})|\.(?P<dotstar>\*)|\[\s*(?P<quoted>{_QUOTED})\s*\]"
    r"|\[\s*(?P<index>-?\d+)\s*\]|\[\s*(?P<star>\*)\s*\]"
    rf"|\[\?\s*key\s*(?P<op>!?~)\s*(?P<glob>{_QUOTED})\s*\]"
)
_SHORTHAND = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")
_CONTROL = re.compile(r"[\x00-\x1f]")
_IS_KEY = "match(#, '(?s).*')"


def convert_legacy_path(expression: str) -> str | None:
    """The RFC 9535 form of an old-dialect path, or None when it is not one."""
    text = expression.strip()
    if not text.startswith("$"):
        return None
    parts, pos = ["$"], 1
    while pos < len(text):
        m = _STEP.match(text, pos)
        if m is None:
            return None
        step = _step(m)
        if step is None:
            return None
        parts.append(step)
        pos = m.end()
    return "".join(parts)


def _step(m: re.Match[str]) -> str | None:
    if m["name"] is not None:
        return _member(m["name"])
    if m["quoted"] is not None:
        return _member(_unquote(m["quoted"]))
    if m["index"] is not None:
        return f"[{int(m['index'])}]"
    if m["glob"] is not None:
        pattern = _glob_regex(_unquote(m["glob"]))
        if pattern is None:
            return None
        if m["op"] == "!~":
            return f"[?{_IS_KEY} && !match(#, {_quote(pattern)})]"
        return f"[?match(#, {_quote(pattern)})]"
    return "[*]"


def _member(name: str) -> str:
    return f".{name}" if _SHORTHAND.fullmatch(name) else f"[{_quote(name)}]"


def _quote(text: str) -> str:
    body = json.dumps(text, ensure_ascii=False)[1:-1].replace('\\"', '"').replace("'", "\\'")
    return f"'{body}'"


def _glob_regex(glob: str) -> str | None:
    out, i, n = ["(?is)"], 0, len(glob)
    while i < n:
        c = glob[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + (i < n and glob[i] == "!")
            j += j < n and glob[j] == "]"
            end = glob.find("]", j)
            if end < 0:
                out.append("\\[")
                continue
            body, i = glob[i:end], end + 1
            negate = body.startswith("!")
            body = "".join("\\" + c if c in "\\[]^" else c for c in body[negate:])
            out.append(f"[{'^' if negate else ''}{body}]")
        else:
            out.append("\\" + c if c in _REGEX_SPECIAL else c)
    pattern = "".join(out)
    try:
        regex.compile(pattern)  # the engine match() runs on
    except regex.error:
        return None
    return pattern


def _unquote(quoted: str) -> str:
    return re.sub(r"\\(.)", r"\1", quoted[1:-1], flags=re.DOTALL)


def needs_conversion(rule: str) -> bool:
    """An old-dialect rule the RFC reads differently or not at all."""
    if convert_legacy_path(rule) is None:
        return False
    if rule != rule.strip():
        return True
    return not all(_reads_the_same(m) for m in _STEP.finditer(rule, 1))


def _reads_the_same(m: re.Match[str]) -> bool:
    if m["name"] is not None:
        return _SHORTHAND.fullmatch(m["name"]) is not None
    if m["quoted"] is not None:
        return "\\" not in m["quoted"] and _CONTROL.search(m["quoted"]) is None
    if m["index"] is not None:
        return m["index"] == str(int(m["index"]))
    return m["glob"] is None


# -- back, when trivial ------------------------------------------------------------------------
_MATCH_STEP = re.compile(
    r"\[\?(?P<negate>match\(#, '\(\?s\)\.\*'\) && !)?"
    r"match\(#, '\(\?is?\)(?P<regex>(?:[^'\\]|\\.)*)'\)\]"
)
_GLOB_TOKEN = re.compile(r"\.\*|\.|\\(?P<escaped>[^A-Za-z0-9])|(?P<plain>[A-Za-z0-9_/:@,;=<> -])")


def legacy_form(rule: str) -> str | None:
    """The old-dialect form of a rule whose match() steps are literal text, `.*` and `.`
    (a bare `!match(...)` is left: on a list it selects what `!~` did not)."""
    failed = False

    def glob_step(m: re.Match[str]) -> str:
        nonlocal failed
        pattern = m["regex"].replace("\\\\", "\\")  # the string literal's escape
        glob, pos = [], 0
        while pos < len(pattern):
            token = _GLOB_TOKEN.match(pattern, pos)
            escaped = token["escaped"] if token is not None else None
            if token is None or (escaped is not None and escaped in '*?[]\\"'):
                failed = True
                return m.group(0)
            glob.append({".*": "*", ".": "?"}.get(token.group(0)) or token.group(0)[-1])
            pos = token.end()
        return f'[?key{"!" if m["negate"] else ""}~"{"".join(glob)}"]'

    converted = _MATCH_STEP.sub(glob_step, rule)
    return None if failed or converted == rule else converted


# -- the rows ----------------------------------------------------------------------------------
def _fingerprint(kind: str, expression: str, options: dict[str, Any]) -> str:
    """As factcheck.declarations.inputs.rule_fingerprint at this revision."""
    text = json.dumps([kind, expression, options], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _rewrite(convert: Callable[[str], str | None]) -> None:
    bind = op.get_bind()
    links = bind.execute(sa.select(claimsource).where(claimsource.c.rule_kind == "json_path"))
    for link in list(links):
        new_rule = convert(link.rule)
        if new_rule is None or new_rule == link.rule:
            continue
        options = dict(link.rule_options or {})
        old_fp = _fingerprint(link.rule_kind, link.rule, options)
        new_fp = _fingerprint(link.rule_kind, new_rule, options)
        bind.execute(
            sa.update(claimsource).where(claimsource.c.id == link.id).values(rule=new_rule)
        )
        bind.execute(
            sa.update(evidence)
            .where(
                evidence.c.claim_id == link.claim_id,
                evidence.c.source_id == link.source_id,
                evidence.c.role == link.role,
                evidence.c.rule_fingerprint == old_fp,
            )
            .values(rule_fingerprint=new_fp)
        )


def _upgrade_rule(rule: str) -> str | None:
    return convert_legacy_path(rule) if needs_conversion(rule) else None


def upgrade() -> None:
    _rewrite(_upgrade_rule)


def downgrade() -> None:
    _rewrite(legacy_form)
