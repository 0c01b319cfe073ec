"""The OpenAI chat-completions and Anthropic messages wire formats, as the fake speaks them."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any, Literal

from tests.fakeapi.policy import Conversation, Reply, Tool, ToolCall, Turn

WireProtocol = Literal["openai", "anthropic"]


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict) and block.get("type") == "text":
                parts.append(str(block.get("text", "")))
            elif isinstance(block, dict) and block.get("type") == "tool_result":
                parts.append(_text_of(block.get("content")))
        return "\n".join(parts)
    return str(content)


def parse_openai(body: dict[str, Any]) -> Conversation:
    turns: list[Turn] = []
    for msg in body.get("messages") or []:
        role = msg.get("role")
        if role in ("system", "developer"):
            turns.append(Turn("system", _text_of(msg.get("content"))))
        elif role == "user":
            turns.append(Turn("user", _text_of(msg.get("content"))))
        elif role == "assistant":
            calls = tuple(
                ToolCall(
                    c["function"]["name"], _loads(c["function"].get("arguments")), c.get("id", "")
                )
                for c in msg.get("tool_calls") or []
            )
            turns.append(Turn("assistant", _text_of(msg.get("content")), calls))
        elif role == "tool":
            turns.append(Turn("tool", _text_of(msg.get("content"))))
    tools = tuple(
        Tool(t["function"]["name"], t["function"].get("parameters") or {})
        for t in body.get("tools") or []
        if t.get("type") == "function"
    )
    return Conversation("openai", str(body.get("model")), tuple(turns), tools)


def parse_anthropic(body: dict[str, Any]) -> Conversation:
    turns: list[Turn] = []
    if body.get("system"):
        turns.append(Turn("system", _text_of(body["system"])))
    for msg in body.get("messages") or []:
        content = msg.get("content")
        blocks = content if isinstance(content, list) else [{"type": "text", "text": content or ""}]
        if msg.get("role") == "assistant":
            calls = tuple(
                ToolCall(b["name"], b.get("input") or {}, b.get("id", ""))
                for b in blocks
                if b.get("type") == "tool_use"
            )
            turns.append(Turn("assistant", _text_of(blocks), calls))
            continue
        results = [b for b in blocks if b.get("type") == "tool_result"]
        for b in results:
            turns.append(Turn("tool", _text_of(b.get("content"))))
        text = _text_of([b for b in blocks if b.get("type") == "text"])
        if text or not results:
            turns.append(Turn("user", text))
    tools = tuple(
        Tool(t["name"], t.get("input_schema") or {}) for t in body.get("tools") or [] if "name" in t
    )
    return Conversation("anthropic", str(body.get("model")), tuple(turns), tools)


def _loads(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_value": value}


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def _ids(seed_text: str, n: int) -> list[str]:
    digest = hashlib.sha256(seed_text.encode()).hexdigest()
    return [f"{digest[:16]}{i}" for i in range(n)]


def _arguments_text(arguments: Any) -> str:
    # A string is sent as it is: a scripted model replaying malformed tool-call JSON.
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def render_openai(
    reply: Reply, snapshot: str, usage: tuple[int, int, int], key: str
) -> dict[str, Any]:
    prompt, completion, cached = usage
    ids = _ids(key, len(reply.tool_calls) + 1)
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": f"call_{ids[i + 1]}",
                "type": "function",
                "function": {"name": c.name, "arguments": _arguments_text(c.arguments)},
            }
            for i, c in enumerate(reply.tool_calls)
        ]
    return {
        "id": f"chatcmpl-{ids[0]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": snapshot,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": message,
                "logprobs": None,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    }


def render_anthropic(
    reply: Reply, snapshot: str, usage: tuple[int, int, int], key: str
) -> dict[str, Any]:
    prompt, completion, cached = usage
    ids = _ids(key, len(reply.tool_calls) + 1)
    content: list[dict[str, Any]] = []
    if reply.text:
        content.append({"type": "text", "text": reply.text})
    for i, c in enumerate(reply.tool_calls):
        content.append(
            {"type": "tool_use", "id": f"toolu_{ids[i + 1]}", "name": c.name, "input": c.arguments}
        )
    return {
        "id": f"msg_{ids[0]}",
        "type": "message",
        "role": "assistant",
        "model": snapshot,
        "content": content,
        "stop_reason": "tool_use" if reply.tool_calls else "end_turn",
        "stop_sequence": None,
        "usage": {
            # Anthropic counts cache reads apart from input_tokens.
            "input_tokens": prompt - cached,
            "output_tokens": completion,
            "cache_read_input_tokens": cached,
            "cache_creation_input_tokens": 0,
        },
    }


def _sse(event: str | None, data: Any) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def stream_openai(full: dict[str, Any], include_usage: bool) -> bytes:
    base = {k: full[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    choice = full["choices"][0]
    msg = choice["message"]
    out = [
        _sse(
            None,
            {
                **base,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"role": "assistant", "content": msg["content"] or ""},
                        "finish_reason": None,
                    }
                ],
            },
        )
    ]
    for i, call in enumerate(msg.get("tool_calls") or []):
        delta = {"tool_calls": [{"index": i, **call}]}
        out.append(
            _sse(None, {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        )
    out.append(
        _sse(
            None,
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}],
            },
        )
    )
    if include_usage:
        out.append(_sse(None, {**base, "choices": [], "usage": full["usage"]}))
    out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def stream_anthropic(full: dict[str, Any]) -> bytes:
    usage = full["usage"]
    start = {**full, "content": [], "stop_reason": None, "usage": {**usage, "output_tokens": 1}}
    out = [_sse("message_start", {"type": "message_start", "message": start})]
    for i, block in enumerate(full["content"]):
        if block["type"] == "text":
            out.append(
                _sse(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            head = {**block, "input": {}}
            out.append(
                _sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": i, "content_block": head},
                )
            )
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        out.append(
            _sse("content_block_delta", {"type": "content_block_delta", "index": i, "delta": delta})
        )
        out.append(_sse("content_block_stop", {"type": "content_block_stop", "index": i}))
    out.append(
        _sse(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": full["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": usage["output_tokens"]},
            },
        )
    )
    out.append(_sse("message_stop", {"type": "message_stop"}))
    return "".join(out).encode()


def error_body(protocol: WireProtocol, status: int, message: str) -> dict[str, Any]:
    kinds = {
        400: "invalid_request_error",
        401: "authentication_error",
        404: "not_found_error",
        429: "rate_limit_error",
        500: "api_error",
        503: "overloaded_error",
    }
    kind = kinds.get(status, "api_error")
    if protocol == "anthropic":
        return {"type": "error", "error": {"type": kind, "message": message}}
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def models_body(protocol: WireProtocol, names: list[str]) -> dict[str, Any]:
    if protocol == "anthropic":
        data = [
            {"type": "model", "id": n, "display_name": n, "created_at": "2026-01-01T00:00:00Z"}
            for n in names
        ]
        return {
            "data": data,
            "has_more": False,
            "first_id": names[0] if names else None,
            "last_id": names[-1] if names else None,
        }
    return {
        "object": "list",
        "data": [{"id": n, "object": "model", "created": 0, "owned_by": "fake"} for n in names],
    }


def model_body(protocol: WireProtocol, name: str) -> dict[str, Any]:
    return models_body(protocol, [name])["data"][0]
