"""Rates per client that hold when the shared cache does not: the report form, the API, search.

A rate is counted in fixed windows (``5/hour`` is at most 5 in each clock hour) with one atomic
counter per client and window in the shared cache: ``add`` creates it, ``incr`` counts, so two
requests at the same moment never both read the same count (20 concurrent reports from one
client store at most 5).

When the shared cache errs (Redis down, frozen past its socket timeout, full and refusing
writes), the counter cannot be trusted, so the request is counted in this process instead: a
per-process limit, the same rate, which holds for every worker on its own (with N workers a
client gets at most N times the rate until the cache is back). It never fails open.
"""

import dataclasses
import hashlib
import logging
import threading
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)

PERIODS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
    "d": 86400,
    "day": 86400,
}


@dataclasses.dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text):
        """``"120/minute"``, ``"5/hour"``, ``"30/m"``."""
        count, _slash, period = str(text).partition("/")
        return cls(int(count), PERIODS[period.strip().lower()])


@dataclasses.dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends
    shared: bool  # counted in the shared cache (False: in this process, the cache erring)


class LocalCounters:
    """The fallback: counters in this process, for windows that have not ended."""

    def __init__(self):
        self.counts = {}
        self.lock = threading.Lock()

    def incr(self, key, window_end):
        with self.lock:
            now = time.time()
            if len(self.counts) > 10_000:  # drop ended windows; bounded by the clients of one window
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            count, end = self.counts.get(key, (0, window_end))
            self.counts[key] = (count + 1, end)
            return count + 1


local_counters = LocalCounters()


def _shared_incr(key, timeout):
    """The count after this request, from the shared cache; None when the cache errs.

    ``add`` then ``incr``: a key missing right after ``add`` means the cache refused the write or
    is unreachable (the resilient Redis cache, claims/caching/backend.py, answers both that way).
    """
    try:
        cache.add(key, 0, timeout)
        return cache.incr(key)
    except Exception as error:  # ValueError (no key), or any error of a cache that raises them
        logger.warning("Rate limit counted in this process: the shared cache failed (%s)", error)
        return None


def hit(scope, ident, rate):
    """Count one request of ``ident`` (a client address) under ``scope`` at ``rate`` (a Rate or its text)."""
    rate = rate if isinstance(rate, Rate) else Rate.parse(rate)
    now = time.time()
    window = int(now // rate.seconds)
    window_end = (window + 1) * rate.seconds
    digest = hashlib.sha256(str(ident).encode()).hexdigest()[:24]
    key = f"rate:{scope}:{rate.seconds}:{window}:{digest}"
    count = _shared_incr(key, rate.seconds + 5)
    shared = count is not None
    if not shared:
        count = local_counters.incr(key, window_end)
    return Verdict(allowed=count <= rate.limit, retry_after=max(1, int(window_end - now + 0.999)), shared=shared)
