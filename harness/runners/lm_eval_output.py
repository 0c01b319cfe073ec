"""gapbench's lm-eval raw output is lm-eval's own: results_<date>.json plus
samples_<task>_<date>.jsonl per evaluate() call, written by lm-eval's EvaluationTracker
(the files `lm_eval --output_path ... --log_samples` writes), under
<raw>/lm_eval/<run_id>/<model>/. lm-eval's tools and `gapbench import lm-eval` read them.

What gapbench adds, in keys lm-eval ignores: each sample entry carries
`"gapbench": {"run_id", "sample_key", "sample_id", "epoch", "status", "error", "h"}` (null for a
request never sent), and the results file a `"gapbench"` block naming the run, so that an
import of this output gives back the same samples, statuses and scores as the run stored.

Transcripts for own runs come from here too: the prompt, the answer and the target.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import __version__
from harness._types import SampleRecord, Transcript, TranscriptMessage
from harness.runners.base import RunContext

log = logging.getLogger(__name__)


def gapbench_fields(record: SampleRecord | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {
        "run_id": record.run_id,
        "sample_key": record.sample_key,
        "sample_id": record.sample_id,
        "epoch": record.epoch,
        "status": record.status,
        "error": record.error,
        "h": record.h,
    }


def save_lm_eval_output(
    raw: Path,
    ctx: RunContext,
    result: dict[str, Any] | None,
    record_of: Callable[[str, dict[str, Any]], SampleRecord | None],
) -> Path | None:
    """Write one evaluate() result as lm-eval's output under `raw`; return the results file.

    record_of(task, sample entry) gives the record stored for an entry (None: not stored,
    e.g. never sent). Failing to write raw output never fails a run: lm-eval logs why.
    """
    from lm_eval.loggers import EvaluationTracker

    if not result or not result.get("samples"):
        return None
    samples: dict[str, list[dict[str, Any]]] = result["samples"]
    for task, entries in samples.items():
        for sample in entries:
            sample["gapbench"] = gapbench_fields(record_of(task, sample))
    aggregated = {k: copy.copy(v) for k, v in result.items() if k != "samples"}
    aggregated.setdefault(
        "config",
        {
            "model": f"gapbench/{ctx.deployment.provider}",
            "model_args": f"model={ctx.card.id}",
            "batch_size": 1,
            "bootstrap_iters": 0,
        },
    )
    aggregated["gapbench"] = {
        "run_id": ctx.run_id,
        "sweep_id": ctx.sweep_id,
        "model_id": ctx.card.id,
        "deployment_id": ctx.deployment.id,
        "suite": ctx.suite.name,
        "suite_version": ctx.suite.version,
        "harness_version": __version__,
    }
    try:
        from importlib.metadata import version

        aggregated.setdefault("lm_eval_version", version("lm_eval"))
    except Exception:  # pragma: no cover - lm_eval is installed when this runs
        pass
    tracker = EvaluationTracker(output_path=str(raw))
    tracker.general_config_tracker.log_experiment_args(
        model_source="gapbench",
        model_args={"model": ctx.card.id},
        system_instruction=None,
        chat_template=None,
        fewshot_as_multiturn=False,
    )
    tracker.save_results_aggregated(results=aggregated, samples=samples)
    for task_name in samples:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    folder = raw / str(tracker.general_config_tracker.model_name_sanitized)
    date_id = getattr(tracker, "date_id", None)
    return folder / f"results_{date_id}.json" if date_id else None


def chat_transcript(
    prompt: str, output: str | None, target: str | None, explanation: str | None
) -> Transcript:
    """A standard suite's transcript: one user message and the model's answer."""
    messages = [TranscriptMessage(role="user", content=prompt)]
    if output is not None:
        messages.append(TranscriptMessage(role="assistant", content=output))
    return Transcript(
        messages=tuple(messages),
        prompt=prompt,
        output=output,
        target=target,
        explanation=explanation,
    )


def registry_transcript(sample: dict[str, Any]) -> Transcript:
    """The transcript of an lm-eval registry task's logged sample (before the tracker
    rewrites it): its context string, first response and target."""
    args = sample.get("arguments") or []
    prompt = ""
    if args and isinstance(args[0], list | tuple) and args[0]:
        prompt = str(args[0][0])
    resps = sample.get("resps") or []
    output = str(resps[0][0]) if resps and resps[0] else None
    target = sample.get("target")
    return chat_transcript(prompt, output, None if target is None else str(target), None)
