"""The lm-eval runner: standard suites, scored generatively for every model (open or closed).

Two kinds of suite:
- `data` + `scorer` (HumanEval, BFCL single-turn, the horizon ladder's standard form): the
  runner writes the todo (sample, epoch) pairs as a JSONL file, builds an lm-eval task over it
  (`dataset_path: json`, one chat user message per doc, `generate_until` with the suite's
  limits, `process_results` calling the suite's scorer) and evaluates it with lm-eval. Epochs
  are repeated docs. The work is done in chunks so that records reach the sink (and the
  store) as the run progresses.
- an lm-eval registry task by name (gsm8k, mmlu_pro, ...), no `data`: run with lm-eval's own
  prompts and metrics when its data is reachable; offline and not cached, `SuiteUnavailable`
  (see lm_eval_registry.py).

Raw lm-eval per-sample logs (with our status and error beside them) go to
ctx.raw_dir/lm_eval/<run_id>/samples.jsonl.
"""

from __future__ import annotations

import json
import math
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from harness._types import RunEngine
from harness.errors import RunnerError
from harness.runners.base import RunContext, SampleSink, make_record
from harness.runners.lm_eval_models import CallOutcome, engine_env, make_model
from harness.runners.lm_eval_registry import (
    SuiteUnavailable,
    registry_sample_ids,
    run_registry_task,
)
from harness.suites import SuiteSpec
from harness.suites.scorers import Score, StandardDoc, get_scorer, load_docs

ENGINE: RunEngine = "lm_eval"
__all__ = ["LmEvalRunner", "SuiteUnavailable", "engine_env"]
_SCORE_METRIC = "score"


def _mean_known(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else math.nan


def _doc_from_row(row: dict[str, Any]) -> StandardDoc:
    d = json.loads(row["doc_json"])
    return StandardDoc(
        id=d["id"],
        prompt=d["prompt"],
        target=d["target"],
        h=d.get("h"),
        metadata=d.get("metadata") or {},
    )


class LmEvalRunner:
    engine: RunEngine = ENGINE
    # Docs per lm-eval evaluate() call (x max_connections): small, so records reach the store
    # (and a resume) within a few generations; the task and its data are built once.
    chunk_size = 4

    def engine_version(self) -> str:
        return metadata.version("lm_eval")

    def sample_ids(self, suite: SuiteSpec) -> list[str]:
        if suite.data:
            return [d.id for d in load_docs(suite.directory / suite.data)]
        return registry_sample_ids(suite)

    def run(self, ctx: RunContext, sink: SampleSink) -> None:
        if not ctx.todo:
            return
        raw = ctx.raw_dir / "lm_eval" / ctx.run_id
        raw.mkdir(parents=True, exist_ok=True)
        with engine_env(ctx.env):
            if ctx.suite.data:
                self._run_data_suite(ctx, sink, raw)
            else:
                run_registry_task(ctx, sink, raw, self.engine_version())

    # -- data + scorer suites -------------------------------------------------------------

    def _run_data_suite(self, ctx: RunContext, sink: SampleSink, raw: Path) -> None:
        from lm_eval.api.task import ConfigurableTask
        from lm_eval.evaluator import evaluate

        suite = ctx.suite
        if not suite.scorer:
            raise RunnerError(f"{suite.name}: suite has data but no scorer")
        docs = {d.id: d for d in load_docs(suite.directory / str(suite.data))}
        missing = [sid for sid, _ in ctx.todo if sid not in docs]
        if missing:
            raise RunnerError(f"{suite.name}: unknown sample ids {missing[:3]}")
        scorer = get_scorer(suite.scorer)
        version = self.engine_version()
        model = make_model(ctx.endpoint, suite.limits.max_tokens, ctx.max_connections)
        scores: dict[str, Score | str] = {}  # a str: the scorer failed (message)

        def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, float | None]:
            key = str(doc["key"])
            outcome = model.calls.get(key)
            if outcome is None or outcome.error is not None:
                return {_SCORE_METRIC: None}  # errored call: no score, not a wrong answer
            try:
                score = scorer(results[0] if results else "", _doc_from_row(doc))
            except Exception as exc:  # a scorer bug is an error, never a wrong answer
                scores[key] = f"scorer {suite.scorer} failed: {type(exc).__name__}: {exc}"[:500]
                return {_SCORE_METRIC: None}
            scores[key] = score
            return {_SCORE_METRIC: score.value}

        rows = [
            {
                "key": f"{sid}#{epoch}",
                "id": sid,
                "epoch": epoch,
                "prompt": docs[sid].prompt,
                "target": docs[sid].target,
                # The whole doc as one string: metadata shapes differ between rows, which an
                # Arrow schema inferred by `datasets` would not accept.
                "doc_json": json.dumps(docs[sid].__dict__, ensure_ascii=False),
            }
            for sid, epoch in ctx.todo
        ]
        with tempfile.TemporaryDirectory(prefix="gapbench-lm-eval-") as tmp:
            data_file = Path(tmp) / "todo.jsonl"
            data_file.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
            config = {
                "task": suite.task,
                "dataset_path": "json",
                "dataset_kwargs": {
                    "data_files": {"test": str(data_file)},
                    "cache_dir": str(Path(tmp) / "datasets"),
                },
                "test_split": "test",
                "output_type": "generate_until",
                "doc_to_text": "prompt",
                "doc_to_target": "target",
                "generation_kwargs": {
                    "until": [],
                    "max_gen_toks": suite.limits.max_tokens,
                    "temperature": suite.limits.temperature,
                    "do_sample": suite.limits.temperature > 0,
                },
                "process_results": process_results,
                "metric_list": [
                    {"metric": _SCORE_METRIC, "aggregation": _mean_known, "higher_is_better": True}
                ],
                "num_fewshot": 0,
                "metadata": {"version": suite.version},
                "unsafe_code": suite.scorer == "humaneval_exec",
            }
            try:
                task = ConfigurableTask(config=config)
            except Exception as exc:
                raise RunnerError(f"{suite.name}: lm-eval could not build the task: {exc}") from exc
            step = max(1, self.chunk_size * max(1, ctx.max_connections))
            for start in range(0, len(rows), step):
                indices = list(range(start, min(start + step, len(rows))))
                try:
                    result = evaluate(
                        lm=model,
                        task_dict={"tasks": {suite.task: task}, "groups": {}},
                        samples={suite.task: indices},
                        bootstrap_iters=0,
                        log_samples=True,
                        apply_chat_template=True,
                        confirm_run_unsafe_code=True,
                    )
                except RunnerError:
                    raise
                except Exception as exc:
                    raise RunnerError(
                        f"{suite.name}: lm-eval failed: {type(exc).__name__}: {exc}"
                    ) from exc
                logged = (result or {}).get("samples", {}).get(suite.task, [])
                self._emit(ctx, sink, raw, version, logged, model.calls, scores, docs)

    def _emit(
        self,
        ctx: RunContext,
        sink: SampleSink,
        raw: Path,
        version: str,
        logged: list[dict[str, Any]],
        calls: dict[str, CallOutcome],
        scores: dict[str, Score | str],
        docs: dict[str, StandardDoc],
    ) -> None:
        pricing = ctx.deployment.pricing
        with (raw / "samples.jsonl").open("a", encoding="utf-8") as log:
            for sample in logged:
                doc = sample["doc"]
                key, sid, epoch = str(doc["key"]), str(doc["id"]), int(doc["epoch"])
                call = calls.get(key)
                score = scores.get(key)
                fields: dict[str, Any] = {"h": docs[sid].h, "steps": 1}
                if call is not None:
                    fields.update(call.record_fields())
                    if call.finish_reason:
                        fields["extra"] = {"finish_reason": str(call.finish_reason)}
                    if (
                        pricing is not None
                        and call.input_tokens is not None
                        and call.output_tokens is not None
                    ):
                        fields["cost_usd"] = pricing.cost(
                            call.input_tokens,
                            call.output_tokens,
                            call.cached_tokens or 0,
                            seconds=call.latency_s,
                        )
                if call is None or call.error is not None or not isinstance(score, Score):
                    if call is not None and call.error:
                        message = call.error
                    else:
                        message = score if isinstance(score, str) else "no response recorded"
                    record = make_record(
                        ctx, ENGINE, version, sid, epoch, status="error", error=message, **fields
                    )
                else:
                    if score.explanation:
                        fields["extra"] = {
                            **fields.get("extra", {}),
                            "explanation": score.explanation[:500],
                        }
                    record = make_record(
                        ctx,
                        ENGINE,
                        version,
                        sid,
                        epoch,
                        status="scored",
                        score=float(min(1.0, max(0.0, score.value))),
                        success=score.success,
                        **fields,
                    )
                log.write(
                    json.dumps(
                        {**sample, "gapbench": {"status": record.status, "error": record.error}},
                        default=str,
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                sink(record)
