"""urllib3's Retry, bounded by the source's deadline: retries (429/5xx and network errors, GET
only, backoff with jitter, Retry-After capped) happen inside one `session.send`, so the pause
between attempts must itself stop at the deadline of the fetch that is waiting.
"""

from __future__ import annotations

import threading
import time

from urllib3.exceptions import InvalidHeader
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from factcheck.config import Settings
from factcheck.fetching.body import Budget

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# The budget of the fetch running on this thread, so urllib3's Retry can honour the deadline
# between attempts (Retry objects are shared by every thread through the adapter).
active = threading.local()


class DeadlineRetry(Retry):
    """urllib3 Retry that stops when the source's deadline would pass during the next pause,
    and treats an unparseable Retry-After as absent. `retry_after_max` caps Retry-After."""

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:
            return None

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        pause = None
        if self.respect_retry_after_header and response is not None:
            pause = self.get_retry_after(response)
        if not pause:
            pause = self.get_backoff_time()
        budget: Budget | None = getattr(active, "budget", None)
        if budget is not None and pause >= budget.remaining_s():
            raise budget.exceeded()
        if pause > 0:
            time.sleep(pause)


def make_retry(settings: Settings) -> DeadlineRetry:
    """The retry policy a run's adapter shares: redirects off, as the fetcher follows them."""
    return DeadlineRetry(
        total=settings.retries,
        connect=settings.retries,
        read=settings.retries,
        status=settings.retries,
        other=0,
        redirect=False,  # followed by `Fetcher._get`, hop by hop, through the SSRF guard
        allowed_methods=frozenset({"GET", "HEAD"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=settings.backoff_factor_s,
        backoff_jitter=settings.backoff_factor_s,
        # Typed int in urllib3 but compared with float seconds, so a float cap works.
        retry_after_max=settings.retry_after_cap_s,  # type: ignore[arg-type]
        respect_retry_after_header=True,
        raise_on_status=False,  # the last 5xx comes back and becomes http_status
    )
