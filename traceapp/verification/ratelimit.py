"""A per-client fixed-window rate limiter, in process memory (one per worker).

Trade-off: counters in memory cost nothing per request and need no table, but each gunicorn
worker counts on its own, so a client may reach up to ``workers x limit`` per window, and a
restart forgets the counts. That is acceptable for the public pages' abuse protection; the
security-critical limit (wrong PINs) is counted in the database (PinAttempts) instead.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Limit:
    requests: int
    window: float
    """Seconds."""


DEFAULT_LIMITS = {
    "page": Limit(60, 60.0),  # resolver pages and JSON
    "bundle": Limit(30, 60.0),  # proof bundles: heavier to build
    "claim": Limit(10, 60.0),  # PIN submissions, on top of the per-item lockout
    "ledger": Limit(6000, 60.0),  # the HTTP ledger API: auditors page through entries
    "qr": Limit(120, 60.0),  # QR images
    "feed": Limit(60, 60.0),  # catalogue feeds and portal export pages
}
MAX_KEYS = 100_000  # memory bound: beyond it, expired windows are dropped


class RateLimiter:
    """Fixed windows per (bucket, client); thread-safe for gthread workers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}

    def hit(self, bucket: str, client: str, limit: Limit) -> int:
        """Count a request; 0 if allowed, else the seconds until the window resets."""
        now = self._clock()
        key = (bucket, client)
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= limit.window:
                start, count = now, 0
            if count >= limit.requests:
                return max(1, math.ceil(start + limit.window - now))
            self._windows[key] = (start, count + 1)
            if len(self._windows) > MAX_KEYS:
                self._prune(now, limit.window)
            return 0

    def _prune(self, now: float, window: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < window}
