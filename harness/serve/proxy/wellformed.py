"""Is a 200 answer a real answer? Only well-formed ones are cached and handed on as answers.

A 200 whose body is cut off, not JSON, or not of the protocol's shape (a gateway's HTML page,
half a stream, an `error` object sent with status 200) is an upstream failure, not an answer:
the proxy retries it like a 5xx, never caches it (a rerun or `--retry-errors` asks again
instead of replaying it), and skips such an entry when an older cache holds one. Checked per
protocol and path:
- OpenAI chat/completions: an object with a non-empty `choices` list, each with a `message`
  object whose `content` is text, null or a list of parts, whose `tool_calls` (if any) name a
  function with its arguments as text, and a `finish_reason`; streamed: data chunks (objects)
  ending in `data: [DONE]`;
- OpenAI completions: `choices` each with `text` and `finish_reason`;
- Anthropic messages: `type: message`, a `content` list of blocks (a text block with its
  text, a tool_use block with its name and an input object) and a `stop_reason`; streamed: a
  `message_stop` event;
- token counts (`usage`, also in stream events), where present: whole numbers from 0 to
  MAX_TOKENS. A negative count would make the spend run backwards (the budget would never
  stop) and one past 2^63 cannot be stored; either is a broken or hostile report;
- any other path: a JSON body (or a stream that parses) is enough.
Anything else in an answer (fields a provider adds) is left alone.
"""

from __future__ import annotations

import json
from typing import Any

from harness._types import Protocol
from harness.serve.proxy.usage import MAX_TOKENS

# The token counts each protocol's usage object holds (other fields, e.g. a gateway's cost or
# Anthropic's service_tier, are not counts and are not checked).
_OPENAI_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens", "input_tokens",
                  "output_tokens")  # fmt: skip
_OPENAI_DETAILS = ("prompt_tokens_details", "completion_tokens_details",
                   "input_tokens_details", "output_tokens_details")  # fmt: skip
_ANTHROPIC_COUNTS = ("input_tokens", "output_tokens", "cache_creation_input_tokens",
                     "cache_read_input_tokens")  # fmt: skip


def problem(protocol: Protocol, path: str, content_type: str, body: bytes) -> str | None:
    """None for a well-formed answer, else a short reason (for the error and the ledger)."""
    route = path.split("?", 1)[0].rstrip("/")
    if content_type.startswith("text/event-stream"):
        return _stream_problem(protocol, route, body)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return "the body is not JSON (cut off or not an API answer)"
    if protocol == "anthropic":
        if not route.endswith("/messages"):
            return _object(data)
        return _message_problem(data) or _usage_problem(protocol, data)
    if route.endswith("/chat/completions"):
        return _choices_problem(data, "message") or _usage_problem(protocol, data)
    if route.endswith("/completions"):
        return _choices_problem(data, "text") or _usage_problem(protocol, data)
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
        if field == "message":
            if not isinstance(value, dict):
                return "a choice has no message"
            why = _chat_message_problem(value)
            if why is not None:
                return why
        if field == "text" and not isinstance(value, str):
            return "a choice has no text"
        if choice.get("finish_reason") is None:
            return "a choice has no finish_reason (incomplete answer)"
        if not isinstance(choice["finish_reason"], str):
            return "a choice's finish_reason is not text"
    return None


def _chat_message_problem(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if content is not None and not isinstance(content, str | list):
        return "a message's content is neither text, null nor a list of parts"
    if isinstance(content, list) and not all(isinstance(part, dict) for part in content):
        return "a message's content part is not an object"
    calls = message.get("tool_calls")
    if calls is None:
        return None
    if not isinstance(calls, list):
        return "a message's tool_calls is not a list"
    for call in calls:
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            return "a tool call names no function"
        if not isinstance(function.get("arguments"), str):
            return "a tool call's arguments are not text"
    return None


def _message_problem(data: Any) -> str | None:
    if not isinstance(data, dict) or data.get("type") != "message":
        return "not a message object"
    content = data.get("content")
    if not isinstance(content, list):
        return "the message has no content list"
    for block in content:
        why = _block_problem(block)
        if why is not None:
            return why
    if data.get("stop_reason") is None:
        return "the message has no stop_reason (incomplete answer)"
    return None


def _block_problem(block: Any) -> str | None:
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return "a content block is not an object with a type"
    kind = block["type"]
    if kind == "text" and not isinstance(block.get("text"), str):
        return "a text block has no text"
    if kind == "tool_use" and (
        not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict)
    ):
        return "a tool_use block has no name or no input object"
    return None


def _count_problem(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"usage {name} is not a number"
    if not 0 <= value <= MAX_TOKENS or value != int(value):
        return f"usage {name} is not a token count from 0 to {MAX_TOKENS:,} ({value!r:.40})"
    return None


def _usage_problem(protocol: Protocol, data: Any) -> str | None:
    """Token counts of an answer (or of one stream event) that no real call can have."""
    if not isinstance(data, dict) or data.get("usage") is None:
        return None
    usage = data["usage"]
    if not isinstance(usage, dict):
        return "usage is not an object"
    names = _ANTHROPIC_COUNTS if protocol == "anthropic" else _OPENAI_COUNTS
    found = [(name, usage.get(name)) for name in names]
    if protocol == "openai":
        for details in _OPENAI_DETAILS:
            inner = usage.get(details)
            if inner is not None and not isinstance(inner, dict):
                return f"usage {details} is not an object"
            for name, value in (inner or {}).items():
                if name.endswith("_tokens"):
                    found.append((f"{details}.{name}", value))
    for name, value in found:
        why = _count_problem(value, name)
        if why is not None:
            return why
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
            except (ValueError, RecursionError):
                return "a stream event is not JSON"
            kinds.append(parsed.get("type") if isinstance(parsed, dict) else None)
            if isinstance(parsed, dict):
                inner = parsed.get("message") if parsed.get("type") == "message_start" else parsed
                why = _usage_problem(protocol, inner)
                if why is not None:
                    return why
        return None if "message_stop" in kinds else "the stream ended before message_stop"
    if events[-1] != "[DONE]":
        return "the stream ended before [DONE]"
    for event in events[:-1]:
        try:
            parsed = json.loads(event)
        except (ValueError, RecursionError):
            return "a stream chunk is not JSON"
        if not isinstance(parsed, dict):
            return "a stream chunk is not an object"
        why = _usage_problem(protocol, parsed)
        if why is not None:
            return why
    return None
