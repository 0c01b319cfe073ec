"""Token usage and the model snapshot name, parsed from an API answer (both wire protocols).

Used in the proxy process (no pydantic, no harness.models: it starts fast) and by the ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from harness._types import Protocol


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


# The most tokens one call may report in a count: far above any model's context (the largest
# in 2026 hold 10M tokens), far below what a Parquet int64 column holds.
MAX_TOKENS = 10**9


def _int(value: Any) -> int | None:
    """A token count, or None for anything that is not one: a negative count would make a
    spend run backwards, and a huge one cannot be stored (a hostile or broken upstream)."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value if 0 <= value <= MAX_TOKENS else None


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
