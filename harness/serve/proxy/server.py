"""The request path for API models: a local caching proxy between the engines and the API.

Both engines (inspect-ai and lm-eval) talk to the Endpoint this module yields, so caching,
cost accounting and snapshot recording happen in one place for both, and neither engine
needs to know the upstream URL. The proxy:

- forwards OpenAI (/v1/chat/completions, /v1/models) and Anthropic (/v1/messages, /v1/models)
  requests to the upstream API, passing the client's headers (and so its key) through in
  transit only: headers are never logged, cached or written to the ledger;
- caches the successful POST answers clients received, on disk, keyed on (deployment, path,
  canonical body, and the runner's x-gapbench-cache-scope header: sample and epoch) with one
  entry per delivery (see proxy_cache.py for why), so a rerun or resumed run makes no
  upstream call for anything already answered (streamed answers are cached and replayed);
- never retries. 429 (with its Retry-After), 5xx, timeouts and dropped connections go back
  to the client as they came (a timeout as 504, an unreachable host as 502, a connection
  dropped by upstream is dropped in turn), because the SDKs' own retry loops are the one
  place retries happen: retrying here as well would multiply attempts (max_retries
  squared), overrun the client's timeout, and hide 429s from the engines' adaptive
  concurrency;
- limits how many requests are upstream at once (proxy_limiter.py): the deployment's
  max_connections at most, halved on 429s and grown back after runs of successes. Requests
  over the limit wait here, within a budget well inside the client's timeout; one that cannot
  start in time is answered 429 with a Retry-After, so the SDK backs off and retries;
- records every billable upstream response (usage, cost from the deployment's pricing,
  the model snapshot name the API returned, request time) in a thread-safe Ledger; answers
  served from the cache cost 0. GET requests (model listings) are forwarded, not recorded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from harness._types import Endpoint, Protocol
from harness.models import Deployment, Pricing
from harness.serve.proxy.cache import CachedResponse, ResponseCache, request_key
from harness.serve.proxy.hosts import local_prefix, upstream_base_url
from harness.serve.proxy.ledger import (
    CallRecord,
    Ledger,
    Outcome,
    Usage,
    call_cost,
    usage_from_json,
    usage_from_sse,
)
from harness.serve.proxy.limiter import AdaptiveLimiter, LimiterStats, parse_retry_after

log = logging.getLogger(__name__)
_NO_USAGE = Usage()

SCOPE_HEADER = "x-gapbench-cache-scope"
CACHE_HEADER = "x-gapbench-cache"
# Hop-by-hop headers and ones httpx recomputes; never forwarded in either direction.
_HOP = frozenset(
    {
        "host",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "accept-encoding",
        "content-encoding",
        SCOPE_HEADER,
    }
)


@dataclass(frozen=True)
class _State:
    deployment_id: str
    protocol: Protocol
    prefix: str
    upstream: str
    pricing: Pricing | None
    cache: ResponseCache
    ledger: Ledger
    client: httpx.Client
    idle_timeout_s: float
    limiter: AdaptiveLimiter | None  # None: no concurrency limit (pass-through tests)
    wait_s: float  # the longest a request waits for a slot before the proxy answers 429


class _Dropped(Exception):
    """Upstream dropped the connection after answering began: drop the client's too."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    server: _Server
    _client_lost = False  # set when writing to the client failed or it had gone

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.state.idle_timeout_s)  # idle keep-alive closes

    def log_message(self, format: str, *args: object) -> None:
        log.debug("proxy: " + format, *args)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    # --- request flow ---------------------------------------------------------------------

    def _handle(self, method: str) -> None:
        st = self.server.state
        self._client_lost = False
        body = self._read_body()
        path = self.path
        if not path.startswith(st.prefix + "/"):
            self._send_json(404, {"error": {"message": f"no such path {path}"}})
            return
        rest = path[len(st.prefix) :]
        if method == "GET":
            self._forward(method, rest, body, key=None)
            return
        key = request_key(st.deployment_id, method, rest, body, self.headers.get(SCOPE_HEADER, ""))
        hit = st.cache.lookup(key)
        if hit is not None:
            self._answer_from_cache(rest, hit)
            return
        self._forward(method, rest, body, key=key)

    def _read_body(self) -> bytes:
        if "chunked" not in self.headers.get("transfer-encoding", "").lower():
            return self.rfile.read(int(self.headers.get("content-length") or 0))
        body = bytearray()  # chunked uploads (some HTTP clients stream JSON bodies)
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
        while self.rfile.readline().strip():  # trailers, up to the blank line
            pass
        return bytes(body)

    def _answer_from_cache(self, path: str, hit: CachedResponse) -> None:
        st = self.server.state
        usage = _usage(st.protocol, hit.content_type, hit.body)
        st.ledger.record(
            CallRecord(
                st.deployment_id, path, "cache_hit", 200, datetime.now(UTC), 0.0,
                usage.snapshot, usage.input_tokens, usage.output_tokens, usage.cached_tokens, 0.0,
            )
        )  # fmt: skip
        self._send_bytes(200, [("content-type", hit.content_type), (CACHE_HEADER, "hit")], hit.body)

    def _forward(self, method: str, path: str, body: bytes, *, key: str | None) -> None:
        st = self.server.state
        if method != "POST" or st.limiter is None:  # model listings: not metered, not limited
            self._forward_in_slot(method, path, body, key=key)
            return
        slot = st.limiter.acquire(st.wait_s)
        if slot is None:
            retry = st.limiter.retry_after_s()
            self._send_bytes(
                429,
                [("content-type", "application/json"), ("retry-after", f"{retry:.0f}"),
                 ("retry-after-ms", f"{retry * 1000:.0f}"), (CACHE_HEADER, "throttled")],
                json.dumps({"error": {"type": "rate_limit_error",
                                      "message": "gapbench proxy: deployment concurrency "
                                      "limit reached, retry later"}}).encode(),
            )  # fmt: skip
            return
        status: int | None = None
        retry_after: float | None = None
        try:
            status, retry_after = self._forward_in_slot(method, path, body, key=key)
        finally:
            st.limiter.release(slot, status, retry_after)

    def _forward_in_slot(
        self, method: str, path: str, body: bytes, *, key: str | None
    ) -> tuple[int | None, float | None]:
        """Send upstream and answer the client; (upstream status or None, its Retry-After)."""
        st = self.server.state
        headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
        request = st.client.build_request(method, st.upstream + path, headers=headers, content=body)
        started, t0 = datetime.now(UTC), time.monotonic()

        def record(outcome: Outcome, status: int | None, usage: Usage = _NO_USAGE) -> None:
            if method != "POST":
                return
            cost = call_cost(st.pricing, usage) if outcome == "ok" else None
            st.ledger.record(
                CallRecord(
                    st.deployment_id, path, outcome, status, started, time.monotonic() - t0,
                    usage.snapshot, usage.input_tokens, usage.output_tokens, usage.cached_tokens,
                    cost,
                )
            )  # fmt: skip

        try:
            response = st.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            record("timeout", None)
            self._send_json(504, {"error": {"message": f"upstream timed out: {exc!r}"}})
            return None, None
        except httpx.ConnectError as exc:
            record("dropped", None)
            self._send_json(502, {"error": {"message": f"upstream unreachable: {exc!r}"}})
            return None, None
        except httpx.TransportError:
            record("dropped", None)
            self._drop()
            return None, None
        try:
            content_type = response.headers.get("content-type", "application/json")
            out_headers = [
                (k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP
            ]
            if content_type.startswith("text/event-stream"):
                raw = self._relay_stream(response, out_headers)
            else:
                try:
                    raw = response.read()
                except (httpx.TransportError, httpx.StreamError) as exc:
                    raise _Dropped() from exc
                if self._client_gone():  # it timed out and (likely) retried already
                    self._client_lost = True
                else:
                    self._send_bytes(response.status_code, out_headers, raw)
        except _Dropped as exc:
            timed_out = isinstance(exc.__cause__, httpx.TimeoutException)
            record("timeout" if timed_out else "dropped", None)
            self._drop()
            return None, None
        finally:
            response.close()
        ok = 200 <= response.status_code < 300
        record("ok" if ok else "http_error", response.status_code,
               _usage(st.protocol, content_type, raw) if ok else _NO_USAGE)  # fmt: skip
        # Cache only what the client received: an answer nobody saw must not be replayed in
        # place of the one the client got from its retry.
        if key is not None and response.status_code == 200 and not self._client_lost:
            st.cache.store(key, CachedResponse(content_type, raw))
        return response.status_code, parse_retry_after(response.headers)

    def _relay_stream(self, response: httpx.Response, headers: list[tuple[str, str]]) -> bytes:
        """Pass server-sent events through as they arrive (chunked), keeping a copy."""
        self.send_response(response.status_code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        kept = bytearray()
        try:
            for chunk in response.iter_raw():
                kept += chunk
                self._write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (httpx.TransportError, httpx.StreamError) as exc:
            raise _Dropped() from exc
        self._write(b"0\r\n\r\n")
        return bytes(kept)

    # --- writing --------------------------------------------------------------------------

    def _drop(self) -> None:
        """Close the client's connection without (the rest of) an answer, as upstream did."""
        self.close_connection = True

    def _client_gone(self) -> bool:
        """True when the client has closed its side (an SDK timeout closes the connection)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (its own timeout): nothing left to tell it
            self.close_connection = True
            self._client_lost = True

    def _send_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
        except OSError:
            self.close_connection = True
            self._client_lost = True
            return
        self._write(body)

    def _send_json(self, status: int, payload: object) -> None:
        self._send_bytes(
            status, [("content-type", "application/json")], json.dumps(payload).encode()
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a handler stuck on a slow upstream never blocks shutdown
    block_on_close = False
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once; a reset before the request is sent would cost the client a retry for nothing.
    request_queue_size = 128

    def __init__(self, state: _State) -> None:
        self.state = state
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # Client sockets reset mid-write are routine (SDK timeouts); keep them out of stderr.
        log.debug("proxy: error while handling a request", exc_info=True)


def _log_limit(deployment_id: str, stats: LimiterStats) -> None:
    log.info("proxy %s: concurrency limit %d (cap %d)", deployment_id, stats.limit, stats.cap)


def _usage(protocol: Protocol, content_type: str, raw: bytes) -> Usage:
    if content_type.startswith("text/event-stream"):
        return usage_from_sse(protocol, raw)
    try:
        return usage_from_json(protocol, json.loads(raw))
    except ValueError:
        return Usage()


@contextlib.contextmanager
def request_path(
    endpoint: Endpoint,
    *,
    deployment: Deployment,
    cache_dir: Path,
    ledger: Ledger,
    limit_concurrency: bool = True,
) -> Iterator[Endpoint]:
    """Serve a caching, accounting proxy for `endpoint` on 127.0.0.1 while the block runs.

    Yields a copy of the endpoint whose base_url points at the proxy; the key's environment
    variable name is kept, since the client still sends its own key (which the proxy forwards
    without keeping). Answers are cached under cache_dir/requests. limit_concurrency=False
    leaves out the adaptive concurrency limit (the proxy then adds no 429s of its own).
    """
    cache = ResponseCache(cache_dir / "requests")
    limiter: AdaptiveLimiter | None = None
    if limit_concurrency:
        limiter = AdaptiveLimiter(
            max(1, deployment.max_connections),
            # past the client's timeout its SDK has given up and retried: stop counting it
            hold_s=endpoint.timeout_s,
            on_change=lambda s: _log_limit(deployment.id, s),
        )
        ledger.track_limiter(deployment.id, lambda: limiter.stats)
    # Longer than the client's own timeout, so the client (whose SDK retries) gives up first.
    timeout = httpx.Timeout(endpoint.timeout_s + 5.0, connect=min(10.0, endpoint.timeout_s + 5.0))
    client = httpx.Client(
        timeout=timeout, limits=httpx.Limits(max_connections=None, max_keepalive_connections=32)
    )
    state = _State(
        deployment_id=deployment.id,
        protocol=endpoint.protocol,
        prefix=local_prefix(endpoint.protocol),
        upstream=upstream_base_url(endpoint.protocol, endpoint.base_url),
        pricing=deployment.pricing,
        cache=cache,
        ledger=ledger,
        client=client,
        idle_timeout_s=max(60.0, 2 * endpoint.timeout_s),
        limiter=limiter,
        # half the client's timeout, so that a request that waited still has time to finish
        wait_s=endpoint.timeout_s / 2,
    )
    server = _Server(state)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="gapbench-proxy",
        daemon=True,
    )
    thread.start()
    port = server.server_address[1]
    try:
        yield dataclasses.replace(
            endpoint, base_url=f"http://127.0.0.1:{port}{local_prefix(endpoint.protocol)}"
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        client.close()
        cache.close()
