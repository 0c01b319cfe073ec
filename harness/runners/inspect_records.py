"""Turn a finished inspect `EvalSample` into gapbench's SampleRecord, for own runs and for
imported .eval logs alike (one function decides status, score and counts for both, so an
import of a run's own logs gives back the rows the run stored).

Conventions (documented here because every agentic row depends on them):
- status: "error" when inspect recorded a sample error (the message is kept, the sample is
  never scored as wrong); "limit" when a sample limit (message, token, time, context...) halted
  it (the message names the limit; the score is the scorer's verdict on the state reached,
  usually 0: running out of budget is failing the task; a limit no scorer judged stays
  unscored);
  "scored" otherwise. A sample that ended without any score is an error.
- score: the first scorer's value as a float in 0..1 (inspect's value_to_float for "C"/"I"
  style values; a dict value is averaged); success means score >= 1.
- tokens: the AGENT's usage only: the simulated user's (model role "user") is subtracted.
  input_tokens includes cache reads/writes; cached_tokens is the cache reads.
- steps: the number of tool calls the agent made (comparable with h, the number of required
  actions), counted on the sample's messages; a task whose messages are not the agent's own
  (e.g. a simulated-user loop) sets `state.metadata["steps"]` and that wins. Assistant turns
  go to extra "assistant_turns".
- latency_s: inspect's total_time for the sample (wall clock, including tool execution).
- transcript: every message (role, text, tool calls with their JSON arguments, tool results
  and errors), the input when it is text, the final completion, the target, the first
  scorer's explanation and extracted answer, the sample's metadata and an error's traceback
  (capped; the transcripts table).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from inspect_ai.log import EvalError, EvalSample
from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool, ModelUsage
from inspect_ai.scorer import value_to_float

from harness._types import (
    Kind,
    SampleRecord,
    Status,
    ToolCall,
    Transcript,
    TranscriptMessage,
)
from harness.errors import ConfigError
from harness.runners.base import RunContext, make_record
from harness.store.importers._common import Collector, FactsOf, imported_record, imported_run_id

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


def _first_score(sample: EvalSample) -> tuple[float | None, str | None, str | None]:
    """The first scorer's (value in 0..1, explanation, extracted answer)."""
    for score in (sample.scores or {}).values():
        return _score_value(score.value), score.explanation, score.answer
    return None, None, None


_CAP = 20_000  # characters of metadata / traceback kept in a transcript


def _capped(text: str | None) -> str | None:
    if not text:
        return None
    return text if len(text) <= _CAP else text[: _CAP - 20] + "... (truncated)"


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


def _int(h: Any) -> int | None:
    if isinstance(h, bool):
        return None
    if isinstance(h, int):
        return h
    if isinstance(h, str) and h.isdigit():
        return int(h)
    return None


def _h(metadata: dict[str, Any]) -> int | None:
    h = _int(metadata.get("h"))
    if h is not None:
        return h
    try:  # tau2: the task's expected actions
        actions = metadata["task"]["evaluation_criteria"]["actions"]
    except (KeyError, TypeError):
        return None
    return len(actions) if isinstance(actions, list) else None


def limit_message(sample: EvalSample) -> str:
    assert sample.limit is not None
    lim = sample.limit
    msg = f"{lim.type} limit ({lim.limit:g}) reached"
    return f"{msg}: {_one_line(lim.reason, 200)}" if lim.reason else msg


def _message(m: ChatMessage) -> TranscriptMessage:
    calls: tuple[ToolCall, ...] = ()
    if isinstance(m, ChatMessageAssistant) and m.tool_calls:
        calls = tuple(
            ToolCall(
                id=str(c.id),
                function=str(c.function),
                arguments=json.dumps(c.arguments, ensure_ascii=False, default=str),
            )
            for c in m.tool_calls
        )
    if isinstance(m, ChatMessageTool):
        return TranscriptMessage(
            role="tool",
            content=m.text,
            tool_call_id=m.tool_call_id,
            function=m.function,
            error=m.error.message if m.error is not None else None,
        )
    role = m.role if m.role in ("system", "user", "assistant") else "user"
    return TranscriptMessage(role=role, content=m.text, tool_calls=calls)


def transcript_of(sample: EvalSample, explanation: str | None, answer: str | None) -> Transcript:
    target = sample.target
    metadata = (
        json.dumps(sample.metadata, ensure_ascii=False, default=str) if sample.metadata else None
    )
    return Transcript(
        messages=tuple(_message(m) for m in sample.messages),
        prompt=sample.input if isinstance(sample.input, str) else None,
        output=sample.output.completion if sample.output is not None else None,
        target="\n".join(target) if isinstance(target, list) else target,
        explanation=explanation,
        answer=answer,
        metadata=_capped(metadata),
        traceback=_capped(sample.error.traceback) if sample.error is not None else None,
    )


@dataclass(frozen=True)
class Outcome:
    """What a finished inspect sample says, before it becomes a record."""

    status: Status
    error: str | None
    score: float | None
    fields: dict[str, Any] = field(default_factory=dict)  # the other record columns
    cache_read: int = 0
    latency: float | None = None


def outcome_of(sample: EvalSample) -> Outcome:
    """Status, score and the per-sample record fields (no run-level ones) of a sample."""
    score, explanation, answer = _first_score(sample)
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
    scored = status in ("scored", "limit") and score is not None
    return Outcome(
        status=status,
        error=error,
        score=score if scored else None,
        cache_read=cache_read,
        latency=sample.total_time,
        fields=dict(
            h=_h(sample.metadata),
            success=(score is not None and score >= 1.0 - 1e-9) if scored else None,
            input_tokens=input_tokens,
            output_tokens=usage.output_tokens,
            cached_tokens=usage.input_tokens_cache_read,
            latency_s=sample.total_time,
            steps=steps,
            started_at=_time(sample.started_at),
            finished_at=_time(sample.completed_at),
            model_snapshot=(sample.output.model or None) if sample.output is not None else None,
            extra={"assistant_turns": str(len(assistant))},
            transcript=transcript_of(sample, explanation, answer),
        ),
    )


def to_record(ctx: RunContext, engine_version: str, sample: EvalSample, epoch: int) -> SampleRecord:
    """The SampleRecord for `sample`, reported as epoch `epoch` of its gapbench sample id."""
    o = outcome_of(sample)
    cost = None
    pricing = ctx.deployment.pricing
    answered = int(o.fields.get("extra", {}).get("assistant_turns", "0")) > 0
    no_usage = not (o.fields["input_tokens"] or o.fields["output_tokens"])
    per_token = pricing is not None and pricing.per_token
    if pricing is not None and not (per_token and answered and no_usage):
        # Local hardware is priced per hour of the sample's wall clock; APIs per token. A
        # model that answered but reported no token usage has an unknown cost, not $0 (as
        # lm-eval's side records it; the money line counts such answers).
        cost = pricing.cost(
            o.fields["input_tokens"],
            o.fields["output_tokens"],
            o.cache_read,
            seconds=o.latency or 0.0,
        )
    return make_record(
        ctx,
        "inspect",
        engine_version,
        str(sample.id),
        epoch,
        status=o.status,
        error=o.error,
        score=o.score,
        cost_usd=cost,
        **o.fields,
    )


# ---- importing .eval logs made elsewhere (or gapbench's own raw logs) --------------------

IMPORT_NAME = "inspect"


def _logs(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.rglob("*.eval"))
    return [path] if path.exists() else []


def collect_inspect(
    path: Path,
    facts_of: FactsOf,
    kind: Kind = "agentic",
    model_id: str | None = None,
    suite: str | None = None,
) -> Collector:
    """Read one .eval log or every .eval under a folder with inspect's own reader; store
    nothing. A file inspect cannot read raises ConfigError naming it (one line)."""
    from inspect_ai.log import read_eval_log

    path = Path(path)
    logs = _logs(path)
    if not logs:
        raise ConfigError(path, None, "no .eval logs found")
    out = Collector(IMPORT_NAME)
    for log_path in logs:
        _refuse_unsafe_log(log_path)
        try:
            log = read_eval_log(str(log_path))
        except Exception as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ConfigError(log_path, None, f"not a readable inspect log ({detail})") from None
        _read_log(log_path, log, facts_of, kind, model_id, suite, out)
    return out


def _refuse_unsafe_log(log_path: Path) -> None:
    """An imported log is untrusted: a zip whose members would inflate past the bound (a 55 KB
    file took inspect's reader 1.76 GB), or with member names that climb out, is refused in
    one line before inspect reads it. The zip's directory bounds what zipfile inflates."""
    from harness.store.rawpaths import eval_problem

    try:
        with log_path.open("rb") as fh:
            problem = eval_problem(fh)
    except OSError as exc:
        raise ConfigError(log_path, None, f"cannot be read ({exc.strerror})") from None
    if problem is not None:
        raise ConfigError(log_path, None, f"not a readable inspect log ({problem}); not imported")


def _read_log(
    path: Path,
    log: Any,
    facts_of: FactsOf,
    kind: Kind,
    model_id: str | None,
    suite: str | None,
    out: Collector,
) -> None:
    spec = log.eval
    if log.status != "success":
        out.warnings.append(f"{path}: log status {log.status!r}; importing the samples it holds")
    source_model = str(spec.model)
    model = model_id or source_model
    facts = facts_of(model)
    metadata = spec.metadata or {}
    # gapbench's own logs: one run, and inspect's epoch j of a sample is the j-th epoch the
    # run asked for (a resumed run relabels them; runners/inspect_runner.py).
    epochs = metadata.get("gapbench_epochs") if isinstance(metadata, dict) else None
    own_run = metadata.get("gapbench_run_id") if isinstance(metadata, dict) else None
    identity = {"eval": spec.eval_id or spec.task_id, "model": source_model}
    if isinstance(own_run, str):
        identity = {"gapbench_run": own_run, "model": source_model}
    run_id = imported_run_id(IMPORT_NAME, identity)
    engine_version = str((spec.packages or {}).get("inspect_ai", "unknown"))
    scorer = log.results.scores[0].name if log.results and log.results.scores else ""
    for sample in log.samples or []:
        o = outcome_of(sample)
        epoch = int(sample.epoch)
        wanted = epochs.get(str(sample.id)) if isinstance(epochs, dict) else None
        if isinstance(wanted, list) and 1 <= epoch <= len(wanted):
            mapped = wanted[epoch - 1]  # the log's own metadata: untrusted like the rest
            if isinstance(mapped, bool) or not isinstance(mapped, int) or mapped < 1:
                raise ConfigError(
                    path,
                    f"eval.metadata.gapbench_epochs.{sample.id}",
                    "not a list of epoch numbers (whole numbers >= 1)",
                )
            epoch = mapped
        extra = {
            **o.fields["extra"],
            "log": path.name,
            "scorer": scorer,
            "eval_model": source_model,
            "organisation": facts.organisation or "",
        }
        out.records.append(
            imported_record(
                name=IMPORT_NAME,
                run_id=run_id,
                model_id=model,
                access=facts.access,
                release_date=facts.release_date,
                suite=suite or str(spec.task),
                suite_version=str(spec.task_version),
                kind=kind,
                task=str(spec.task),
                sample_id=str(sample.id),
                epoch=epoch,
                status=o.status,
                engine="inspect",
                engine_version=engine_version,
                score=o.score,
                error=o.error,
                extra=extra,
                **{k: v for k, v in o.fields.items() if k != "extra"},
            )
        )
