"""The lm-eval runner: standard suites, scored generatively for every model (open or closed).

Two kinds of suite:
- `data` + `scorer` (HumanEval, BFCL single-turn, the horizon ladder's standard form): the
  runner writes the todo (sample, epoch) pairs as a JSONL file, builds an lm-eval task over it
  (`dataset_path: json`, one chat user message per doc, `generate_until` with the suite's
  limits) and evaluates it with ONE lm-eval evaluate() call. Epochs are repeated docs. Each
  request's sample is scored with the suite's scorer as soon as the request finishes (the
  model's on_call hook) and reaches the sink then, not when evaluate() returns; lm-eval's
  process_results reads that same score. The model's may_send hook asks ctx.gate_open()
  before each request (budget, circuit breaker): a request not sent is not reported.
- an lm-eval registry task by name (gsm8k, mmlu_pro, ...), no `data`: run with lm-eval's own
  prompts and metrics when its data is reachable; offline and not cached, `SuiteUnavailable`
  (see lm_eval_registry.py).

Raw output is lm-eval's own (results_<date>.json + samples_<task>_<date>.jsonl, written by
its EvaluationTracker) under ctx.raw_dir/lm_eval/<run_id>/<model>/ (lm_eval_output.py).
"""

from __future__ import annotations

import json
import math
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import Any

from harness._types import RunEngine, SampleRecord
from harness.errors import RunnerError
from harness.runners.base import RunContext, SampleSink, make_record
from harness.runners.lm_eval_models import CallOutcome, engine_env, make_model
from harness.runners.lm_eval_output import chat_transcript, save_lm_eval_output

try:  # F's request hooks (may_send / on_call); older model classes have neither
    from harness.runners.lm_eval_models import NOT_SENT
except ImportError:  # pragma: no cover - until lm_eval_models grows it
    NOT_SENT = "gapbench: request not sent"
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
        model = make_model(ctx.endpoint, suite.limits.max_tokens, ctx.max_connections)
        stream = _Stream(ctx, sink, get_scorer(suite.scorer), docs, model, self.engine_version())
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
                # a plain function: lm-eval deep-copies its config (a bound method would
                # copy the stream and the model with it)
                "process_results": lambda doc, results: stream.process_results(doc, results),
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
            # One evaluate() for the whole todo: no barrier. Each request's sample is scored
            # and handed to the sink as the request finishes (model.on_call); what the hooks
            # did not deliver (an lm-eval model without them) is delivered after evaluate().
            try:
                result = evaluate(
                    lm=model,
                    task_dict={"tasks": {suite.task: task}, "groups": {}},
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
            finally:
                stream.drain()
            logged = (result or {}).get("samples", {}).get(suite.task, [])
            for sample in logged:
                stream.deliver(str(sample["doc"]["key"]))
            stream.drain()
            self._write_raw(raw, ctx, result, stream.records)

    def _write_raw(
        self,
        raw: Path,
        ctx: RunContext,
        result: dict[str, Any] | None,
        records: dict[str, SampleRecord],
    ) -> None:
        """lm-eval's own output (results_<date>.json + samples_<task>_<date>.jsonl, by its
        EvaluationTracker), each sample with our record's key, status and error beside it."""
        save_lm_eval_output(
            raw, ctx, result, lambda _task, sample: records.get(str(sample["doc"]["key"]))
        )


class _Stream:
    """Scores each request's sample as it finishes and hands its record to the sink.

    Scoring runs on a small thread pool, off the thread that finished the request (lm-eval's
    async client loop must not wait on a scorer that runs code). Each key is delivered once;
    a request the gate kept from being sent (NOT_SENT) is not delivered at all.
    """

    def __init__(
        self,
        ctx: RunContext,
        sink: SampleSink,
        scorer: Any,
        docs: dict[str, StandardDoc],
        model: Any,
        version: str,
    ) -> None:
        self.ctx, self.sink, self.scorer, self.docs = ctx, sink, scorer, docs
        self.model, self.version = model, version
        self.records: dict[str, SampleRecord] = {}
        self._scores: dict[str, Score | str] = {}  # a str: the scorer failed (message)
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lm-eval-score")
        self._futures: list[Future[None]] = []
        self._failure: BaseException | None = None
        if hasattr(model, "on_call"):
            model.on_call = self._on_call
        if hasattr(model, "may_send"):
            model.may_send = lambda key: ctx.gate_open()

    def _on_call(self, key: str, outcome: CallOutcome) -> None:
        if outcome.error == NOT_SENT:
            return
        future = self._pool.submit(self.deliver, key, outcome)
        with self._lock:
            self._futures.append(future)

    def _score(self, key: str, text: str) -> Score | str:
        with self._lock:
            known = self._scores.get(key)
        if known is not None:
            return known
        sid = key.rsplit("#", 1)[0]
        try:
            score: Score | str = self.scorer(text, self.docs[sid])
        except Exception as exc:  # a scorer bug is an error, never a wrong answer
            score = f"scorer {self.ctx.suite.scorer} failed: {type(exc).__name__}: {exc}"[:500]
        with self._lock:
            self._scores[key] = score
        return score

    def process_results(self, doc: dict[str, Any], results: list[str]) -> dict[str, float | None]:
        """lm-eval's per-doc metric: the score already made when the request finished."""
        key = str(doc["key"])
        outcome = self.model.calls.get(key)
        if outcome is None or outcome.error is not None:
            return {_SCORE_METRIC: None}  # errored call: no score, not a wrong answer
        score = self._score(key, results[0] if results else outcome.text)
        return {_SCORE_METRIC: score.value if isinstance(score, Score) else None}

    def deliver(self, key: str, outcome: CallOutcome | None = None) -> None:
        try:
            with self._lock:
                if key in self.records:
                    return
            call = outcome or self.model.calls.get(key)
            if call is not None and call.error == NOT_SENT:
                return
            record = self._record(key, call)
            with self._lock:
                if key in self.records:
                    return
                self.records[key] = record
            self.sink(record)
        except BaseException as exc:
            self._failure = self._failure or exc

    def drain(self) -> None:
        """Wait for every scoring in flight; re-raise a sink failure."""
        while True:
            with self._lock:
                pending, self._futures = self._futures, []
            if not pending:
                break
            for future in pending:
                future.result()
        if self._failure is not None:
            raise self._failure

    def _record(self, key: str, call: CallOutcome | None) -> SampleRecord:
        ctx = self.ctx
        sid, epoch = key.rsplit("#", 1)[0], int(key.rsplit("#", 1)[1])
        fields: dict[str, Any] = {"h": self.docs[sid].h, "steps": 1}
        pricing = ctx.deployment.pricing
        score: Score | str | None = None
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
            if call.error is None:
                score = self._score(key, call.text)
        doc = self.docs[sid]
        fields["transcript"] = chat_transcript(
            doc.prompt,
            call.text if call is not None and call.error is None else None,
            doc.target,
            score.explanation if isinstance(score, Score) else None,
        )
        if call is None or call.error is not None or not isinstance(score, Score):
            if call is not None and call.error:
                message = call.error
            else:
                message = score if isinstance(score, str) else "no response recorded"
            return make_record(
                ctx, ENGINE, self.version, sid, epoch, status="error", error=message, **fields
            )
        if score.explanation:
            fields["extra"] = {**fields.get("extra", {}), "explanation": score.explanation[:500]}
        return make_record(
            ctx,
            ENGINE,
            self.version,
            sid,
            epoch,
            status="scored",
            score=float(min(1.0, max(0.0, score.value))),
            success=score.success,
            **fields,
        )
