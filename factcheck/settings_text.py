"""The text settings: checked once at start, and never shown with their secrets.

A secret is not echoed anywhere: `config show` masks it, and an error about a setting quotes a
URL only through `mask_url` and a secret setting not at all (errors end up in logs and issues).
The webhook secret's key is derived here, so that a malformed secret stops the program at start
instead of failing its first delivery. Below `config` (it imports only `errors`), so that
config, storage and the CLI share one mask.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from factcheck.errors import ConfigError

MASK = "***"
SECRET_SETTINGS = ("webhook_secret",)  # never shown, nor quoted in an error
URL_SECRET_SETTINGS = ("database_url", "webhook_url")  # may carry a password or a token
PATH_SECRET_SETTINGS = ("webhook_url",)  # a Slack-style hook carries its token in the path
URL_SETTINGS = ("webhook_url", "organisation_url")  # http(s) with a host, when set
LOG_FORMATS = ("text", "json")
EXECUTORS = ("local", "procrastinate")  # procrastinate: PostgreSQL only
SECRET_PREFIX = "whsec_"  # Standard Webhooks: the base64 of the key follows
_SECRET_WORDS = re.compile(r"pass|pwd|secret|token|key|sig|auth|cred", re.IGNORECASE)


def mask_url(url: str, *, hide_path: bool = False) -> str:
    """A URL with its password, query values named like secrets and (`hide_path`) everything
    after the host replaced by ***; a URL missing its `scheme:` is masked all the same.

    >>> mask_url("postgresql://app:s3cret@db:5432/facts?sslmode=require")
    'postgresql://app:***@db:5432/facts?sslmode=require'
    >>> mask_url("postgresql//u:s3cret@h/db"), mask_url("u:s3cret@h")
    ('postgresql//u:***@h/db', 'u:***@h')
    >>> mask_url("https://hooks.example/in?channel=x&token=abc")
    'https://hooks.example/in?channel=x&token=***'
    >>> mask_url("https://hooks.slack.com/services/T0/B0/XXXX", hide_path=True)
    'https://hooks.slack.com/***'
    >>> mask_url("hooks.slack.com/services/T0/B0/XXXX", hide_path=True)
    'hooks.slack.com/***'
    >>> mask_url("sqlite:///factcheck.db")
    'sqlite:///factcheck.db'
    """
    head, hash_, fragment = url.partition("#")
    head, mark, query = head.partition("?")
    scheme, sep, rest = head.partition("//")
    if not sep:
        scheme, rest = "", head
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        authority = f"{userinfo.split(':', 1)[0]}:{MASK}@{host}"
    if hide_path:
        path, fragment = (path and MASK), (fragment and MASK)
    head = f"{scheme}{sep}{authority}{slash}{path}"
    if query:
        pairs = [pair.partition("=") for pair in query.split("&")]
        query = "&".join(
            f"{k}={MASK}" if eq and _SECRET_WORDS.search(k) else f"{k}{eq}{v}" for k, eq, v in pairs
        )
    return f"{head}{mark}{query}{hash_}{fragment}"


def shown_value(name: str, value: Any) -> Any:
    """A setting's value as it may be shown: secrets are ***, URLs masked.

    >>> shown_value("webhook_secret", "whsec_abc"), shown_value("webhook_secret", None)
    ('***', None)
    >>> shown_value("webhook_url", "https://hooks.slack.com/services/T0/B0/XXXX")
    'https://hooks.slack.com/***'
    """
    if value is None:
        return None
    if name in SECRET_SETTINGS:
        return MASK
    if name in URL_SECRET_SETTINGS:
        return mask_url(str(value), hide_path=name in PATH_SECRET_SETTINGS)
    return value


def secret_problem(secret: str) -> str | None:
    """What is wrong with a webhook secret (never quoting it), or None.

    >>> secret_problem("whsec_c2VjcmV0IGtleQ"), secret_problem("whsec_not base64!")
    (None, 'the part after whsec_ must be base64')
    """
    if not secret:
        return "empty"
    encoded = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    if secret.startswith(SECRET_PREFIX) and (
        not re.fullmatch(r"[A-Za-z0-9+/]+", encoded) or len(encoded) % 4 == 1
    ):
        return f"the part after {SECRET_PREFIX} must be base64"
    return None


def signing_key(secret: str) -> bytes:
    """The HMAC key of a webhook secret: the base64 after `whsec_`, else the text's bytes.

    >>> signing_key("whsec_c2VjcmV0IGtleQ==")
    b'secret key'
    >>> signing_key("whsec_c2VjcmV0IGtleQ")  # unpadded, as the reference library accepts
    b'secret key'
    >>> signing_key("a plain passphrase")
    b'a plain passphrase'
    >>> signing_key("whsec_not base64!")
    Traceback (most recent call last):
    factcheck.errors.ConfigError: FACTCHECK_WEBHOOK_SECRET: the part after whsec_ must be base64
    """
    problem = secret_problem(secret)
    if problem is not None:  # the message never quotes the secret: it may end up in a log
        raise ConfigError(f"FACTCHECK_WEBHOOK_SECRET: {problem}")
    if not secret.startswith(SECRET_PREFIX):
        return secret.encode("utf-8")
    encoded = secret.removeprefix(SECRET_PREFIX).rstrip("=")
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4))


def check_texts(values: Mapping[str, Any], named: Callable[[str], str]) -> None:
    """The text settings a run relies on (`values` by field name): an honest, sendable
    User-Agent, URLs that parse, a known log format, a CA file that exists, a webhook secret
    that makes a key. (Schedule settings are checked by the scheduler, which parses them.)"""
    agent = values["user_agent"]
    if not agent.strip() or any(ord(c) < 32 or ord(c) == 127 for c in agent):
        raise ConfigError(f"{named('user_agent')}: must be one line of text, got {agent!r}")
    for name in URL_SETTINGS:
        value = values[name]
        if value is None:
            continue
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018  (parsing the port is the check)
        except ValueError:
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.hostname or not value.isprintable():
            shown = shown_value(name, value)
            raise ConfigError(f"{named(name)}: expected an http(s) URL, got {shown!r}")
    for name, choices in (("log_format", LOG_FORMATS), ("executor", EXECUTORS)):
        if values[name] not in choices:
            raise ConfigError(
                f"{named(name)}: expected one of {', '.join(choices)}, got {values[name]!r}"
            )
    if values["executor"] != "local" and not values["database_url"].startswith("postgresql"):
        raise ConfigError(f"{named('executor')}: procrastinate needs a PostgreSQL database")
    if values["ca_bundle"] is not None and not os.path.isfile(values["ca_bundle"]):
        raise ConfigError(f"{named('ca_bundle')}: no such file: {values['ca_bundle']}")
    secret = values["webhook_secret"]
    problem = None if secret is None else secret_problem(secret)
    if problem is not None:
        raise ConfigError(f"{named('webhook_secret')}: {problem}")
