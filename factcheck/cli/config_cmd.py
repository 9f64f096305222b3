"""`factcheck config show`: every effective setting, its value and where it came from.

Where: `default`, the config file (as found), the `FACTCHECK_*` variable, or the command-line
option. Secrets are shown as *** (the webhook secret, a URL's password, query values named like
secrets, the webhook URL's path), so that the output can be pasted into an issue; the mask is
`factcheck.settings_text`'s, which the errors about settings use too.
"""

from __future__ import annotations

from typing import Any

import typer

from factcheck.cli.common import JSON_OPTION, print_json, say, state
from factcheck.config import Origin, Resolved, env_name, resolve_settings, setting_names
from factcheck.settings_text import shown_value

config_app = typer.Typer(
    help="Configuration: the effective settings and where each came from.", no_args_is_help=True
)


def _effective(ctx: typer.Context) -> Resolved:
    """The settings the command line built, with where each came from: resolved again from the
    same environment, file and root options; a value the command line changed otherwise (an
    option given after the subcommand) is marked as that option."""
    root = ctx.find_root()
    resolved = resolve_settings(options={"database_url": root.params.get("db")})
    settings = state(ctx).settings
    origins = dict(resolved.origins)
    for name in setting_names():
        if getattr(settings, name) != getattr(resolved.settings, name):
            origins[name] = Origin("option", "command line")
    return Resolved(settings, origins, resolved.config_file)


def _cell(value: Any) -> Any:
    """A value as the config file would spell it: true/false, numbers and text as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


@config_app.command("show")
def show(ctx: typer.Context, as_json: bool = JSON_OPTION) -> None:
    """Print every effective setting, its value and where it came from (secrets as ***)."""
    from factcheck.cli.output import print_table

    resolved = _effective(ctx)
    rows = [
        {
            "setting": name,
            "variable": env_name(name),
            "value": shown_value(name, getattr(resolved.settings, name)),
            "source": resolved.origins[name].kind,
            "from": resolved.origins[name].name or None,
        }
        for name in setting_names()
    ]
    where = resolved.config_file
    say(f"config file: {where.resolve()}" if where is not None else "config file: none")
    if as_json:
        print_json(rows)
        return
    print_table(
        ["setting", "value", "source"],
        [(r["setting"], _cell(r["value"]), r["from"] or r["source"]) for r in rows],
    )


def register(app: typer.Typer) -> None:
    app.add_typer(config_app, name="config")
