"""The admin CLI through the installed entry point, on every database backend."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.support import REPO, DatabaseUnderTest, Result, database_state, run_cli, seed

SEED_KEYS = {
    "iphone-released-2007",
    "llama-3.1-405b-half-price-of-gpt-4o",
    "llama-3.1-450b-headline",
    "llama-3.1-license-allows-distillation",
    "llama-3.1-released-sizes",
    "llama-multimodal-outside-eu-within-months",
    "meta-200-million-creators",
    "meta-ai-most-used-assistant-2024",
}


def ok(result: Result) -> Result:
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def test_import_seed_sources_then_list(cli, tmp_path: Path) -> None:
    first = ok(cli("import", str(REPO / "sources")))
    assert "16 created" in first.stderr
    claims = ok(cli("claim", "list", "--json")).json()
    assert {c["key"] for c in claims} == SEED_KEYS
    sizes = next(c for c in claims if c["key"] == "llama-3.1-released-sizes")
    assert sizes["expected_amounts"] == ["8000000000", "70000000000", "405000000000"]
    assert sizes["language"] == "zh" and "4050" in sizes["statement"]
    assert sizes["latest_verdict"] is None
    again = ok(cli("import", str(REPO / "sources")))
    assert "no changes" in again.stderr and "created" not in again.stderr


def test_changed_entry_is_updated(cli, tmp_path: Path) -> None:
    folder = tmp_path / "decl"
    shutil.copytree(REPO / "sources", folder)
    ok(cli("import", str(folder)))
    path = folder / "history.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("recheck_hours = 720", "recheck_hours = 48"),
        encoding="utf-8",
    )
    result = ok(cli("import", str(folder)))
    assert "updated source wikipedia-iphone-1st-generation" in result.stderr
    assert "1 updated" in result.stderr
    shown = ok(cli("source", "show", "wikipedia-iphone-1st-generation", "--json")).json()
    assert shown["recheck_hours"] == 48
    assert shown["claims"][0]["claim"] == "iphone-released-2007"


def test_claim_lifecycle(cli) -> None:
    ok(
        cli(
            "source",
            "add",
            "--key",
            "card",
            "--url",
            "https://example.org/card.md",
            "--format",
            "text",
        )
    )
    ok(
        cli(
            "claim",
            "add",
            "--key",
            "size-405b",
            "--statement",
            "这是我们首次发布 4050 亿个参数的模型",
            "--language",
            "zh",
            "--statement-en",
            "our first 405B model",
            "--kind",
            "quantity",
            "--expected",
            "405e9",
            "--unit",
            "parameters",
            "--said-on",
            "2024-07-23",
            "--tag",
            "llama",
        )
    )
    ok(
        cli(
            "claim",
            "link",
            "size-405b",
            "card",
            "--rule-kind",
            "regex",
            "--rule",
            r"(?P<value>\d+B) sizes",
            "--option",
            "unit=parameters",
            "--authoritative",
        )
    )
    shown = ok(cli("claim", "show", "size-405b", "--json")).json()
    assert shown["expected_amount"] == "405000000000"
    assert shown["sources"][0]["source_key"] == "card"
    assert shown["sources"][0]["rule_options"] == {"unit": "parameters"}
    assert shown["sources"][0]["authoritative"] is True
    ok(
        cli(
            "claim",
            "edit",
            "size-405b",
            "--subject",
            "Llama 3.1 405B",
            "--tag",
            "llama",
            "--tag",
            "size",
        )
    )
    edited = ok(cli("claim", "show", "size-405b", "--json")).json()
    assert edited["subject"] == "Llama 3.1 405B" and edited["tags"] == ["llama", "size"]
    assert edited["statement"] == "这是我们首次发布 4050 亿个参数的模型"
    assert [c["key"] for c in ok(cli("claim", "list", "--tag", "size", "--json")).json()] == [
        "size-405b"
    ]
    assert ok(cli("claim", "list", "--kind", "date", "--json")).json() == []
    assert len(ok(cli("claim", "list", "--label", "none", "--json")).json()) == 1
    ok(cli("claim", "retire", "size-405b"))
    assert ok(cli("claim", "list", "--status", "active", "--json")).json() == []
    assert (
        ok(cli("claim", "list", "--status", "retired", "--json")).json()[0]["status"] == "retired"
    )
    ok(cli("claim", "unlink", "size-405b", "card"))
    assert ok(cli("claim", "show", "size-405b", "--json")).json()["sources"] == []
    human = ok(cli("claim", "show", "size-405b"))
    assert "size-405b" in human.stdout and "no verdict yet" in human.stdout


def test_json_output_is_only_json(cli) -> None:
    ok(cli("import", str(REPO / "sources")))
    for args in (
        ("claim", "list", "--json"),
        ("source", "list", "--json"),
        ("claim", "show", "iphone-released-2007", "--json"),
        ("db", "current", "--json"),
    ):
        result = ok(cli(*args))
        result.json()  # raises if anything but JSON reached stdout
    assert "claim(s)" in ok(cli("claim", "list")).stderr


def _write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def _source_toml(url: str, extra: str = "") -> str:
    return f"[[source]]\nkey = 's'\nurl = '{url}'\n{extra}"


BAD_TOML_CASES = {
    "unreadable": ("[[source]\nkey = 'x'\n", 2, "not valid TOML"),
    # values that used to pass and then broke every later run (issue 9)
    "recheck_hours beyond 64 bits": (
        _source_toml("https://example.org/x", "recheck_hours = 9223372036854775807\n"),
        2,
        "field 'recheck_hours': must be between 1 and 8760, got 9223372036854775807",
    ),
    "recheck_hours as a float": (
        _source_toml("https://example.org/x", "recheck_hours = 1e30\n"),
        2,
        "field 'recheck_hours': expected a whole number",
    ),
    "port out of range": (
        _source_toml("http://example.org:99999/"),
        2,
        "field 'url': 'http://example.org:99999/': port must be between 1 and 65535",
    ),
    "unclosed ipv6": (_source_toml("http://[::1/"), 2, "field 'url'"),
    "bad ipv6": (_source_toml("http://[zz::1]/"), 2, "field 'url'"),
    "idna-invalid host": (_source_toml("http://-bad-.example/"), 2, "not a valid host name"),
    "credentials": (
        _source_toml("https://user:pw@example.org/"),
        2,
        "credentials in a URL are not accepted",
    ),
    "nul in a statement": (
        "[[claim]]\nkey = 'c'\nstatement = \"a\\u0000b\"\nkind = 'text'\n",
        2,
        "claim 'c': field 'statement': control character U+0000 at position 2",
    ),
    "nul in a rule option": (
        _source_toml("https://example.org/x")
        + "[[claim]]\nkey = 'c'\nstatement = 's'\nkind = 'quantity'\nexpected = 1\n"
        "[[claim.evidence]]\nsource = 's'\nrule_kind = 'regex'\nrule = '(?P<value>\\d+)'\n"
        'options = { unit = "x\\u0000" }\n',
        2,
        "field 'options.unit': control character U+0000",
    ),
    "huge option integer": (
        _source_toml("https://example.org/x", "format = 'json'\n")
        + "[[claim]]\nkey = 'c'\nstatement = 's'\nkind = 'quantity'\nexpected = 1\n"
        "[[claim.evidence]]\nsource = 's'\nrule_kind = 'json_path'\nrule = '$.p[*]'\n"
        "options = { weights = { a = 99999999999999999999, b = 1 } }\n",
        2,
        "field 'options.weights.a': must be between -2147483648 and 2147483647",
    ),
    "wrong type": (
        "[[claim]]\nkey = 'c'\nstatement = 's'\nkind = 'date'\nexpected = '2007'\nsaid_on = 5\n",
        2,
        "claim 'c': field 'said_on': expected a date",
    ),
    "bad url": (
        "[[source]]\nkey = 's'\nurl = 'htp:/nope'\nformat = 'html'\n",
        2,
        "source 's': field 'url'",
    ),
    "unknown rule kind": (
        "[[source]]\nkey = 's'\nurl = 'https://example.org/'\n"
        "[[claim]]\nkey = 'c'\nstatement = 's'\n"
        "kind = 'text'\n[[claim.evidence]]\nsource = 's'\nrule_kind = 'xpath'\nrule = '//p'\n",
        2,
        "evidence[0]: field 'rule_kind': 'xpath' is not one of",
    ),
    "duplicate key": (
        "[[source]]\nkey = 's'\nurl = 'https://example.org/a'\n"
        "[[source]]\nkey = 's'\nurl = 'https://example.org/b'\n",
        2,
        "duplicate key",
    ),
    "impossible date": (
        "[[claim]]\nkey = 'c'\nstatement = 's'\nkind = 'date'\nexpected = '2024-02-30'\n",
        2,
        "field 'expected'",
    ),
    "non-numeric amount": (
        "[[claim]]\nkey = 'c'\nstatement = 's'\nkind = 'quantity'\nexpected = 'lots'\n",
        2,
        "'lots' has no figure",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_TOML_CASES))
def test_bad_toml_changes_nothing(
    cli, database: DatabaseUnderTest, tmp_path: Path, case: str
) -> None:
    seed(database)
    text, code, message = BAD_TOML_CASES[case]
    folder = tmp_path / "bad"
    folder.mkdir()
    # a good file first: the bad one must stop the import before the good one is written
    _write(folder / "a-good.toml", "[[source]]\nkey = 'good'\nurl = 'https://example.org/good'\n")
    bad = _write(folder / "b-bad.toml", text)
    before = database_state(database)
    result = cli("import", str(folder))
    assert result.code == code
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert bad in lines[0] and message in lines[0], lines[0]
    assert database_state(database) == before


BAD_CLI_CASES = {
    "malformed url": (["source", "add", "--key", "x", "--url", "not a url"], 2, "field 'url'"),
    "unknown key": (["claim", "show", "no-such-claim"], 4, "no claim with key 'no-such-claim'"),
    "unknown source": (
        ["claim", "link", "iphone-released-2007", "nope", "--rule-kind", "css", "--rule", "p"],
        4,
        "no source with key 'nope'",
    ),
    "non-numeric amount": (
        [
            "claim",
            "add",
            "--key",
            "n",
            "--statement",
            "s",
            "--kind",
            "quantity",
            "--expected",
            "many",
        ],
        2,
        "'many' has no figure",
    ),
    "impossible date": (
        [
            "claim",
            "add",
            "--key",
            "d",
            "--statement",
            "s",
            "--kind",
            "date",
            "--expected",
            "2007",
            "--said-on",
            "2024-02-30",
        ],
        2,
        "'2024-02-30' is not a date",
    ),
    "duplicate key": (
        [
            "claim",
            "add",
            "--key",
            "iphone-released-2007",
            "--statement",
            "s",
            "--kind",
            "date",
            "--expected",
            "2007",
        ],
        2,
        "already exists",
    ),
    "duplicate url": (
        [
            "source",
            "add",
            "--key",
            "again",
            "--url",
            "https://en.wikipedia.org/api/rest_v1/page/summary/IPhone_(1st_generation)",
        ],
        2,
        "already has the URL",
    ),
    "unknown rule kind": (
        [
            "claim",
            "link",
            "iphone-released-2007",
            "llama-3.1-license",
            "--rule-kind",
            "xpath",
            "--rule",
            "//p",
        ],
        2,
        "'xpath' is not one of",
    ),
    "bad regex": (
        [
            "claim",
            "link",
            "iphone-released-2007",
            "llama-3.1-license",
            "--rule-kind",
            "regex",
            "--rule",
            "(?P<value>[unclosed",
        ],
        2,
        "field 'rule'",
    ),
    "missing file": (["import", "no-such-dir/"], 2, "no such file or folder"),
    "recheck hours zero": (
        ["source", "add", "--key", "x", "--url", "https://example.org/x", "--recheck-hours", "0"],
        2,
        "field 'recheck_hours': must be between 1 and 8760, got 0",
    ),
    "port zero": (
        ["source", "add", "--key", "x", "--url", "https://example.org:0/x"],
        2,
        "port must be between 1 and 65535",
    ),
    "control character in a title": (
        ["source", "add", "--key", "x", "--url", "https://example.org/x", "--title", "a\x01b"],
        2,
        "field 'title': control character U+0001",
    ),
    "control character in a statement": (
        ["claim", "add", "--key", "n", "--statement", "s\x1b[2J", "--kind", "text"],
        2,
        "field 'statement': control character U+001B",
    ),
    "edit nothing": (["claim", "edit", "iphone-released-2007"], 2, "nothing to change"),
}


@pytest.mark.parametrize("case", sorted(BAD_CLI_CASES))
def test_bad_cli_input_changes_nothing(cli, database: DatabaseUnderTest, case: str) -> None:
    seed(database)
    args, code, message = BAD_CLI_CASES[case]
    before = database_state(database)
    result = cli(*args)
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert message in result.stderr, result.stderr
    assert result.stdout == ""
    assert database_state(database) == before


def test_unreachable_database(tmp_path: Path) -> None:
    for url, message in (
        ("postgresql://postgres@127.0.0.1:1/nothing", "cannot reach the database"),
        (f"sqlite:///{tmp_path}/missing/dir/x.db", "no database at"),
        ("mysql://x@y/z", "unsupported database"),
        ("::::", "not a database URL"),
    ):
        # one real process (its start-up and logging set-up), the rest in-process
        real = url.startswith("postgresql")
        result = run_cli("claim", "list", db_url=url, cwd=tmp_path, subprocess=real)
        assert result.code in (1, 2), result.stderr
        assert "Traceback" not in result.stderr
        assert message in result.stderr and result.stderr.strip().count("\n") == 0, result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was created


def test_init_default_sqlite_in_working_directory(tmp_path: Path) -> None:
    first = run_cli("init", cwd=tmp_path, subprocess=True)  # start-up of a real process
    assert first.code == 0, first.stderr
    assert (tmp_path / "factcheck.db").exists()
    again = run_cli("init", cwd=tmp_path)
    assert again.code == 0 and "already initialised" in again.stderr
    current = run_cli("db", "current", "--json", cwd=tmp_path)
    assert current.json()["up_to_date"] is True  # type: ignore[index]
    upgrade = run_cli("db", "upgrade", cwd=tmp_path)
    assert upgrade.code == 0 and "already at" in upgrade.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    missing = run_cli("claim", "list", cwd=elsewhere)
    assert (
        missing.code == 1
        and "no database at factcheck.db: run `factcheck init` first" in missing.stderr
    )
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FACTCHECK_WORKERS", "0", "FACTCHECK_WORKERS: must be between 1 and 256, got 0"),
        ("FACTCHECK_SOURCE_DEADLINE_S", "-1", "FACTCHECK_SOURCE_DEADLINE_S: must be greater"),
        ("FACTCHECK_LOCK_LEASE_S", "1e3", "FACTCHECK_LOCK_LEASE_S: expected an integer"),
    ],
)
def test_settings_out_of_range_stop_at_start(
    cli, database: DatabaseUnderTest, variable: str, value: str, message: str
) -> None:
    seed(database)
    before = database_state(database)
    args = ("source", "add", "--key", "x", "--url", "https://example.org/x")
    result = cli(*args, env={variable: value})
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.stderr
    assert database_state(database) == before


# -- a read-only SQLite file (issue 9) ---------------------------------------------------------


def test_read_only_sqlite_is_read_and_refuses_writes_in_one_line(tmp_path: Path) -> None:
    """In-process: an engine opened read-only reads, exports and refuses a write; a file in
    rollback-journal mode is not switched to WAL (that switch is a write)."""
    import io

    from factcheck.config import Settings
    from factcheck.editorial import export
    from factcheck.errors import DatabaseError
    from factcheck.storage import catalog, db
    from factcheck.storage.models import utcnow
    from tests.support import DatabaseUnderTest

    url = f"sqlite:///{tmp_path / 'factcheck.db'}"
    engine = db.make_engine(url, must_exist=False)
    db.upgrade(engine)
    seed(DatabaseUnderTest("sqlite", url, engine))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=DELETE")
    engine.dispose()
    data = (tmp_path / "factcheck.db").read_bytes()
    reader = db.make_engine(url, read_only=True)
    try:
        db.check_at_head(reader)
        with db.session_scope(reader) as session:
            assert len(catalog.list_claims(session=session, settings=Settings())) == len(SEED_KEYS)
            out = io.StringIO(newline="")
            count = export.export_csv(
                "claims", session=session, out=out, settings=Settings(), now=utcnow()
            )
            assert count == len(SEED_KEYS)
        with pytest.raises(DatabaseError) as raised, db.session_scope(reader) as session:
            claim = catalog.get_claim(session=session, key="iphone-released-2007")
            catalog.retire_claim(session=session, claim=claim, now=utcnow())
        assert "readonly database" in str(raised.value) and "\n" not in str(raised.value)
    finally:
        reader.dispose()
    assert (tmp_path / "factcheck.db").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["factcheck.db"]


def _as_unprivileged() -> tuple[list[str], dict[str, object]] | None:
    """How to run the CLI as a user the file modes apply to: ourselves, or `nobody` when the
    tests run as root (root ignores chmod), through a system Python of the same version that
    loads this environment's packages (the venv's interpreter may sit where nobody can go)."""
    import os
    import pwd
    import site
    import subprocess
    import sys

    if os.geteuid() != 0:
        return [sys.executable, "-m", "factcheck"], {}
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    packages = [p for p in site.getsitepackages() if Path(p, "factcheck-0.1.0.dist-info").exists()]
    if not packages:
        return None
    launcher = (
        f"import site, sys; site.addsitedir({packages[0]!r}); "
        "from factcheck.cli import main; sys.argv[0] = 'factcheck'; main()"
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for python in (Path("/usr/bin", version), Path("/usr/local/bin", version)):
        if not python.exists():
            continue
        probe = [str(python), "-c", launcher, "--help"]
        if subprocess.run(probe, user="nobody", capture_output=True, check=False).returncode == 0:
            return [str(python), "-c", launcher], {"user": "nobody"}
    return None


def test_read_only_sqlite_file_through_the_cli() -> None:
    """Real file modes: a 444 file in a 555 folder, read by someone who may not write it."""
    import os
    import subprocess
    import tempfile

    runner = _as_unprivileged()
    if runner is None:
        pytest.skip("no unprivileged user and interpreter to run the CLI as")
    command, extra = runner
    folder = Path(tempfile.mkdtemp(prefix="factcheck-ro-"))
    try:
        folder.chmod(0o755)
        url = f"sqlite:///{folder / 'factcheck.db'}"
        ok(run_cli("init", db_url=url))
        ok(run_cli("import", str(REPO / "sources"), db_url=url))
        (folder / "factcheck.db").chmod(0o444)
        folder.chmod(0o555)
        data = (folder / "factcheck.db").read_bytes()
        env = {k: v for k, v in os.environ.items() if not k.startswith("FACTCHECK_")}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*command, "--db", url, *args],
                capture_output=True,
                text=True,
                env={**env, "COLUMNS": "200", "HOME": "/tmp"},
                cwd="/tmp",
                check=False,
                timeout=120,
                **extra,  # type: ignore[call-overload]
            )

        listed = run("claim", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert {c["key"] for c in json.loads(listed.stdout)} == SEED_KEYS
        exported = run("export", "claims", "--no-bom")
        assert exported.returncode == 0, exported.stderr
        assert exported.stdout.startswith("key,statement,")
        write = run("claim", "retire", "iphone-released-2007")
        assert write.returncode == 1
        lines = write.stderr.strip().splitlines()
        assert len(lines) == 1 and "readonly database" in lines[0], write.stderr
        assert (folder / "factcheck.db").read_bytes() == data
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def test_json_given_on_the_review_group_applies_to_review_done(cli) -> None:
    """`review --json done KEY` prints the review as `review done KEY --json` does."""
    ok(cli("import", str(REPO / "sources")))
    key = "iphone-released-2007"
    before = ok(cli("review", "--json", "done", key, "--note", "checked", "--editor", "ann"))
    after = ok(cli("review", "done", key, "--note", "again", "--json"))
    first, second = before.json(), after.json()
    assert (first["claim_key"], first["note"], first["editor"]) == (key, "checked", "ann")
    assert second["note"] == "again" and second["id"] != first["id"]
    assert "claim iphone-released-2007 reviewed" in before.stderr


@pytest.mark.parametrize("revision", ["bogus", "0001"])
def test_an_unknown_upgrade_revision_is_a_usage_error(
    cli, database: DatabaseUnderTest, revision: str
) -> None:
    seed(database)
    before = database_state(database)
    result = cli("db", "upgrade", revision)
    assert (result.code, result.stdout) == (2, "")
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: unknown revision {revision!r}: give head or one of "), line
    assert line.endswith(", 0009"), line
    assert database_state(database) == before


def test_an_unreachable_relative_revision_is_a_usage_error(
    cli, database: DatabaseUnderTest
) -> None:
    seed(database)
    result = cli("db", "upgrade", "--", "+1")  # already at head: nothing one step above
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: cannot upgrade to revision '+1': Relative revision +1 didn't produce 1 migrations\n"
    )
