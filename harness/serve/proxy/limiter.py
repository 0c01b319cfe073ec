"""A per-deployment concurrency limit that backs off on 429s (AIMD), for the request path.

The proxy sees every upstream call of one deployment, so the limit lives there: at most
`limit` requests are upstream at once. `limit` starts at the cap (the deployment's
max_connections); each 429 halves it (floor 1), at most once per Retry-After window, since
the requests already in flight when the API started refusing come back 429 together and are
one signal, not many; a run of max(limit, min_run) successes in a row adds 1 back, up to the
cap (min_run keeps a limit of 1 or 2 from probing, and paying a 429, every other request).

Requests over the limit wait in the proxy, but never for long: a client whose SDK timeout
runs out while it waits would retry into the same queue. A request that cannot start within
its wait budget is refused instead (`acquire` returns None) and the proxy answers 429 with a
Retry-After, so the SDK backs off and retries through its own loop, the one place retries
happen.

A request whose client has surely given up (in flight longer than `hold_s`, the client's
timeout) stops counting against the limit: its client has retried already, and a slow
answer nobody waits for must not block the requests of clients that still wait.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LimiterStats:
    cap: int
    limit: int  # the limit now
    min_limit: int  # the lowest it went
    n_backoffs: int  # times a 429 decreased it
    n_waited: int  # requests that had to wait for a slot
    n_refused: int  # requests answered 429 by the proxy because no slot came in time


class AdaptiveLimiter:
    """Thread-safe AIMD concurrency limit; `acquire` a slot, `release` it with the status."""

    def __init__(
        self,
        cap: int,
        *,
        hold_s: float | None = None,
        default_window_s: float = 1.0,
        min_run: int = 8,
        on_change: Callable[[LimiterStats], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cap < 1:
            raise ValueError(f"concurrency cap must be >= 1, not {cap}")
        self.cap = cap
        self._limit = cap
        self._min = cap
        self._hold_s = hold_s
        self._default_window_s = default_window_s
        self._min_run = max(1, min_run)
        self._on_change = on_change
        self._clock = clock
        self._cond = threading.Condition()
        self._ids = itertools.count()
        self._in_flight: dict[int, float] = {}  # slot id -> start time
        self._successes = 0
        self._calm_at = 0.0  # no further decrease before this time (the Retry-After window)
        self._n_backoffs = self._n_waited = self._n_refused = 0

    # --- slots --------------------------------------------------------------------------

    def _active(self, now: float) -> int:
        if self._hold_s is None:
            return len(self._in_flight)
        return sum(1 for t in self._in_flight.values() if now - t < self._hold_s)

    def _next_expiry(self, now: float) -> float | None:
        if self._hold_s is None or not self._in_flight:
            return None
        return min(self._in_flight.values()) + self._hold_s - now

    def acquire(self, wait_s: float) -> int | None:
        """A slot id, waiting at most wait_s for one; None when none came in time."""
        deadline = self._clock() + wait_s
        waited = False
        with self._cond:
            while True:
                now = self._clock()
                if self._active(now) < self._limit:
                    slot = next(self._ids)
                    self._in_flight[slot] = now
                    return slot
                remaining = deadline - now
                if remaining <= 0:
                    self._n_refused += 1
                    return None
                if not waited:
                    waited = True
                    self._n_waited += 1
                expiry = self._next_expiry(now)
                self._cond.wait(remaining if expiry is None else max(0.001, min(remaining, expiry)))

    def release(self, slot: int, status: int | None, retry_after_s: float | None = None) -> None:
        """Give the slot back. status: the upstream HTTP status (None: timeout or drop)."""
        changed: LimiterStats | None = None
        with self._cond:
            self._in_flight.pop(slot, None)
            now = self._clock()
            if status == 429:
                self._successes = 0
                if now >= self._calm_at and self._limit > 1:
                    window = retry_after_s if retry_after_s and retry_after_s > 0 else None
                    self._calm_at = now + (window or self._default_window_s)
                    self._limit = max(1, self._limit // 2)
                    self._min = min(self._min, self._limit)
                    self._n_backoffs += 1
                    changed = self._stats()
            elif status is not None and 200 <= status < 300:
                self._successes += 1
                if self._limit < self.cap and self._successes >= max(self._limit, self._min_run):
                    self._limit += 1
                    self._successes = 0
                    changed = self._stats()
            self._cond.notify_all()
        if changed is not None and self._on_change is not None:
            self._on_change(changed)

    def retry_after_s(self) -> float:
        """What to tell a refused client: the rest of the back-off window, at least 1 s."""
        with self._cond:
            return max(1.0, self._calm_at - self._clock())

    # --- reading ------------------------------------------------------------------------

    def _stats(self) -> LimiterStats:
        return LimiterStats(
            self.cap, self._limit, self._min, self._n_backoffs, self._n_waited, self._n_refused
        )

    @property
    def stats(self) -> LimiterStats:
        with self._cond:
            return self._stats()

    @property
    def limit(self) -> int:
        with self._cond:
            return self._limit

    @property
    def in_flight(self) -> int:
        with self._cond:
            return self._active(self._clock())


def parse_retry_after(headers: dict[str, str] | object) -> float | None:
    """Seconds from retry-after-ms or retry-after (delta seconds only), if present."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if value:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                continue  # an HTTP date: treated as absent (the default window applies)
    return None
