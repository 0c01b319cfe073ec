"""Is a 200 answer a real answer? Only well-formed ones are cached and handed on as answers.

A 200 whose body is cut off, not JSON, or not of the protocol's shape (a gateway's HTML page,
half a stream) is an upstream failure, not an answer: the proxy retries it like a 5xx, never
caches it (a rerun or `--retry-errors` asks again instead of replaying it), and skips such
an entry when an older cache holds one. Checked per protocol and path:
- OpenAI chat/completions: an object with a non-empty `choices` list, each with a `message`
  object and a `finish_reason`; streamed: data chunks ending in `data: [DONE]`;
- OpenAI completions: `choices` each with `text` and `finish_reason`;
- Anthropic messages: `type: message`, a `content` list and a `stop_reason`; streamed: a
  `message_stop` event;
- any other path: a JSON body (or a stream that parses) is enough.
"""

from __future__ import annotations

import json
from typing import Any

from harness._types import Protocol


def problem(protocol: Protocol, path: str, content_type: str, body: bytes) -> str | None:
    """None for a well-formed answer, else a short reason (for the error and the ledger)."""
    route = path.split("?", 1)[0].rstrip("/")
    if content_type.startswith("text/event-stream"):
        return _stream_problem(protocol, route, body)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "the body is not JSON (cut off or not an API answer)"
    if protocol == "anthropic":
        return _message_problem(data) if route.endswith("/messages") else _object(data)
    if route.endswith("/chat/completions"):
        return _choices_problem(data, "message")
    if route.endswith("/completions"):
        return _choices_problem(data, "text")
    return _object(data)


def _object(data: Any) -> str | None:
    return None if isinstance(data, dict) else "the body is not a JSON object"


def _choices_problem(data: Any, field: str) -> str | None:
    if not isinstance(data, dict):
        return "the body is not a JSON object"
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices:
        return "no choices in the answer"
    for choice in choices:
        if not isinstance(choice, dict):
            return "a choice is not an object"
        value = choice.get(field)
        if field == "message" and not isinstance(value, dict):
            return "a choice has no message"
        if field == "text" and not isinstance(value, str):
            return "a choice has no text"
        if choice.get("finish_reason") is None:
            return "a choice has no finish_reason (incomplete answer)"
    return None


def _message_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("type") != "message":
        return "not a message object"
    if not isinstance(data.get("content"), list):
        return "the message has no content list"
    if data.get("stop_reason") is None:
        return "the message has no stop_reason (incomplete answer)"
    return None


def _events(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    return [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]


def _stream_problem(protocol: Protocol, route: str, body: bytes) -> str | None:
    events = _events(body)
    if not events:
        return "an empty stream"
    if protocol == "anthropic":
        kinds = []
        for event in events:
            try:
                parsed = json.loads(event)
            except ValueError:
                return "a stream event is not JSON"
            kinds.append(parsed.get("type") if isinstance(parsed, dict) else None)
        return None if "message_stop" in kinds else "the stream ended before message_stop"
    if events[-1] != "[DONE]":
        return "the stream ended before [DONE]"
    for event in events[:-1]:
        try:
            parsed = json.loads(event)
        except ValueError:
            return "a stream chunk is not JSON"
        if not isinstance(parsed, dict):
            return "a stream chunk is not an object"
    return None
