"""What the proxy answers a client with when it has no upstream answer to hand on, and the
masking every answer gets on its way to an engine (secrets never cross into storage: an
engine logs and stores what it receives).

Errors are shaped like the protocol's own (OpenAI `{"error": {...}}`, Anthropic
`{"type": "error", "error": {...}}`), so that both SDKs raise their usual exception types
with gapbench's message, and carry an error type starting with `gapbench_`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from harness.secrets import MIN_SECRET_LEN, mask_bytes
from harness.serve.proxy.headers import BREAKER_ERROR_TYPE, BREAKER_HEADER


class _Route(Protocol):  # what these helpers need of app.Route
    @property
    def deployment_id(self) -> str: ...

    @property
    def protocol(self) -> str: ...


@dataclass
class Answer:
    """What an attempt (or the cache) produced for the client."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    content_type: str


def error(
    route: _Route, status: int, kind: str, message: str, extra: list[tuple[str, str]]
) -> Answer:
    if route.protocol == "anthropic":
        payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
    else:
        payload = {"error": {"message": message, "type": kind, "param": None, "code": kind}}
    headers = [("content-type", "application/json"), *extra]
    return Answer(status, headers, json.dumps(payload).encode(), "application/json")


def refused(route: _Route, reason: str) -> Answer:
    return error(
        route, 424, BREAKER_ERROR_TYPE,
        f"gapbench: calls to deployment {route.deployment_id} stopped: {reason}",
        [(BREAKER_HEADER, "open")],
    )  # fmt: skip


def no_slot(route: _Route, waited_s: float) -> Answer:
    return error(
        route, 504, "gapbench_queue_timeout",
        f"gapbench: no concurrency slot for deployment {route.deployment_id} within "
        f"{waited_s:.0f} s", [],
    )  # fmt: skip


def malformed_answer(route: _Route, why: str, attempts: int) -> Answer:
    return error(
        route, 502, "gapbench_upstream_malformed",
        f"gapbench: no well-formed answer from deployment {route.deployment_id} after "
        f"{attempts} attempt(s) (last: HTTP 200 but {why})", [],
    )  # fmt: skip


# Request headers whose values are keys: masked if an upstream repeats them in an answer.
_KEY_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "x-goog-api-key"})


def header_secrets(headers: list[tuple[str, str]]) -> tuple[str, ...]:
    out = []
    for name, value in headers:
        if name.lower() in _KEY_HEADERS and value.strip():
            token = value.split()[-1]
            out += [t for t in {token, value.strip()} if len(t) >= MIN_SECRET_LEN]
    return tuple(sorted(set(out), key=len, reverse=True))


def masked(answer: Answer, secrets: tuple[str, ...]) -> Answer:
    """The answer with key values masked; an error body (which may echo a key or a header)
    also with key shapes. A 2xx keeps shapes: it is the model's text."""
    ok = 200 <= answer.status < 300
    body = mask_bytes(answer.body, secrets, shapes=not ok)
    if body is answer.body or body == answer.body:
        return answer
    return Answer(answer.status, answer.headers, body, answer.content_type)


def no_answer(route: _Route, what: str, attempts: int) -> Answer:
    status = 504 if what == "timeout" else 502
    return error(
        route, status, "gapbench_upstream_" + what,
        f"gapbench: no answer from deployment {route.deployment_id} after {attempts} "
        f"attempt(s) (last: {what})", [],
    )  # fmt: skip
