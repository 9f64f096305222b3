"""One exception tree for factcheck; imports nothing from the package.

    FactcheckError                 base: every expected failure; the CLI prints one line
    ├── ConfigError                bad settings (exit 2)
    ├── ValidationError            bad input from a user or a file (exit 2)
    │   └── SourceFileError        a TOML file, entry or field is wrong
    ├── NotFoundError              an unknown claim or source key (exit 4)
    ├── DatabaseError              database unreachable or a statement failed (exit 1)
    ├── LockHeldError              another runner holds the run lock (exit 5)
    ├── FetchError                 a source could not be fetched; carries an error code
    │   └── BlockedAddressError    the SSRF guard refused a host
    └── ExtractError               a rule could not be applied; carries an error code

A bug is not a FactcheckError: it still crashes loudly.
"""


class FactcheckError(Exception):
    """Base of every failure that is reported to the user as one line."""

    exit_code = 1


class ConfigError(FactcheckError):
    exit_code = 2


class ValidationError(FactcheckError):
    exit_code = 2


class SourceFileError(ValidationError):
    """A declared TOML file is wrong; the message names file, entry and field."""


class NotFoundError(FactcheckError):
    exit_code = 4


class DatabaseError(FactcheckError):
    exit_code = 1


class LockHeldError(FactcheckError):
    exit_code = 5


class FetchError(FactcheckError):
    """A fetch failed; `code` is one of domain.ErrorCode's values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class BlockedAddressError(FetchError):
    def __init__(self, message: str) -> None:
        super().__init__("blocked_address", message)


class ExtractError(FactcheckError):
    """A rule failed on a fetched body; `code` is one of domain.ErrorCode's values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
