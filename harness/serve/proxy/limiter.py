"""A per-deployment concurrency limit that backs off on 429s (AIMD), for the request path.

The proxy process sees every upstream attempt of one deployment, from every engine, run and
shard, so the limit lives there: at most `limit` attempts are upstream at once. `limit`
starts at the cap (the deployment's max_connections); each 429 halves it (floor 1), at most
once per Retry-After window, since the requests already in flight when the API started
refusing come back 429 together and are one signal, not many; a run of max(limit, min_run)
successes in a row adds 1 back, up to the cap (min_run keeps a limit of 1 or 2 from probing,
and paying a 429, every other request).

Requests over the limit wait here, first come first served. A request that gets no slot
within its queue budget is refused (`acquire` returns None): the proxy answers it with an
error instead of letting it wait for ever. Single-threaded: it lives on the proxy's event loop.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC


@dataclass(frozen=True)
class LimiterStats:
    cap: int
    limit: int  # the limit now
    min_limit: int  # the lowest it went
    n_backoffs: int  # times a 429 decreased it
    n_waited: int  # requests that had to wait for a slot
    n_refused: int  # requests refused because no slot came within their queue budget


class AdaptiveLimiter:
    """AIMD concurrency limit on one event loop; `acquire` a slot, `release` it with the status."""

    def __init__(
        self,
        cap: int,
        *,
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
        self._default_window_s = default_window_s
        self._min_run = max(1, min_run)
        self._on_change = on_change
        self._clock = clock
        self._active = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._successes = 0
        self._calm_at = 0.0  # no further decrease before this time (the Retry-After window)
        self._n_backoffs = self._n_waited = self._n_refused = 0

    def _wake(self) -> None:
        while self._waiters and self._active < self._limit:
            fut = self._waiters.popleft()
            if not fut.done():
                self._active += 1  # the slot passes straight to the waiter
                fut.set_result(None)

    async def acquire(self, wait_s: float) -> bool:
        """True with a slot (release it later); False when none came within wait_s."""
        if self._active < self._limit and not self._waiters:
            self._active += 1
            return True
        self._n_waited += 1
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await asyncio.wait_for(asyncio.shield(fut), timeout=wait_s)
            return True
        except TimeoutError:
            if fut.done() and not fut.cancelled():  # the slot came just as time ran out
                return True
            fut.cancel()
            self._n_refused += 1
            return False
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                self.release(None)
            else:
                fut.cancel()
            raise

    def release(self, status: int | None, retry_after_s: float | None = None) -> None:
        """Give a slot back. status: the upstream HTTP status (None: timeout or drop)."""
        self._active -= 1
        changed: LimiterStats | None = None
        now = self._clock()
        if status == 429:
            self._successes = 0
            if now >= self._calm_at and self._limit > 1:
                window = retry_after_s if retry_after_s and retry_after_s > 0 else None
                self._calm_at = now + (window or self._default_window_s)
                self._limit = max(1, self._limit // 2)
                self._min = min(self._min, self._limit)
                self._n_backoffs += 1
                changed = self.stats
        elif status is not None and 200 <= status < 300:
            self._successes += 1
            if self._limit < self.cap and self._successes >= max(self._limit, self._min_run):
                self._limit += 1
                self._successes = 0
                changed = self.stats
        self._wake()
        if changed is not None and self._on_change is not None:
            self._on_change(changed)

    @property
    def stats(self) -> LimiterStats:
        return LimiterStats(
            self.cap, self._limit, self._min, self._n_backoffs, self._n_waited, self._n_refused
        )

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def in_flight(self) -> int:
        return self._active


def parse_retry_after(headers: object, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from retry-after-ms or retry-after, if present: delta seconds, or an HTTP date
    (RFC 9110 allows both; a date in the past is 0). Unparsable values count as absent."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = get(name)
        if not value:
            continue
        seconds: float | None
        try:
            seconds = float(value) * scale
        except ValueError:
            seconds = _seconds_until(str(value), now) if scale == 1.0 else None
        if seconds is not None and seconds == seconds:  # not NaN
            return max(0.0, seconds)
    return None


def _seconds_until(http_date: str, now: Callable[[], float]) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # an HTTP date is GMT; a zone-less one is taken as UTC
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now()
