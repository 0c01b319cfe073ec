"""Turn a finished inspect `EvalSample` into gapbench's SampleRecord.

Conventions (documented here because every agentic row depends on them):
- status: "error" when inspect recorded a sample error (the message is kept, the sample is
  never scored as wrong); "limit" when a sample limit (message, token, time, context...) halted
  it (the message names the limit; the score is the scorer's verdict on the state reached,
  usually 0: running out of budget is failing the task); "scored" otherwise. A sample that
  ended without any score is an error.
- score: the first scorer's value as a float in 0..1 (inspect's value_to_float for "C"/"I"
  style values; a dict value is averaged); success means score >= 1.
- tokens: the AGENT's usage only: the simulated user's (model role "user") is subtracted.
  input_tokens includes cache reads/writes; cached_tokens is the cache reads.
- steps: the number of tool calls the agent made (comparable with h, the number of required
  actions), counted on the sample's messages; a task whose messages are not the agent's own
  (e.g. a simulated-user loop) sets `state.metadata["steps"]` and that wins. Assistant turns
  go to extra "assistant_turns".
- latency_s: inspect's total_time for the sample (wall clock, including tool execution).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from inspect_ai.log import EvalError, EvalSample
from inspect_ai.model import ChatMessageAssistant, ModelUsage
from inspect_ai.scorer import value_to_float

from harness._types import SampleRecord, Status
from harness.runners.base import RunContext, make_record

_to_float = value_to_float()


def _one_line(text: str, limit: int = 500) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


_EXC_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exceeded)\w*): (.+)$")


def error_message(error: EvalError) -> str:
    """One line saying what went wrong. inspect reports a model call that failed after its
    retries as `RetryError(<Future ... raised X>)`; the useful line (e.g. `openai.
    InternalServerError: Error code: 500 - ...`) is the last non-tenacity exception in the
    traceback, so that one is used instead."""
    message = _one_line(error.message)
    if "RetryError" not in message:
        return message or "sample error"
    causes = [
        m.group(0)
        for line in error.traceback.splitlines()
        if (m := _EXC_LINE.match(line)) and not m.group(1).startswith("tenacity.")
    ]
    return _one_line(f"{causes[-1]} (after retries)") if causes else message


def _score_value(value: Any) -> float | None:
    if isinstance(value, dict):
        parts = [_score_value(v) for v in value.values()]
        floats = [p for p in parts if p is not None]
        return sum(floats) / len(floats) if floats else None
    if isinstance(value, list):
        return None
    try:
        return min(1.0, max(0.0, float(_to_float(value))))
    except (TypeError, ValueError):
        return None


def _first_score(sample: EvalSample) -> float | None:
    for score in (sample.scores or {}).values():
        return _score_value(score.value)
    return None


def _agent_usage(sample: EvalSample) -> ModelUsage:
    total = ModelUsage()
    for usage in sample.model_usage.values():
        total = total + usage
    user = sample.role_usage.get("user")
    if user is None:
        return total
    return ModelUsage(
        input_tokens=max(0, total.input_tokens - user.input_tokens),
        output_tokens=max(0, total.output_tokens - user.output_tokens),
        total_tokens=max(0, total.total_tokens - user.total_tokens),
        input_tokens_cache_read=_sub(total.input_tokens_cache_read, user.input_tokens_cache_read),
        input_tokens_cache_write=_sub(
            total.input_tokens_cache_write, user.input_tokens_cache_write
        ),
    )


def _sub(a: int | None, b: int | None) -> int | None:
    if a is None:
        return None
    return max(0, a - (b or 0))


def _time(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _h(metadata: dict[str, Any]) -> int | None:
    return _int(metadata.get("h"))


def _int(h: Any) -> int | None:
    if isinstance(h, bool):
        return None
    if isinstance(h, int):
        return h
    if isinstance(h, str) and h.isdigit():
        return int(h)
    return None


def limit_message(sample: EvalSample) -> str:
    assert sample.limit is not None
    lim = sample.limit
    msg = f"{lim.type} limit ({lim.limit:g}) reached"
    return f"{msg}: {_one_line(lim.reason, 200)}" if lim.reason else msg


def to_record(ctx: RunContext, engine_version: str, sample: EvalSample, epoch: int) -> SampleRecord:
    """The SampleRecord for `sample`, reported as epoch `epoch` of its gapbench sample id."""
    score = _first_score(sample)
    extra: dict[str, str] = {}
    status: Status
    error: str | None = None
    if sample.error is not None:
        status, error = "error", error_message(sample.error)
    elif sample.limit is not None:
        # The model ran out of its budget (messages, tokens, time): it did not do the task.
        # The scorer's verdict on the state it reached (usually 0) is its score, so limits
        # count against a model, unlike errors (infrastructure), which never do.
        status, error = "limit", limit_message(sample)
    elif score is None:
        status, error = "error", "sample finished without a score"
    else:
        status = "scored"

    usage = _agent_usage(sample)
    cache_read = usage.input_tokens_cache_read or 0
    input_tokens = usage.input_tokens + cache_read + (usage.input_tokens_cache_write or 0)
    assistant = [m for m in sample.messages if isinstance(m, ChatMessageAssistant)]
    steps = _int(sample.metadata.get("steps"))
    if steps is None:
        steps = sum(len(m.tool_calls or []) for m in assistant)
    extra["assistant_turns"] = str(len(assistant))
    latency = sample.total_time
    cost = None
    pricing = ctx.deployment.pricing
    if pricing is not None:
        # Local hardware is priced per hour of the sample's wall clock; APIs per token.
        cost = pricing.cost(input_tokens, usage.output_tokens, cache_read, seconds=latency or 0.0)

    scored = status in ("scored", "limit") and score is not None
    return make_record(
        ctx,
        "inspect",
        engine_version,
        str(sample.id),
        epoch,
        status=status,
        error=error,
        h=_h(sample.metadata),
        score=score if scored else None,
        success=(score is not None and score >= 1.0 - 1e-9) if scored else None,
        input_tokens=input_tokens,
        output_tokens=usage.output_tokens,
        cached_tokens=usage.input_tokens_cache_read,
        cost_usd=cost,
        latency_s=latency,
        steps=steps,
        started_at=_time(sample.started_at),
        finished_at=_time(sample.completed_at),
        model_snapshot=sample.output.model or None,
        extra=extra,
    )
