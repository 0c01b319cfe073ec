"""lm-eval registry tasks by name (gsm8k, mmlu_pro, gpqa, ...): lm-eval's own prompts and
metrics, reached through the same instrumented chat models as our data suites.

Only generative tasks (output_type generate_until) can run: closed chat APIs give no prompt
logprobs, so loglikelihood / multiple-choice tasks are refused. Sample ids are
`<lm-eval task>/<doc index>`; epochs run one evaluate() call each. The per-sample score is the
task's first metric clamped to 0..1 (success: score == 1), from its first filter.

A task whose data is not on disk (offline and not in the Hugging Face cache) raises
`SuiteUnavailable`, one line, which the sweep prints and skips.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from harness.errors import ConfigError, RunnerError
from harness.runners.base import RunContext, SampleSink, make_record
from harness.runners.lm_eval_models import engine_env, make_model
from harness.runners.lm_eval_output import registry_transcript, save_lm_eval_output
from harness.suites import SuiteSpec


class SuiteUnavailable(RunnerError):
    """The suite's data cannot be reached (offline and not cached): skip it, one line."""


@functools.lru_cache(maxsize=1)
def _task_manager() -> Any:
    from lm_eval.tasks import TaskManager

    return TaskManager()  # indexes lm-eval's task YAMLs (seconds, once per process)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def load_registry_tasks(suite: SuiteSpec) -> dict[str, Any]:
    """{subtask name: lm-eval Task}; SuiteUnavailable when the data cannot be loaded."""
    with engine_env({}):
        try:
            loaded = _task_manager().load([suite.task])
        except KeyError:  # the suite file names a task lm-eval does not have: its mistake
            raise ConfigError(
                suite.directory / "suite.yaml",
                "task",
                f"'{suite.task}' is not an lm-eval task in this version",
            ) from None
        except Exception as exc:  # offline: datasets raises ConnectionError and friends
            raise SuiteUnavailable(
                f"{suite.name}: data for lm-eval task '{suite.task}' is not reachable "
                f"(offline and not cached: {_first_line(exc)})"
            ) from None
    tasks: dict[str, Any] = dict(loaded["tasks"])
    for name, task in tasks.items():
        if task.get_config("output_type") != "generate_until":
            raise SuiteUnavailable(
                f"{suite.name}: lm-eval task '{name}' is {task.get_config('output_type')}, which "
                "needs prompt logprobs; only generative tasks run for every model"
            )
    return tasks


def registry_sample_ids(suite: SuiteSpec) -> list[str]:
    return [
        f"{name}/{i}"
        for name, task in sorted(load_registry_tasks(suite).items())
        for i in range(len(task.eval_docs))
    ]


def _doc_hash(doc: Any) -> str:
    # Exactly how lm-eval's evaluator hashes a doc for its logged samples ("doc_hash").
    from lm_eval.utils import handle_non_serializable, hash_string

    return str(
        hash_string(json.dumps(doc, indent=2, default=handle_non_serializable, ensure_ascii=False))
    )


def _primary_metric(task: Any, sample: dict[str, Any]) -> float | None:
    names = [m["metric"] for m in task.config.metric_list or [] if isinstance(m.get("metric"), str)]
    names += [k for k in sample.get("metrics", [])]
    for name in names:
        value = sample.get(name)
        if isinstance(value, int | float | bool):
            return float(value)
    return None


def _registry_scope(inst: Any, *, epoch: int) -> str:
    return f"{inst.task_name}/{inst.doc_id}/{epoch}"


def _stored_record(stored: dict[int, Any], _task: str, sample: dict[str, Any]) -> Any:
    return stored.get(id(sample))


def run_registry_task(ctx: RunContext, sink: SampleSink, raw: Path, version: str) -> None:
    from lm_eval.evaluator import evaluate

    suite = ctx.suite
    tasks = load_registry_tasks(suite)
    model = make_model(ctx.endpoint, suite.limits.max_tokens, ctx.max_connections)
    model.key_of = lambda inst: f"{inst.task_name}:{_doc_hash(inst.doc)}"
    for task in tasks.values():
        # The suite's limits, identical for every model, override the task's defaults.
        kwargs = dict(task.get_config("generation_kwargs") or {})
        kwargs.update(max_gen_toks=suite.limits.max_tokens, temperature=suite.limits.temperature)
        kwargs["do_sample"] = suite.limits.temperature > 0
        task.set_config(key="generation_kwargs", value=kwargs)
        if task.get_config("num_fewshot") is None:
            task.set_config(key="num_fewshot", value=0)
    by_epoch: dict[int, dict[str, list[int]]] = {}
    for sample_id, epoch in ctx.todo:
        name, _, index = sample_id.rpartition("/")
        if name not in tasks or not index.isdigit():
            raise RunnerError(f"{suite.name}: unknown sample id '{sample_id}'")
        by_epoch.setdefault(epoch, {}).setdefault(name, []).append(int(index))
    for epoch, samples in sorted(by_epoch.items()):
        model.calls.clear()
        # Tag each request with its sample and epoch so the request path's cache never
        # answers a resumed epoch 2 with epoch 1's reply.
        model.scope_of = functools.partial(_registry_scope, epoch=epoch)
        try:
            result = evaluate(
                lm=model,
                task_dict={"tasks": {n: tasks[n] for n in samples}, "groups": {}},
                samples={n: sorted(set(ix)) for n, ix in samples.items()},
                bootstrap_iters=0,
                log_samples=True,
                apply_chat_template=True,
            )
        except Exception as exc:
            raise RunnerError(f"{suite.name}: lm-eval failed: {_first_line(exc)}") from exc
        stored: dict[int, Any] = {}  # id(logged entry) -> its record, for the raw output
        for name, logged in ((result or {}).get("samples") or {}).items():
            seen: set[int] = set()
            for sample in logged:
                doc_index = int(sample["doc_id"])
                if doc_index in seen:  # one entry per filter: the first filter counts
                    continue
                seen.add(doc_index)
                call = model.calls.get(f"{name}:{sample['doc_hash']}")
                value = _primary_metric(tasks[name], sample)
                fields: dict[str, Any] = {"steps": 1, "transcript": registry_transcript(sample)}
                if call is not None:
                    fields.update(call.record_fields())
                sid = f"{name}/{doc_index}"
                if call is None or call.error is not None or value is None:
                    error = (call.error if call else None) or "no response or metric recorded"
                    record = make_record(
                        ctx,
                        "lm_eval",
                        version,
                        sid,
                        epoch,
                        status="error",
                        error=error,
                        **fields,
                    )
                else:
                    score = min(1.0, max(0.0, value))
                    record = make_record(
                        ctx,
                        "lm_eval",
                        version,
                        sid,
                        epoch,
                        status="scored",
                        score=score,
                        success=score >= 1.0,
                        **fields,
                    )
                stored[id(sample)] = record
                sink(record)
        save_lm_eval_output(raw, ctx, result, functools.partial(_stored_record, stored))
