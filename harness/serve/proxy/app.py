"""The proxy process: one asyncio (aiohttp) server in front of every deployment of a command.

Started by `RequestPath` (launch.py) as ``python -m harness.serve.proxy.app``; it talks to
its parent in JSON lines: commands on stdin (`add` a route, `sync`), events on stdout
(`ready`, one `call` per upstream attempt / cache hit / refusal, `breaker` and `limiter`
changes, `reply`). End of stdin (the parent closed it, or died) ends the process after the
pending cache writes. Nothing else may write to stdout here; logs go to stderr.

Each added route is ``/<route>`` + the protocol's local prefix; a client posts
``/<route>/v1/chat/completions`` (OpenAI) or ``/<route>/v1/messages`` (Anthropic) and the
proxy forwards the rest of the path to the route's upstream base URL. Per request:
1. the cache (normal mode): the next stored answer for (deployment, path, body, scope),
   replayed at once, no upstream call;
2. the deployment's circuit breaker: open means answered 424 at once, no upstream call;
3. attempts under the retry policy (retry.py), each inside one of the deployment's
   concurrency slots (limiter.py), each reported to the parent as a `call` event;
4. the final answer goes to the client as it came (or 504/502 when no answer ever came),
   with ``x-gapbench-attempts``; a 200 the client received is appended to the cache.
The client's headers (and so its key) are forwarded upstream in transit only: never logged,
cached or reported. Our own x-gapbench-* request headers never leave the proxy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientSession,
    ClientTimeout,
    TCPConnector,
    web,
)

from harness.secrets import mask, secret_values
from harness.serve.proxy.answers import (
    Answer,
    header_secrets,
    malformed_answer,
    masked,
    no_answer,
    no_slot,
    refused,
)
from harness.serve.proxy.cache import AnswerCache, CachedResponse, request_key
from harness.serve.proxy.headers import (
    ATTEMPTS_HEADER,
    CACHE_HEADER,
    CACHE_MODE_HEADER,
    CACHE_MODES,
    SCOPE_HEADER,
    CacheMode,
)
from harness.serve.proxy.hosts import local_prefix
from harness.serve.proxy.limiter import AdaptiveLimiter, LimiterStats, parse_retry_after
from harness.serve.proxy.retry import (
    AttemptKind,
    Breaker,
    BreakerPolicy,
    RetryPolicy,
    retryable,
)
from harness.serve.proxy.usage import Usage, usage_from_json, usage_from_sse
from harness.serve.proxy.wellformed import problem

log = logging.getLogger("harness.serve.proxy")

EVENT_FLUSH_S = 0.02  # the ledger hears of a call at most this late (events are batched)

# Hop-by-hop headers and ones the HTTP libraries compute; never forwarded either way.
_HOP = frozenset(
    {"host", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailer", "trailers", "transfer-encoding", "upgrade", "content-length",
     "accept-encoding", "content-encoding", "date", "server"}
)  # fmt: skip


@dataclass(frozen=True)
class Route:
    name: str
    deployment_id: str
    protocol: Literal["openai", "anthropic"]
    upstream: str  # base URL without a trailing slash
    cache_mode: CacheMode


class _Deployment:
    """What every route of one deployment shares: limit, breaker, retry policy."""

    def __init__(self, deployment_id: str, cfg: dict[str, Any], proxy: Proxy) -> None:
        self.id = deployment_id
        self.policy = RetryPolicy(**cfg["retry"])
        self.breaker = Breaker(deployment_id, BreakerPolicy(**cfg["breaker"]), time.monotonic)
        self.queue_timeout_s = float(cfg["queue_timeout_s"])
        cap = cfg.get("cap")
        self.limiter: AdaptiveLimiter | None = None
        if cap is not None:
            self.limiter = AdaptiveLimiter(
                int(cap), on_change=lambda s: proxy.emit_limiter(deployment_id, s)
            )
            proxy.emit_limiter(deployment_id, self.limiter.stats)


class Proxy:
    def __init__(self, cache: AnswerCache) -> None:
        self.cache = cache
        self.routes: dict[str, Route] = {}
        self.deployments: dict[str, _Deployment] = {}
        self.session: ClientSession | None = None
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._rng = random.Random()
        # Key values in this process's environment (the parent's: the deployments' keys);
        # each request adds the values of its own key headers.
        self.secrets: tuple[str, ...] = secret_values()
        # stdout as a non-blocking pipe: a busy parent (its reader thread waiting for the
        # GIL) must never stall this event loop; the transport buffers what it cannot write.
        self._events: asyncio.WriteTransport | None = None

    async def open_events(self) -> None:
        loop = asyncio.get_running_loop()
        self._events, _ = await loop.connect_write_pipe(asyncio.Protocol, sys.stdout.buffer)

    async def close_events(self) -> None:
        self.flush_events()
        if self._events is not None:
            while self._events.get_write_buffer_size() and not self._events.is_closing():
                await asyncio.sleep(0.01)
            self._events.close()

    # --- events to the parent -------------------------------------------------------------

    def emit(self, event: dict[str, Any], *, now: bool = False) -> None:
        """Queue an event for the parent. Written every EVENT_FLUSH_S (a pipe write per call
        cost more than the rest of the call on a busy machine), or at once when `now`."""
        self._out.append(json.dumps(event, separators=(",", ":")).encode() + b"\n")
        loop = asyncio.get_running_loop()
        if now:
            loop.call_soon(self.flush_events)
        elif not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_later(EVENT_FLUSH_S, self.flush_events)

    def flush_events(self) -> None:
        if self._out and self._events is not None and not self._events.is_closing():
            data, self._out = b"".join(self._out), []
            self._events.write(data)
        self._flush_scheduled = False

    def emit_limiter(self, deployment_id: str, stats: LimiterStats) -> None:
        self.emit({"t": "limiter", "dep": deployment_id, "stats": list(stats.__dict__.values())})

    def _record(
        self, route: Route, path: str, outcome: str, status: int | None, started: float,
        latency: float, usage: Usage, attempt: int,
    ) -> None:  # fmt: skip
        self.emit(
            {"t": "call", "dep": route.deployment_id, "path": mask(path, self.secrets),
             "outcome": outcome,
             "status": status, "started": started, "latency": latency,
             "snapshot": usage.snapshot, "in": usage.input_tokens, "out": usage.output_tokens,
             "cached": usage.cached_tokens, "attempt": attempt}
        )  # fmt: skip

    # --- commands from the parent ---------------------------------------------------------

    def add(self, cfg: dict[str, Any]) -> str:
        dep_id = str(cfg["deployment_id"])
        if dep_id not in self.deployments:
            self.deployments[dep_id] = _Deployment(dep_id, cfg, self)
        mode = cfg.get("cache_mode", "normal")
        if mode not in CACHE_MODES:
            raise ValueError(f"unknown cache mode {mode!r}")
        upstream = str(cfg["upstream"]).rstrip("/")
        for route in self.routes.values():
            if (route.deployment_id, route.upstream, route.cache_mode) == (dep_id, upstream, mode):
                return route.name
        name = f"r{len(self.routes)}"
        self.routes[name] = Route(name, dep_id, cfg["protocol"], upstream, mode)
        return name

    # --- requests -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        route = self.routes.get(request.match_info["route"])
        tail = "/" + request.match_info["tail"]
        if route is None:
            return _json(404, {"error": {"message": f"no such route {request.path}"}})
        prefix = local_prefix(route.protocol)
        if not tail.startswith(prefix + "/") and prefix:
            return _json(404, {"error": {"message": f"no such path {request.path}"}})
        path = tail[len(prefix) :]
        if request.query_string:
            path += "?" + request.query_string
        body = await request.read()
        headers = [(k, v) for k, v in request.headers.items() if _forwarded(k)]
        dep = self.deployments[route.deployment_id]
        if request.method != "POST":  # model listings: one attempt, not cached or recorded
            answer, kind, _ = await self._attempt(route, request.method, path, headers, body,
                                                  dep.policy.attempt_timeout_s)  # fmt: skip
            secrets = self.secrets + header_secrets(headers)
            answer = masked(answer or no_answer(route, kind, 1), secrets)
            resp, _ = await self._send(request, answer)
            return resp
        mode = request.headers.get(CACHE_MODE_HEADER, route.cache_mode)
        key = request_key(route.deployment_id, "POST", path, body,
                          request.headers.get(SCOPE_HEADER, ""))  # fmt: skip
        secrets = self.secrets + header_secrets(headers)
        if mode != "bypass-read":
            # An entry an older gapbench cached although malformed is skipped, not replayed.
            hit = await self.cache.lookup(
                key, lambda a: problem(route.protocol, path, a.content_type, a.body) is None
            )
            if hit is not None:
                self._record(route, path, "cache_hit", 200, time.time(), 0.0,
                             _usage(route, hit.content_type, hit.body), 0)  # fmt: skip
                answer = Answer(200, [("content-type", hit.content_type), (CACHE_HEADER, "hit")],
                                 hit.body, hit.content_type)  # fmt: skip
                resp, _ = await self._send(request, masked(answer, secrets))
                return resp
        answer, attempts = await self._call(route, dep, path, headers, body)
        # Secrets never cross into storage: what an engine receives may be logged or stored.
        answer = masked(answer, secrets)
        resp, delivered = await self._send(request, answer, attempts)
        # Cache only what the client received: an answer nobody saw must not be replayed.
        if delivered and answer.status == 200 and attempts > 0:
            self.cache.store(key, CachedResponse(answer.content_type, answer.body))
        return resp

    async def _call(
        self, route: Route, dep: _Deployment, path: str, headers: list[tuple[str, str]],
        body: bytes,
    ) -> tuple[Answer, int]:  # fmt: skip
        """Upstream under the retry policy; (the answer for the client, attempts made)."""
        breaker = dep.breaker
        if not breaker.admit():
            self._record(route, path, "refused", None, time.time(), 0.0, Usage(), 0)
            return refused(route, breaker.reason or "open"), 0
        probe = breaker.is_open  # admitted as the breaker's probe call
        try:
            return await self._attempts(route, dep, path, headers, body, probe)
        finally:
            if probe and breaker.is_open:  # the probe ended without closing it
                breaker.end_probe()

    async def _attempts(
        self, route: Route, dep: _Deployment, path: str, headers: list[tuple[str, str]],
        body: bytes, probe: bool,
    ) -> tuple[Answer, int]:  # fmt: skip
        breaker, policy = dep.breaker, dep.policy
        spent = 0.0  # the call's own time: attempts and waits, not time queued for a slot
        answer: Answer | None = None
        what = "timeout"
        made = 0
        malformed: str | None = None  # why the last 200 was not a well-formed answer
        for attempt in range(1, policy.attempts + 1):
            if attempt > 1 and breaker.is_open and not probe:  # it opened: stop sending
                return answer or no_answer(route, what, made), made
            if dep.limiter is not None and not await dep.limiter.acquire(dep.queue_timeout_s):
                return no_slot(route, dep.queue_timeout_s), made
            started, t0 = time.time(), time.monotonic()
            status: int | None = None
            retry_after: float | None = None
            kind: AttemptKind = "dropped"
            try:
                timeout = min(policy.attempt_timeout_s, max(0.001, policy.total_s - spent))
                answer, kind, retry_after = await self._attempt(
                    route, "POST", path, headers, body, timeout
                )
                status = answer.status if answer is not None else None
            except asyncio.CancelledError:  # the client went away mid-attempt
                self._record(route, path, "dropped", None, started, time.monotonic() - t0,
                             Usage(), attempt)  # fmt: skip
                raise
            finally:
                if dep.limiter is not None:
                    dep.limiter.release(status, retry_after)
            made = attempt
            latency = time.monotonic() - t0
            spent += latency
            ok = status is not None and 200 <= status < 300
            outcome = "ok" if ok else ("http_error" if status is not None else
                                       ("timeout" if kind == "timeout" else "dropped"))  # fmt: skip
            usage = _usage(route, answer.content_type, answer.body) if ok and answer else Usage()
            malformed = None
            if ok and answer is not None:
                malformed = problem(route.protocol, path, answer.content_type, answer.body)
                if malformed is not None:  # paid, but no answer: retried like a 5xx
                    outcome, answer = "malformed", None
            self._record(route, path, outcome, status, started, latency, usage, attempt)
            if answer is not None:
                was_open = breaker.is_open
                opened = breaker.on_answer(answer.status)
                if opened or (was_open and not breaker.is_open):
                    self.emit({"t": "breaker", "dep": dep.id, "reason": breaker.reason}, now=True)
                if not retryable("answer", answer.status):
                    return answer, made
            what = f"HTTP {status}" if status is not None else kind
            if malformed is not None:
                what = "malformed"
            if attempt == policy.attempts:
                break
            wait = policy.wait_s(attempt, retry_after, self._rng)
            if spent + wait >= policy.total_s:
                break
            await asyncio.sleep(wait)
            spent += wait
        # Failed after its retries: one more toward opening the breaker.
        opened = breaker.on_call_failed(what)
        if opened:
            self.emit({"t": "breaker", "dep": dep.id, "reason": opened}, now=True)
        if answer is None and malformed is not None:
            return malformed_answer(route, malformed, made), made
        return answer or no_answer(route, what, made), made

    async def _attempt(
        self, route: Route, method: str, path: str, headers: list[tuple[str, str]],
        body: bytes, timeout_s: float,
    ) -> tuple[Answer | None, AttemptKind, float | None]:  # fmt: skip
        """One upstream attempt: (answer or None, what happened, its Retry-After)."""
        assert self.session is not None
        try:
            async with self.session.request(
                method, route.upstream + path, data=body or None, headers=headers,
                timeout=ClientTimeout(total=timeout_s), allow_redirects=False,
            ) as resp:  # fmt: skip
                raw = await resp.read()
                content_type = resp.headers.get("content-type", "application/json")
                out = [(k, v) for k, v in resp.headers.items() if k.lower() not in _HOP]
                return (Answer(resp.status, out, raw, content_type), "answer",
                        parse_retry_after(resp.headers))  # fmt: skip
        except TimeoutError:
            return None, "timeout", None
        except ClientConnectorError:
            return None, "unreachable", None
        except (ClientError, OSError):  # reset, disconnected, half a body
            return None, "dropped", None

    async def _send(
        self, request: web.Request, answer: Answer, attempts: int = 0
    ) -> tuple[web.StreamResponse, bool]:
        """Write the answer now; (the response, whether the client was still there)."""
        resp = web.Response(status=answer.status, body=answer.body)
        for k, v in answer.headers:
            resp.headers.add(k, v)
        if attempts:
            resp.headers[ATTEMPTS_HEADER] = str(attempts)
        transport = request.transport
        if transport is None or transport.is_closing():
            return resp, False
        try:
            await resp.prepare(request)
            await resp.write_eof()
        except (ConnectionError, RuntimeError):
            return resp, False
        return resp, True


def _forwarded(name: str) -> bool:
    lower = name.lower()
    return lower not in _HOP and not lower.startswith("x-gapbench-")


def _usage(route: Route, content_type: str, raw: bytes) -> Usage:
    if content_type.startswith("text/event-stream"):
        return usage_from_sse(route.protocol, raw)
    try:
        return usage_from_json(route.protocol, json.loads(raw))
    except ValueError:
        return Usage()


def _json(status: int, payload: object) -> web.Response:
    return web.json_response(payload, status=status)


# --- the process ----------------------------------------------------------------------------


async def _commands(proxy: Proxy, done: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**24)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        cmd = json.loads(line)
        reply: dict[str, Any] = {"t": "reply", "id": cmd.get("id")}
        try:
            if cmd["op"] == "add":
                reply["route"] = proxy.add(cmd)
            elif cmd["op"] == "sync":
                pass  # events before this reply are already queued, in order
            else:
                reply["error"] = f"unknown op {cmd['op']!r}"
        except (KeyError, TypeError, ValueError) as exc:
            reply["error"] = f"{type(exc).__name__}: {exc}"
        proxy.emit(reply, now=True)
    done.set()  # stdin closed: the parent is done (or gone)


async def serve(cache_dir: Path, host: str) -> None:
    cache = AnswerCache(cache_dir)
    proxy = Proxy(cache)
    await proxy.open_events()
    # No connection limit here: the per-deployment limiters decide what goes upstream.
    proxy.session = ClientSession(
        connector=TCPConnector(limit=0, keepalive_timeout=30), auto_decompress=True
    )
    app = web.Application(client_max_size=2**30)
    app.router.add_route("*", "/{route}/{tail:.*}", proxy.handle)
    # handler_cancellation: a client that goes away (an engine's own time limit) stops its
    # call here too, instead of leaving the proxy to retry for nobody.
    runner = web.AppRunner(app, access_log=None, handle_signals=False, handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, 0, backlog=1024)
    await site.start()
    server = site._server
    port = server.sockets[0].getsockname()[1] if server is not None else 0  # type: ignore[attr-defined]
    done = asyncio.Event()
    commands = asyncio.create_task(_commands(proxy, done))
    proxy.emit({"t": "ready", "port": port}, now=True)
    await done.wait()
    await commands
    await runner.cleanup()
    await proxy.session.close()
    await cache.close()
    proxy.emit({"t": "bye", "cache_writes": cache.n_written})
    await proxy.close_events()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="gapbench's request-path proxy (started by gapbench)")
    ap.add_argument("--cache-dir", type=Path, required=True)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="proxy: %(message)s")
    # The parent decides when this process ends (it closes stdin; if it dies, stdin closes
    # too): Ctrl-C in a terminal, which reaches a whole process group, is not for us, and
    # SIGTERM ends it quietly, with no traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    asyncio.run(serve(args.cache_dir, args.host))
    return 0


if __name__ == "__main__":
    sys.exit(main())
