"""The ledger: what every upstream API call cost, thread-safe, persistable without secrets.

The proxy process reports one `CallRecord` per upstream attempt (a call retried twice is three
records, attempt 1, 2 and 3), per answer served from its cache and per call its circuit
breaker refused; `RequestPath` feeds them into the caller's Ledger as they happen, together
with each deployment's breaker state and concurrency limiter. Nothing here ever sees a
header: records hold paths, counts, token usage, prices and the model snapshot name the API
returned, so a saved ledger cannot leak a key.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from harness.models import Pricing
from harness.secrets import mask
from harness.serve.proxy.limiter import LimiterStats
from harness.serve.proxy.usage import Usage, usage_from_json, usage_from_sse

# refused: the deployment's circuit breaker was open, nothing was sent upstream; malformed: a
# 200 that was not a well-formed answer (proxy/wellformed.py): paid, retried, never cached
Outcome = Literal["ok", "http_error", "timeout", "dropped", "cache_hit", "refused", "malformed"]


@dataclass(frozen=True)
class CallRecord:
    deployment_id: str
    path: str
    outcome: Outcome
    status: int | None  # HTTP status from upstream; None for timeouts and drops
    started_at: datetime
    latency_s: float
    snapshot: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None  # None: no pricing known; 0.0 for cache hits
    attempt: int = 1  # 1 for a call's first upstream attempt, 2 for its first retry, ...
    value_usd: float | None = None  # list price of the answer (a cache hit's too)


@dataclass(frozen=True)
class LedgerTotals:
    spent_usd: float  # priced upstream calls only
    n_upstream_calls: int  # every request sent upstream, failed ones included
    n_upstream_errors: int  # of those, the ones that did not return 2xx
    n_cache_hits: int
    n_unpriced_calls: int  # successful upstream calls whose cost is unknown (no pricing)
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    snapshots: dict[str, int]  # model snapshot name the API returned -> successful calls
    # The per-deployment concurrency limiters (proxy_limiter.py) of this ledger's sessions:
    min_concurrency: int | None = None  # the lowest limit any reached; None: no limiter
    n_backoffs: int = 0  # limit decreases on 429s
    n_throttled: int = 0  # requests refused because no slot came within their queue budget
    n_retries: int = 0  # upstream attempts after a call's first (the proxy's retries)
    n_refused: int = 0  # calls the circuit breaker refused (no upstream call)
    cached_value_usd: float = 0.0  # list price of the answers served from the cache


class _CallModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deployment_id: str
    path: str
    outcome: Outcome
    status: int | None
    started_at: datetime
    latency_s: float
    snapshot: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    attempt: int = 1
    value_usd: float | None = None


class LedgerFile(BaseModel):
    """The JSON a ledger is saved as (per run): totals for reading, calls for auditing."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 2  # 2: attempt, value_usd, n_retries, n_refused, cached_value_usd
    spent_usd: float
    n_upstream_calls: int
    n_upstream_errors: int
    n_cache_hits: int
    n_unpriced_calls: int
    input_tokens: int
    output_tokens: int
    cached_tokens: int
    snapshots: dict[str, int]
    min_concurrency: int | None = None
    n_backoffs: int = 0
    n_throttled: int = 0
    n_retries: int = 0
    n_refused: int = 0
    cached_value_usd: float = 0.0
    calls: list[_CallModel]


def call_cost(pricing: Pricing | None, usage: Usage) -> float | None:
    """Cost of one upstream answer in USD; None when the price or the usage is unknown.

    Token prices only: $/hour pricing of local hardware is charged by the executor for wall
    time, since concurrent requests share the same hours.
    """
    if pricing is None or usage.input_tokens is None or usage.output_tokens is None:
        return None
    return pricing.cost(usage.input_tokens, usage.output_tokens, usage.cached_tokens or 0)


@dataclass
class _Sums:
    """Running sums over one deployment's records (or all), so totals cost O(1) to read:
    the executor asks the budget before every sample it starts."""

    spent_usd: float = 0.0
    n_upstream: int = 0
    n_ok: int = 0
    n_hits: int = 0
    n_unpriced: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    n_retries: int = 0
    n_refused: int = 0
    cached_value_usd: float = 0.0
    snapshots: Counter[str] = field(default_factory=Counter)

    def add(self, c: CallRecord) -> None:
        if c.outcome == "cache_hit":
            self.n_hits += 1
            self.cached_value_usd += c.value_usd or 0.0
            return
        if c.outcome == "refused":
            self.n_refused += 1
            return
        self.n_upstream += 1
        self.spent_usd += c.cost_usd or 0.0
        self.n_retries += c.attempt > 1
        if c.outcome != "ok":
            return
        self.n_ok += 1
        self.n_unpriced += c.cost_usd is None
        self.input_tokens += c.input_tokens or 0
        self.output_tokens += c.output_tokens or 0
        self.cached_tokens += c.cached_tokens or 0
        if c.snapshot:
            self.snapshots[c.snapshot] += 1


class Ledger:
    """Thread-safe accumulator of `CallRecord`s; one per run or one per sweep."""

    def __init__(self, calls: list[CallRecord] | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: list[CallRecord] = []
        self._sums: dict[str | None, _Sums] = {None: _Sums()}  # None: every deployment
        self._limiters: list[tuple[str, Callable[[], LimiterStats]]] = []
        self._breakers: dict[str, str] = {}  # deployment id -> why its breaker is open
        self._opened: dict[str, str] = {}  # deployment id -> why it last opened (closed or not)
        for call in calls or []:
            self.record(call)

    def track_limiter(self, deployment_id: str, stats: Callable[[], LimiterStats]) -> None:
        """Report a deployment's concurrency limiter in the totals (read live).

        Limiter figures are diagnostics: a loaded ledger has none."""
        with self._lock:
            self._limiters.append((deployment_id, stats))

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._calls.append(call)
            self._sums[None].add(call)
            self._sums.setdefault(call.deployment_id, _Sums()).add(call)

    def set_breaker(self, deployment_id: str, reason: str | None) -> None:
        """The request path's word on a deployment's circuit breaker (None: closed)."""
        with self._lock:
            if reason is None:
                self._breakers.pop(deployment_id, None)
            else:
                self._breakers[deployment_id] = reason
                self._opened[deployment_id] = reason

    def breaker(self, deployment_id: str) -> str | None:
        """Why the deployment's breaker is open (stop starting its samples), or None."""
        with self._lock:
            return self._breakers.get(deployment_id)

    def breaker_opened(self, deployment_id: str) -> str | None:
        """Why the deployment's breaker opened during this ledger's life, even if a late
        success closed it again (a run that met it is not complete), or None."""
        with self._lock:
            return self._opened.get(deployment_id)

    @property
    def calls(self) -> tuple[CallRecord, ...]:
        with self._lock:
            return tuple(self._calls)

    def totals(self, deployment_id: str | None = None) -> LedgerTotals:
        with self._lock:
            t = self._sums.get(deployment_id) or _Sums()
            t = replace(t, snapshots=Counter(t.snapshots))
            limiters = [s for d, s in self._limiters if deployment_id in (None, d)]
        stats = [s() for s in limiters]
        return LedgerTotals(
            spent_usd=t.spent_usd,
            n_upstream_calls=t.n_upstream,
            n_upstream_errors=t.n_upstream - t.n_ok,
            n_cache_hits=t.n_hits,
            n_unpriced_calls=t.n_unpriced,
            input_tokens=t.input_tokens,
            output_tokens=t.output_tokens,
            cached_tokens=t.cached_tokens,
            snapshots=dict(t.snapshots),
            min_concurrency=min((s.min_limit for s in stats), default=None),
            n_backoffs=sum(s.n_backoffs for s in stats),
            n_throttled=sum(s.n_refused for s in stats),
            n_retries=t.n_retries,
            n_refused=t.n_refused,
            cached_value_usd=t.cached_value_usd,
        )

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._sums[None].spent_usd

    @property
    def n_upstream_calls(self) -> int:
        with self._lock:
            return self._sums[None].n_upstream

    @property
    def n_cache_hits(self) -> int:
        with self._lock:
            return self._sums[None].n_hits

    def save(self, path: Path) -> None:
        """Write the ledger as JSON, atomically (a crash leaves the old file or the new one)."""
        data = LedgerFile(
            **asdict(self.totals()), calls=[_CallModel(**asdict(c)) for c in self.calls]
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                # paths (a query string may carry a key) and snapshot names came from outside
                fh.write(mask(data.model_dump_json(indent=1)))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: Path) -> Ledger:
        data = LedgerFile.model_validate_json(path.read_text(encoding="utf-8"))
        return cls([CallRecord(**c.model_dump()) for c in data.calls])


__all__ = [
    "CallRecord",
    "Ledger",
    "LedgerFile",
    "LedgerTotals",
    "Outcome",
    "Usage",
    "call_cost",
    "usage_from_json",
    "usage_from_sse",
]
