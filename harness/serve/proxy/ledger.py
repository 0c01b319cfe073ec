"""The ledger: what every upstream API call cost, thread-safe, persistable without secrets.

The proxy records one `CallRecord` per request it answers (upstream or from its cache). Nothing
here ever sees a header: records hold paths, counts, token usage, prices and the model snapshot
name the API returned, so a saved ledger cannot leak a key.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from harness._types import Protocol
from harness.models import Pricing
from harness.serve.proxy.limiter import LimiterStats

Outcome = Literal["ok", "http_error", "timeout", "dropped", "cache_hit"]


@dataclass(frozen=True)
class Usage:
    """Token usage and snapshot name parsed from one response body (None where absent).

    input_tokens counts every prompt token, cached ones included (Anthropic reports cache
    reads separately; they are added back so that `Pricing.cost` sees one convention).
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    snapshot: str | None = None


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
    n_throttled: int = 0  # requests the proxy refused with 429 (no slot within their wait)


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


class LedgerFile(BaseModel):
    """The JSON a ledger is saved as (per run): totals for reading, calls for auditing."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = 1
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
    calls: list[_CallModel]


def call_cost(pricing: Pricing | None, usage: Usage) -> float | None:
    """Cost of one upstream answer in USD; None when the price or the usage is unknown.

    Token prices only: $/hour pricing of local hardware is charged by the executor for wall
    time, since concurrent requests share the same hours.
    """
    if pricing is None or usage.input_tokens is None or usage.output_tokens is None:
        return None
    return pricing.cost(usage.input_tokens, usage.output_tokens, usage.cached_tokens or 0)


class Ledger:
    """Thread-safe accumulator of `CallRecord`s; one per run or one per sweep."""

    def __init__(self, calls: list[CallRecord] | None = None) -> None:
        self._lock = threading.Lock()
        self._calls: list[CallRecord] = list(calls or [])
        self._limiters: list[tuple[str, Callable[[], LimiterStats]]] = []

    def track_limiter(self, deployment_id: str, stats: Callable[[], LimiterStats]) -> None:
        """Report a proxy session's concurrency limiter in the totals (read live).

        Limiter figures are diagnostics: a loaded ledger has none."""
        with self._lock:
            self._limiters.append((deployment_id, stats))

    def record(self, call: CallRecord) -> None:
        with self._lock:
            self._calls.append(call)

    @property
    def calls(self) -> tuple[CallRecord, ...]:
        with self._lock:
            return tuple(self._calls)

    def totals(self, deployment_id: str | None = None) -> LedgerTotals:
        calls = [c for c in self.calls if deployment_id is None or c.deployment_id == deployment_id]
        upstream = [c for c in calls if c.outcome != "cache_hit"]
        ok = [c for c in upstream if c.outcome == "ok"]
        with self._lock:
            limiters = [s for d, s in self._limiters if deployment_id in (None, d)]
        stats = [s() for s in limiters]
        return LedgerTotals(
            spent_usd=sum(c.cost_usd or 0.0 for c in upstream),
            n_upstream_calls=len(upstream),
            n_upstream_errors=len(upstream) - len(ok),
            n_cache_hits=len(calls) - len(upstream),
            n_unpriced_calls=sum(1 for c in ok if c.cost_usd is None),
            input_tokens=sum(c.input_tokens or 0 for c in ok),
            output_tokens=sum(c.output_tokens or 0 for c in ok),
            cached_tokens=sum(c.cached_tokens or 0 for c in ok),
            snapshots=dict(Counter(c.snapshot for c in ok if c.snapshot)),
            min_concurrency=min((s.min_limit for s in stats), default=None),
            n_backoffs=sum(s.n_backoffs for s in stats),
            n_throttled=sum(s.n_refused for s in stats),
        )

    @property
    def spent_usd(self) -> float:
        return self.totals().spent_usd

    @property
    def n_upstream_calls(self) -> int:
        return self.totals().n_upstream_calls

    @property
    def n_cache_hits(self) -> int:
        return self.totals().n_cache_hits

    def save(self, path: Path) -> None:
        """Write the ledger as JSON, atomically (a crash leaves the old file or the new one)."""
        data = LedgerFile(
            **asdict(self.totals()), calls=[_CallModel(**asdict(c)) for c in self.calls]
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(data.model_dump_json(indent=1))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: Path) -> Ledger:
        data = LedgerFile.model_validate_json(path.read_text(encoding="utf-8"))
        return cls([CallRecord(**c.model_dump()) for c in data.calls])


# --- usage parsing -------------------------------------------------------------------------


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def usage_from_json(protocol: Protocol, body: Any) -> Usage:
    """Usage of a non-streaming response body (already decoded JSON)."""
    if not isinstance(body, dict):
        return Usage()
    snapshot = body.get("model") if isinstance(body.get("model"), str) else None
    raw_usage = body.get("usage")
    usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
    if protocol == "anthropic":
        return _anthropic_usage(usage, snapshot)
    names = ("prompt_tokens", "completion_tokens", "prompt_tokens_details")
    if "prompt_tokens" not in usage and "input_tokens" in usage:  # the Responses API's names
        names = ("input_tokens", "output_tokens", "input_tokens_details")
    details = usage.get(names[2])
    cached = _int(details.get("cached_tokens")) if isinstance(details, dict) else None
    return Usage(_int(usage.get(names[0])), _int(usage.get(names[1])), cached, snapshot)


def _anthropic_usage(usage: dict[str, Any], snapshot: str | None) -> Usage:
    fresh = _int(usage.get("input_tokens"))
    read = _int(usage.get("cache_read_input_tokens")) or 0
    created = _int(usage.get("cache_creation_input_tokens")) or 0
    total_in = None if fresh is None else fresh + read + created
    return Usage(total_in, _int(usage.get("output_tokens")), read, snapshot)


def usage_from_sse(protocol: Protocol, raw: bytes) -> Usage:
    """Usage of a streamed (server-sent events) response, from its data lines.

    OpenAI sends usage in a final chunk only when the client asked for
    stream_options.include_usage; otherwise tokens stay unknown. Anthropic sends input usage
    in message_start and the cumulative output count in message_delta.
    """
    snapshot: str | None = None
    merged: dict[str, Any] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        if not line.startswith("data:"):
            continue
        try:
            event = json.loads(line[5:].strip())
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        if protocol == "openai":
            snapshot = event.get("model") or snapshot
            if isinstance(event.get("usage"), dict):
                merged = event["usage"]
            continue
        message = event.get("message") if event.get("type") == "message_start" else None
        if isinstance(message, dict):
            snapshot = message.get("model") or snapshot
            merged.update(message.get("usage") or {})
        if event.get("type") == "message_delta" and isinstance(event.get("usage"), dict):
            merged.update({k: v for k, v in event["usage"].items() if v is not None})
    if protocol == "anthropic":
        return _anthropic_usage(merged, snapshot)
    return usage_from_json("openai", {"model": snapshot, "usage": merged})
