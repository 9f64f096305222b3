"""file:// sources (only when settings.allow_file_urls): read with the same cap and charset
rules as HTTP, so a local fixture behaves like the page it stands for."""

from __future__ import annotations

import hashlib
import mimetypes
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from factcheck.domain import ErrorCode, Fetched, SourceFormat
from factcheck.errors import FetchError
from factcheck.fetching.body import too_large
from factcheck.fetching.charset import choose_encoding


def read_file(url: str, *, fmt: SourceFormat, cap: int, fetched_at: datetime) -> Fetched:
    """A local file as a Fetched; a remote host or an unreadable path is a FetchError."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(ErrorCode.BLOCKED_SCHEME, f"refused {url}: file URLs must be local")
    path = Path(url2pathname(parts.path))
    try:
        with path.open("rb") as handle:
            body = handle.read(cap + 1)
    except OSError as exc:
        raise FetchError(ErrorCode.CONNECTION, f"cannot read {path}: {exc.strerror}") from exc
    if len(body) > cap:
        raise too_large(url, cap)
    content_type = mimetypes.guess_type(path.name)[0]
    return Fetched(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": content_type} if content_type else {},
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        fetched_at=fetched_at,
        encoding=choose_encoding(body, content_type=content_type, fmt=fmt),
        content_type=content_type,
    )
