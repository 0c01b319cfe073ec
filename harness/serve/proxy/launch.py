"""The caller's side of the request path: start the proxy process, add routes, feed the Ledger.

One `RequestPath` per gapbench command serves every deployment the command reaches: the proxy
is one asyncio process (app.py), so its per-deployment concurrency limits and circuit
breakers hold across side-by-side runs and across shard processes that all send to it.

    with RequestPath(cache_dir, ledger) as rp:
        endpoint = rp.add(served_endpoint, deployment)      # the proxied Endpoint
        ... engines (in this process or others) talk to endpoint.base_url ...
        rp.sync()                                           # every record is in the ledger

The proxied Endpoint has max_retries=0 and a timeout past the proxy's own call budget plus
its queueing allowance: the proxy retries (once, for everybody) and ends every call itself.
A reader thread turns the process's events into CallRecords (priced here, with the
deployment's Pricing, so that the proxy process never imports pydantic), breaker states and
limiter figures in the Ledger, as they happen.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from harness._types import Endpoint
from harness.errors import ServeError
from harness.models import Deployment, Pricing
from harness.serve.proxy.headers import CacheMode
from harness.serve.proxy.hosts import local_prefix, upstream_base_url
from harness.serve.proxy.ledger import CallRecord, Ledger, call_cost
from harness.serve.proxy.limiter import LimiterStats
from harness.serve.proxy.retry import BreakerPolicy, RetryPolicy
from harness.serve.proxy.usage import Usage

log = logging.getLogger(__name__)

# How long a request may wait for one of its deployment's concurrency slots before the proxy
# answers it with an error; long, because an engine sending more than the limit (several
# shards, or a limit halved by 429s) is normal and should wait, not fail.
QUEUE_TIMEOUT_S = 1800.0
_START_TIMEOUT_S = 60.0


class RequestPath:
    """A handle on one proxy process; thread-safe. A context manager (stops the process)."""

    def __init__(self, cache_dir: Path, ledger: Ledger, *, host: str = "127.0.0.1") -> None:
        self.cache_dir = cache_dir
        self.ledger = ledger
        self.host = host
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._port: int | None = None
        self._ready = threading.Event()
        self._replies: dict[int, dict[str, Any]] = {}
        self._reply_cond = threading.Condition()
        self._next_id = 0
        self._pricing: dict[str, Pricing | None] = {}
        self._limiters: dict[str, LimiterStats] = {}
        self._failed: str | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> RequestPath:
        # Start the process now, so that it gets ready while the caller starts servers and
        # engines; add() waits for it. Unused, it is killed at exit (it holds nothing).
        self._spawn()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the proxy process and wait until it listens (add() does it); idempotent."""
        self._spawn()
        if not self._ready.wait(_START_TIMEOUT_S) or self._port is None:
            self.close()
            raise ServeError(f"the request-path proxy did not start: {self._failed or 'no answer'}")

    def _spawn(self) -> None:
        with self._lock:
            if self._proc is not None:
                return
            self._ready.clear()  # a RequestPath used again after close() starts afresh
            self._port, self._failed = None, None
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            # The answers live in cache_dir/requests (where earlier versions kept them).
            cmd = [sys.executable, "-m", "harness.serve.proxy.app",
                   "--cache-dir", str(self.cache_dir / "requests"), "--host", self.host]  # fmt: skip
            # Its own session: a terminal's Ctrl-C reaches gapbench, which ends the proxy in
            # order (stdin closed), not the proxy mid-write with a traceback.
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_child_env(),
                start_new_session=True,
            )
            assert self._proc.stdout is not None
            self._reader = threading.Thread(
                target=self._read_events, args=(self._proc.stdout,), name="gapbench-proxy-events",
                daemon=True,
            )  # fmt: skip
            self._reader.start()

    def close(self) -> None:
        """Stop the proxy: it writes its pending cache entries and reports its last calls."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        if not self._pricing:  # never used: nothing to write or report
            proc.kill()
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()  # end of commands: the proxy flushes and exits
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if self._reader is not None:
            self._reader.join(timeout=10)
        if proc.stdout is not None and not (self._reader and self._reader.is_alive()):
            proc.stdout.close()  # the events pipe, read to its end (no ResourceWarning)

    @property
    def port(self) -> int:
        self.start()
        assert self._port is not None
        return self._port

    # --- commands -------------------------------------------------------------------------

    def _command(self, op: str, **fields: Any) -> dict[str, Any]:
        self.start()
        with self._reply_cond:
            self._next_id += 1
            ident = self._next_id
        line = json.dumps({"op": op, "id": ident, **fields}).encode() + b"\n"
        with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None:
                raise ServeError("the request-path proxy is not running")
            try:
                proc.stdin.write(line)
                proc.stdin.flush()
            except OSError as exc:
                raise ServeError(f"the request-path proxy has stopped ({exc})") from None
        with self._reply_cond:
            ok = self._reply_cond.wait_for(
                lambda: ident in self._replies or self._failed is not None, timeout=60
            )
            reply = self._replies.pop(ident, None)
        if not ok or reply is None:
            raise ServeError(f"the request-path proxy did not answer: {self._failed or op}")
        if "error" in reply:
            raise ServeError(f"request-path proxy: {reply['error']}")
        return reply

    def add(
        self,
        endpoint: Endpoint,
        deployment: Deployment,
        *,
        cache_mode: CacheMode = "normal",
        limit_concurrency: bool = True,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = None,
        queue_timeout_s: float = QUEUE_TIMEOUT_S,
    ) -> Endpoint:
        """Route `endpoint` (the deployment as served) through the proxy; the Endpoint to use.

        The first add() of a deployment id fixes its retry policy (default: from the
        deployment's max_retries and timeout_s), breaker and concurrency cap
        (max_connections; limit_concurrency=False: none); later add()s of the same id, with
        another upstream URL or cache mode, share them.
        """
        policy = retry or RetryPolicy.from_deployment(endpoint.max_retries, endpoint.timeout_s)
        reply = self._command(
            "add",
            deployment_id=deployment.id,
            protocol=endpoint.protocol,
            upstream=upstream_base_url(endpoint.protocol, endpoint.base_url),
            cache_mode=cache_mode,
            cap=max(1, deployment.max_connections) if limit_concurrency else None,
            retry=policy.to_json(),
            breaker=(breaker or BreakerPolicy()).to_json(),
            queue_timeout_s=queue_timeout_s,
        )
        with self._lock:
            self._pricing[deployment.id] = deployment.pricing
            if limit_concurrency:
                self.ledger.track_limiter(deployment.id, lambda: self._limiter(deployment.id))
        base = f"http://{_url_host(self.host)}:{self.port}/{reply['route']}"
        return dataclasses.replace(
            endpoint,
            base_url=base + local_prefix(endpoint.protocol),
            max_retries=0,
            timeout_s=policy.total_s + queue_timeout_s + 60.0,
        )

    def sync(self) -> None:
        """Return once every event the proxy produced so far is in the ledger."""
        self._command("sync")

    def _limiter(self, deployment_id: str) -> LimiterStats:
        with self._lock:
            return self._limiters.get(deployment_id) or LimiterStats(1, 1, 1, 0, 0, 0)

    # --- events ---------------------------------------------------------------------------

    def _read_events(self, stream: BinaryIO) -> None:
        try:
            for line in stream:
                try:
                    self._event(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    log.warning("request path: unreadable event from the proxy", exc_info=True)
        finally:
            with self._reply_cond:
                self._failed = self._failed or "the proxy process ended"
                self._reply_cond.notify_all()
            self._ready.set()

    def _event(self, ev: dict[str, Any]) -> None:
        kind = ev["t"]
        if kind == "call":
            self.ledger.record(self._call_record(ev))
        elif kind == "reply":
            with self._reply_cond:
                self._replies[int(ev["id"])] = ev
                self._reply_cond.notify_all()
        elif kind == "breaker":
            self.ledger.set_breaker(ev["dep"], ev["reason"])
            if ev["reason"]:
                log.warning("request path: stopped calls to %s: %s", ev["dep"], ev["reason"])
        elif kind == "limiter":
            stats = LimiterStats(*ev["stats"])
            with self._lock:
                self._limiters[ev["dep"]] = stats
            log.info("request path %s: concurrency limit %d (cap %d)", ev["dep"], stats.limit,
                     stats.cap)  # fmt: skip
        elif kind == "ready":
            self._port = int(ev["port"])
            self._ready.set()

    def _call_record(self, ev: dict[str, Any]) -> CallRecord:
        usage = Usage(ev["in"], ev["out"], ev["cached"], ev["snapshot"])
        with self._lock:
            pricing = self._pricing.get(ev["dep"])
        outcome = ev["outcome"]
        # A malformed 200 was paid for all the same (its usage, when it says).
        value = call_cost(pricing, usage) if outcome in ("ok", "cache_hit", "malformed") else None
        cost = 0.0 if outcome in ("cache_hit", "refused") else value
        return CallRecord(
            deployment_id=ev["dep"], path=ev["path"], outcome=outcome, status=ev["status"],
            started_at=datetime.fromtimestamp(ev["started"], UTC), latency_s=ev["latency"],
            snapshot=usage.snapshot, input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens, cached_tokens=usage.cached_tokens,
            cost_usd=cost, attempt=max(1, int(ev["attempt"])), value_usd=value,
        )  # fmt: skip


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _child_env() -> dict[str, str]:
    """The proxy's environment: ours, with the package importable from this checkout."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[3])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


@contextlib.contextmanager
def request_path(
    endpoint: Endpoint,
    *,
    deployment: Deployment,
    cache_dir: Path,
    ledger: Ledger,
    limit_concurrency: bool = True,
    cache_mode: CacheMode = "normal",
    retry: RetryPolicy | None = None,
    breaker: BreakerPolicy | None = None,
) -> Iterator[Endpoint]:
    """A proxy process for one deployment while the block runs; yields the proxied Endpoint.

    For tests and single runs; a sweep holds one RequestPath for all its deployments.
    """
    with RequestPath(cache_dir, ledger) as rp:
        yield rp.add(
            endpoint,
            deployment,
            cache_mode=cache_mode,
            limit_concurrency=limit_concurrency,
            retry=retry,
            breaker=breaker,
        )
        rp.sync()
