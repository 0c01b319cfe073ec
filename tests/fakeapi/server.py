"""A local server speaking the OpenAI and Anthropic wire protocols, with scripted faults.

Faults are decided per request by (seed, request body, attempt number for that body), so a
test can compute in advance what every request will see however the client threads
interleave. Kinds: "429" (with Retry-After), "500", "503", "401" (named only), "timeout" (answers only after
`delay_s`, beyond the client's timeout, as a slow API that still finishes and bills would),
"drop" (sends the headers and half the body, then closes the connection). Not among the
random kinds, only scripted (`fail_next`) or named: "malformed" (a 200 whose JSON body is cut
off), "shapeless" (a 200 JSON object of no protocol's shape), "unfinished" (a 200 answer
without finish_reason / stop_reason).

Key echo (`set_echo_key(True)`): like some gateways, every error answer repeats the key the
client sent, in its message and in a `request_headers` object (for tests that no key reaches
anything gapbench writes).

Capacity (`set_capacity(k)`): a POST that arrives while k others are being answered gets a 429
with Retry-After, as an API enforcing a concurrency limit would; each answer then takes
`latency_s`, so that concurrency is real. The most POSTs in progress at once is kept.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakeapi import wire
from tests.fakeapi.policy import Policy, default_policy

FAULT_KINDS = ("429", "500", "503", "timeout", "drop")
MALFORMED_KINDS = ("malformed", "shapeless", "unfinished")


@dataclass(frozen=True)
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    delay_s: float = 2.0  # for "timeout": keep it above the client's timeout
    retry_after_s: float = 0.05

    def fault_for(self, body_hash: str, attempt: int) -> str | None:
        """The fault the `attempt`-th (0-based) request with this body gets, if any."""
        if self.rate <= 0:
            return None
        digest = hashlib.sha256(f"{self.seed}:{body_hash}:{attempt}".encode()).digest()
        if int.from_bytes(digest[:8], "big") / 2**64 >= self.rate:
            return None
        return self.kinds[int.from_bytes(digest[8:12], "big") % len(self.kinds)]


@dataclass(frozen=True)
class Attempt:
    path: str
    body_hash: str
    attempt: int
    outcome: str  # "ok", a fault kind, or an HTTP status like "404"
    at: float = 0.0  # time.monotonic() when it arrived


def body_hash(body: bytes) -> str:
    try:
        text = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        text = body.decode("utf-8", "replace")
    return hashlib.sha256(text.encode()).hexdigest()


DEFAULT_MODELS = {
    "fake-gpt": "fake-gpt-2026-01-15",
    "fake-claude": "fake-claude-2026-01-15",
}


@dataclass
class _State:
    models: dict[str, str]
    api_key: str | None
    policy: Policy = default_policy
    faults: Faults = Faults()
    cached_fraction: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    tries: Counter[str] = field(default_factory=Counter)
    log: list[Attempt] = field(default_factory=list)
    script: deque[str] = field(default_factory=deque)
    capacity: int | None = None  # more concurrent POSTs than this get 429
    capacity_latency_s: float = 0.0
    capacity_retry_after_s: float = 0.05
    in_flight: int = 0
    max_in_flight: int = 0  # most POSTs being answered at once (refused ones not counted)
    header_names: list[frozenset[str]] = field(default_factory=list)  # per POST, names only
    echo_key: bool = False  # error answers repeat the client's key (a leaky gateway)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _protocol(self) -> wire.WireProtocol:
        if self.path.startswith("/v1/messages") or "anthropic-version" in self.headers:
            return "anthropic"
        return "openai"

    def _handle(self) -> None:
        st = self.server.state
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        protocol = self._protocol()
        path = self.path.split("?")[0]
        if st.api_key is not None and not self._authorized(protocol, st.api_key):
            self._log(path, body, "401")
            self._json(401, wire.error_body(protocol, 401, "invalid api key"))
            return
        if self.command == "GET" and path.startswith("/v1/models"):
            names = sorted(set(st.models) | set(st.models.values()))
            name = path[len("/v1/models/") :] if path.startswith("/v1/models/") else None
            if name is None:
                self._json(200, wire.models_body(protocol, names))
            elif name in names:
                self._json(200, wire.model_body(protocol, name))
            else:
                self._json(404, wire.error_body(protocol, 404, f"model: {name}"))
            return
        if self.command != "POST" or path not in ("/v1/chat/completions", "/v1/messages"):
            self._json(404, wire.error_body(protocol, 404, f"no route {self.command} {path}"))
            return
        try:
            request = json.loads(body)
        except ValueError:
            self._log(path, body, "400")
            self._json(400, wire.error_body(protocol, 400, "body is not JSON"))
            return
        with st.lock:
            st.header_names.append(frozenset(k.lower() for k in self.headers))
        if not self._admit(protocol, path, body):
            return
        try:
            self._answer_post(protocol, path, request, body)
        finally:
            with st.lock:
                st.in_flight -= 1

    def _admit(self, protocol: wire.WireProtocol, path: str, body: bytes) -> bool:
        """Count the POST in; with a capacity set, refuse it (429) when the API is full."""
        st = self.server.state
        with st.lock:
            full = st.capacity is not None and st.in_flight >= st.capacity
            if full:
                st.log.append(Attempt(path, body_hash(body), -1, "429", time.monotonic()))
            else:
                st.in_flight += 1
                st.max_in_flight = max(st.max_in_flight, st.in_flight)
        if full:
            extra = [("retry-after", str(st.capacity_retry_after_s))]
            self._json(429, wire.error_body(protocol, 429, "over capacity"), extra)
        return not full

    def _answer_post(
        self, protocol: wire.WireProtocol, path: str, request: dict[str, Any], body: bytes
    ) -> None:
        st = self.server.state
        if st.capacity_latency_s > 0:
            time.sleep(st.capacity_latency_s)
        fault = self._fault(path, body)
        if fault in MALFORMED_KINDS:
            self._malformed(protocol, request, fault)
            return
        if fault in ("429", "500", "503", "401"):
            status = int(fault)
            extra = [("retry-after", str(st.faults.retry_after_s))] if status == 429 else []
            self._json(status, wire.error_body(protocol, status, f"injected {fault}"), extra)
            return
        if fault == "timeout":
            time.sleep(st.faults.delay_s)
        self._answer(protocol, request, body, drop=fault == "drop")

    def _malformed(self, protocol: wire.WireProtocol, request: dict[str, Any], kind: str) -> None:
        """A 200 that is not a well-formed answer (a broken gateway, a cut-off body)."""
        model = str(request.get("model"))
        if kind == "shapeless":
            self._json(200, {"ok": True, "model": model})
            return
        reply = wire.render_openai if protocol == "openai" else wire.render_anthropic
        full = reply(wire.Reply(text="half an answer"), model, (10, 3, 0), "malformed")
        if kind == "unfinished":
            if protocol == "openai":
                full["choices"][0]["finish_reason"] = None
            else:
                full["stop_reason"] = None
            self._json(200, full)
            return
        raw = json.dumps(full).encode()
        self._send(200, raw[: len(raw) // 2], "application/json")

    def _authorized(self, protocol: wire.WireProtocol, key: str) -> bool:
        # Anthropic SDKs send x-api-key (older) or a bearer token (2.x); OpenAI a bearer token.
        if protocol == "anthropic" and self.headers.get("x-api-key") == key:
            return True
        return self.headers.get("authorization") == f"Bearer {key}"

    def _fault(self, path: str, body: bytes) -> str | None:
        st = self.server.state
        h = body_hash(body)
        with st.lock:
            attempt = st.tries[h]
            st.tries[h] += 1
            fault = st.script.popleft() if st.script else st.faults.fault_for(h, attempt)
            st.log.append(Attempt(path, h, attempt, fault or "ok", time.monotonic()))
        return fault

    def _log(self, path: str, body: bytes, outcome: str) -> None:
        st = self.server.state
        with st.lock:
            st.log.append(Attempt(path, body_hash(body), -1, outcome, time.monotonic()))

    def _answer(
        self, protocol: wire.WireProtocol, request: dict[str, Any], body: bytes, drop: bool
    ) -> None:
        st = self.server.state
        model = str(request.get("model"))
        if model not in st.models and model not in st.models.values():
            self._json(404, wire.error_body(protocol, 404, f"The model `{model}` does not exist"))
            return
        snapshot = st.models.get(model, model)
        conv = wire.parse_openai(request) if protocol == "openai" else wire.parse_anthropic(request)
        reply = st.policy(conv)
        prompt = wire.estimate_tokens(
            json.dumps(request.get("messages")) + json.dumps(request.get("tools"))
        )
        completion = wire.estimate_tokens(
            reply.text + json.dumps([c.arguments for c in reply.tool_calls])
        )
        usage = (prompt, completion, int(prompt * st.cached_fraction))
        key = body_hash(body)
        if protocol == "openai":
            full = wire.render_openai(reply, snapshot, usage, key)
        else:
            full = wire.render_anthropic(reply, snapshot, usage, key)
        if request.get("stream"):
            if protocol == "openai":
                include = bool((request.get("stream_options") or {}).get("include_usage"))
                raw = wire.stream_openai(full, include)
            else:
                raw = wire.stream_anthropic(full)
            self._send(200, raw, "text/event-stream", drop=drop)
        else:
            self._send(200, json.dumps(full).encode(), "application/json", drop=drop)

    def _json(self, status: int, payload: Any, extra: list[tuple[str, str]] | None = None) -> None:
        if status >= 400 and self.server.state.echo_key:
            payload = self._echo(payload)
        self._send(status, json.dumps(payload).encode(), "application/json", extra=extra)

    def _echo(self, payload: Any) -> Any:
        """The error payload with the client's key in it, twice, as a leaky gateway sends."""
        sent = {
            k: v for k, v in self.headers.items() if k.lower() in ("authorization", "x-api-key")
        }
        key = next((v.split()[-1] for v in sent.values()), "")
        payload = json.loads(json.dumps(payload))
        inner = payload.get("error") if isinstance(payload.get("error"), dict) else payload
        inner["message"] = f"{inner.get('message', '')} (key used: {key})"
        payload["request_headers"] = sent
        return payload

    def _send(
        self,
        status: int,
        raw: bytes,
        content_type: str,
        *,
        drop: bool = False,
        extra: list[tuple[str, str]] | None = None,
    ) -> None:
        try:
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(raw)))
            self.send_header("request-id", "req_fake")
            for k, v in extra or []:
                self.send_header(k, v)
            self.end_headers()
            if drop:  # half an answer, then the connection goes away
                self.wfile.write(raw[: len(raw) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(raw)
            self.wfile.flush()
        except OSError:  # the client gave up first (timeout fault)
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 resets connections when many clients connect at
    # once; a reset before the request is sent would cost the client a retry for nothing.
    request_queue_size = 128

    def __init__(self, state: _State, port: int = 0) -> None:
        self.state = state
        super().__init__(("127.0.0.1", port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # resets from clients that timed out are expected


class FakeAPI:
    """The fake server. Start with `start()` (or as a context manager); `stop()` ends it."""

    def __init__(
        self,
        *,
        models: dict[str, str] | None = None,
        api_key: str | None = None,
        policy: Policy = default_policy,
        port: int = 0,
    ) -> None:
        self._state = _State(models=dict(models or DEFAULT_MODELS), api_key=api_key, policy=policy)
        self._port = port  # 0: any free port; a fixed one keeps base URLs (and run keys) stable
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeAPI:
        self._server = _Server(self._state, self._port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fakeapi",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses ------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._server is not None, "FakeAPI not started"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Root URL: what the Anthropic SDK takes as base_url."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """What the OpenAI SDK takes as base_url (it appends /chat/completions)."""
        return self.base_url + "/v1"

    # --- behaviour ------------------------------------------------------------------------
    def set_faults(
        self,
        rate: float = 0.0,
        *,
        kinds: tuple[str, ...] = FAULT_KINDS,
        seed: int = 0,
        delay_s: float = 2.0,
        retry_after_s: float = 0.05,
    ) -> Faults:
        faults = Faults(rate, tuple(kinds), seed, delay_s, retry_after_s)
        with self._state.lock:
            self._state.faults = faults
        return faults

    def fail_next(self, *kinds: str) -> None:
        """Give the next POSTs these faults, in order (overrides the random faults)."""
        with self._state.lock:
            self._state.script.extend(kinds)

    def set_capacity(
        self, k: int | None, *, latency_s: float = 0.05, retry_after_s: float = 0.05
    ) -> None:
        """Refuse (429) POSTs beyond k at once, each answer taking latency_s; None: no limit."""
        with self._state.lock:
            self._state.capacity = k
            self._state.capacity_latency_s = latency_s
            self._state.capacity_retry_after_s = retry_after_s
            self._state.max_in_flight = 0

    @property
    def max_in_flight(self) -> int:
        """The most POSTs the server was answering at once (since set_capacity or reset)."""
        with self._state.lock:
            return self._state.max_in_flight

    def set_echo_key(self, echo: bool = True) -> None:
        """Error answers repeat the client's key (in the message and the headers it sent)."""
        with self._state.lock:
            self._state.echo_key = echo

    def set_policy(self, policy: Policy) -> None:
        self._state.policy = policy

    def set_snapshot(self, model: str, snapshot: str) -> None:
        """Answer `model` as `snapshot` from now on (a provider swapping the model behind the
        same name); the new snapshot name is accepted as a model name too."""
        with self._state.lock:
            self._state.models[model] = snapshot

    def set_cached_fraction(self, fraction: float) -> None:
        self._state.cached_fraction = fraction

    @property
    def models(self) -> dict[str, str]:
        return dict(self._state.models)

    # --- what happened --------------------------------------------------------------------
    @property
    def attempts(self) -> list[Attempt]:
        with self._state.lock:
            return list(self._state.log)

    @property
    def n_requests(self) -> int:
        """POSTs to the completion endpoints (model listings are not counted)."""
        return len(self.attempts)

    @property
    def header_names(self) -> list[frozenset[str]]:
        """The header names (never values: they hold keys) of each POST received."""
        with self._state.lock:
            return list(self._state.header_names)

    def outcomes(self) -> Counter[str]:
        return Counter(a.outcome for a in self.attempts)

    def reset_counts(self) -> None:
        with self._state.lock:
            self._state.log.clear()
            self._state.tries.clear()
            self._state.max_in_flight = 0
            self._state.header_names.clear()
