"""Declaration files: find the TOML files, read them, and validate every entry before use.

Errors name the file, the entry and the field; nothing is returned unless everything is valid.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from factcheck.declarations.fields import check_bool
from factcheck.declarations.inputs import (
    ClaimInput,
    Declarations,
    SourceInput,
    validate_claim,
    validate_source,
)
from factcheck.domain import SourceFormat
from factcheck.errors import SourceFileError, ValidationError


def expand_paths(paths: Sequence[Path]) -> list[Path]:
    """Files as given, folders as their *.toml files in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(path.glob("*.toml"))
            if not found:
                raise SourceFileError(f"{path}: no .toml files in this folder")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise SourceFileError(f"{path}: no such file or folder")
    return files


def load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle, parse_float=Decimal)
    except OSError as exc:
        raise SourceFileError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SourceFileError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourceFileError(f"{path}: not valid TOML: {exc}") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise SourceFileError(f"{path}: not valid TOML: {exc}") from None


def read_declarations(
    paths: Sequence[Path], *, known_source_formats: Mapping[str, SourceFormat] | None = None
) -> Declarations:
    """Read and validate every file before anything is written; the first error wins.

    `known_source_formats` are sources already in the store, which claims may link to.
    """
    files = expand_paths(paths)
    raw: list[tuple[Path, dict[str, Any]]] = [(f, load_toml(f)) for f in files]
    sources: list[SourceInput] = []
    seen_sources: dict[str, Path] = {}
    seen_urls: dict[str, str] = {}
    for path, doc in raw:
        extra = sorted(set(doc) - {"source", "claim"})
        if extra:
            raise SourceFileError(
                f"{path}: unknown table '{extra[0]}' (expected [[source]], [[claim]])"
            )
        for index, entry in enumerate(_entries(path, doc, "source")):
            where = f"{path}: source {entry.get('key', f'#{index + 1}')!r}"
            try:
                spec = validate_source(entry)
            except ValidationError as exc:
                raise SourceFileError(f"{where}: {exc}") from None
            if spec.key in seen_sources:
                raise SourceFileError(f"{where}: duplicate key (also in {seen_sources[spec.key]})")
            if spec.url in seen_urls:
                raise SourceFileError(
                    f"{where}: field 'url': same URL as source {seen_urls[spec.url]!r}"
                )
            seen_sources[spec.key] = path
            seen_urls[spec.url] = spec.key
            sources.append(spec)
    formats = dict(known_source_formats or {})
    formats.update({s.key: s.format for s in sources})
    claims: list[ClaimInput] = []
    seen_claims: dict[str, Path] = {}
    for path, doc in raw:
        for index, entry in enumerate(_entries(path, doc, "claim")):
            where = f"{path}: claim {entry.get('key', f'#{index + 1}')!r}"
            _refuse_draft(entry, where)
            try:
                claim = validate_claim(entry, source_formats=formats)
            except ValidationError as exc:
                raise SourceFileError(f"{where}: {exc}") from None
            if claim.key in seen_claims:
                raise SourceFileError(f"{where}: duplicate key (also in {seen_claims[claim.key]})")
            for index_link, link in enumerate(claim.links):
                if link.source_key not in formats:
                    raise SourceFileError(
                        f"{where}: evidence[{index_link}]: field 'source': "
                        f"unknown source {link.source_key!r}"
                    )
            seen_claims[claim.key] = path
            claims.append(claim)
    return Declarations(sources=tuple(sources), claims=tuple(claims), files=tuple(files))


def _entries(path: Path, doc: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    entries = doc.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
        raise SourceFileError(f"{path}: '{name}' must be an array of tables ([[{name}]])")
    return entries


def _refuse_draft(entry: Mapping[str, Any], where: str) -> None:
    """A `factcheck spot` draft is never imported: the editor gives it a source and unmarks it."""
    try:
        draft = check_bool(entry.get("draft", False), "draft")
    except ValidationError as exc:
        raise SourceFileError(f"{where}: {exc}") from None
    if draft:
        raise SourceFileError(
            f"{where} is a draft: give it a source ([[claim.evidence]]) and remove draft = true"
        )
