"""Execute a plan: serve each deployment, run each suite in small chunks, store as we go.

Chunks bound what a crash (even SIGKILL) can lose: every finished chunk is already in the
store, and the next invocation of the same sweep plans only what is missing. The budget is
checked between chunks: no new chunk starts when the projected spend would pass it.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from harness import __version__
from harness._types import Endpoint, RunRecord, RunStatus, SampleRecord
from harness.config import Settings
from harness.errors import RunnerError
from harness.runners import RunContext, get_runner
from harness.runners.base import UserSimulator
from harness.serve import serving
from harness.serve.proxy import Ledger, request_path
from harness.store import Store
from harness.sweep.budget import Budget
from harness.sweep.plan import Plan, PlannedRun


class Reporter(Protocol):
    """What the executor tells its caller (the CLI draws progress bars from it)."""

    def start(self, plan: Plan) -> None: ...
    def run_started(self, run: PlannedRun) -> None: ...
    def sample_done(self, record: SampleRecord) -> None: ...
    def run_finished(self, run: PlannedRun, status: RunStatus, message: str | None) -> None: ...
    def note(self, text: str) -> None: ...


class SilentReporter:
    def start(self, plan: Plan) -> None: ...
    def run_started(self, run: PlannedRun) -> None: ...
    def sample_done(self, record: SampleRecord) -> None: ...
    def run_finished(self, run: PlannedRun, status: RunStatus, message: str | None) -> None: ...
    def note(self, text: str) -> None: ...


@dataclass
class RunOutcome:
    run: PlannedRun
    status: RunStatus
    n_written: int = 0
    message: str | None = None
    cost_usd: float | None = None


@dataclass
class SweepOutcome:
    plan: Plan
    runs: list[RunOutcome] = field(default_factory=list)
    upstream_calls: int = 0
    cache_hits: int = 0
    spent_usd: float = 0.0  # API spend through the request path (ledger)
    cost_usd: float = 0.0  # cost of the rows written: API prices and local $/hour alike

    @property
    def complete(self) -> bool:
        return all(r.status == "complete" for r in self.runs)


def _chunks(todo: tuple[tuple[str, int], ...], size: int) -> Iterator[tuple[tuple[str, int], ...]]:
    for i in range(0, len(todo), size):
        yield todo[i : i + size]


class _Sink:
    """Collects a chunk's records; thread-safe because engines may call back from workers."""

    def __init__(self, reporter: Reporter) -> None:
        self.records: list[SampleRecord] = []
        self._lock = threading.Lock()
        self._reporter = reporter

    def __call__(self, record: SampleRecord) -> None:
        with self._lock:
            self.records.append(record)
        self._reporter.sample_done(record)


def _run_record(
    run: PlannedRun,
    plan: Plan,
    attempt: str,
    started: datetime,
    status: RunStatus,
    store_rows: list[SampleRecord],
    message: str | None = None,
    finished: datetime | None = None,
) -> RunRecord:
    spec = {
        "sweep": plan.sweep.name,
        "model": run.card.id,
        "deployment": run.deployment.model_dump(mode="json", exclude={"api_key_env"}),
        "suite": run.suite.model_dump(mode="json"),
        "epochs": run.epochs,
        "sample_ids": list(run.sample_ids),
        "user_simulator": plan.user_simulator[1].id if plan.user_simulator else None,
    }
    costs = [r.cost_usd for r in store_rows if r.cost_usd is not None]
    return RunRecord(
        run_id=run.run_id,
        attempt_id=attempt,
        sweep_id=plan.sweep.name,
        model_id=run.card.id,
        deployment_id=run.deployment.id,
        suite=run.suite.name,
        suite_version=run.suite.version,
        engine=run.suite.engine,
        engine_version=run.engine_version,
        spec_json=json.dumps(spec, sort_keys=True, default=str),
        status=status,
        message=message,
        n_planned=run.n_planned,
        n_scored=sum(r.status == "scored" for r in store_rows),
        n_error=sum(r.status == "error" for r in store_rows),
        n_limit=sum(r.status == "limit" for r in store_rows),
        input_tokens=sum(r.input_tokens or 0 for r in store_rows),
        output_tokens=sum(r.output_tokens or 0 for r in store_rows),
        cost_usd=sum(costs) if costs else None,
        started_at=started,
        finished_at=finished,
        harness_version=__version__,
    )


@contextlib.contextmanager
def _reach(run_card_dep: tuple, settings: Settings, ledger: Ledger) -> Iterator[Endpoint]:
    """Serve a deployment (or reach it) and put the caching, accounting request path in front."""
    card, dep = run_card_dep
    log_dir = settings.raw_dir / "server-logs"
    with (
        serving(dep, card, log_dir=log_dir, cache_dir=settings.cache_dir) as endpoint,
        request_path(
            endpoint, deployment=dep, cache_dir=settings.cache_dir / "requests", ledger=ledger
        ) as proxied,
    ):
        yield proxied


def execute(
    plan: Plan,
    settings: Settings,
    *,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    chunk_size: int | None = None,
) -> SweepOutcome:
    reporter = reporter or SilentReporter()
    store = Store(settings.results_dir)
    ledger = Ledger()
    limit = budget_usd if budget_usd is not None else plan.sweep.budget_usd
    budget = Budget(limit, ledger) if limit is not None else None
    outcome = SweepOutcome(plan)
    reporter.start(plan)
    stopped_for_budget = False

    with contextlib.ExitStack() as stack:
        user: UserSimulator | None = None
        if plan.user_simulator and any(r.suite.needs_user_simulator and r.todo for r in plan.runs):
            # The simulated user gets its own server: sharing one single-slot llama.cpp server
            # with the agent would re-process the long prompt on every turn.
            user_ep = stack.enter_context(_reach(plan.user_simulator, settings, ledger))
            user = UserSimulator(card=plan.user_simulator[0], endpoint=user_ep)

        for run in plan.runs:
            if not run.todo:
                outcome.runs.append(RunOutcome(run, "complete", message="already complete"))
                continue
            if stopped_for_budget:
                outcome.runs.append(
                    RunOutcome(run, "partial", message="budget reached before start")
                )
                store.append_run(
                    _run_record(
                        run,
                        plan,
                        uuid.uuid4().hex,
                        datetime.now(UTC),
                        "partial",
                        [],
                        "budget reached before start",
                        datetime.now(UTC),
                    )
                )
                continue
            result = _execute_run(
                run, plan, settings, store, ledger, budget, user, reporter, chunk_size
            )
            outcome.runs.append(result)
            if (
                result.status == "partial"
                and result.message
                and result.message.startswith("budget")
            ):
                stopped_for_budget = True

    # Each chunk wrote its own small file (crash safety); merge them so that months of
    # nightly runs stay quick to query. Atomic, and safe beside another writer.
    if any(r.n_written for r in outcome.runs):
        store.compact()
    if ledger.calls:
        # Every upstream call with its tokens, cost, snapshot name and outcome (no headers, so
        # no keys): the audit trail behind the run's cost.
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        ledger.save(settings.raw_dir / plan.sweep.name / f"ledger-{stamp}.json")
    outcome.upstream_calls = ledger.n_upstream_calls
    outcome.cache_hits = ledger.n_cache_hits
    outcome.spent_usd = ledger.spent_usd
    outcome.cost_usd = sum(r.cost_usd or 0.0 for r in outcome.runs)
    return outcome


def _execute_run(
    run: PlannedRun,
    plan: Plan,
    settings: Settings,
    store: Store,
    ledger: Ledger,
    budget: Budget | None,
    user: UserSimulator | None,
    reporter: Reporter,
    chunk_size: int | None,
) -> RunOutcome:
    attempt = uuid.uuid4().hex
    started = datetime.now(UTC)
    written: list[SampleRecord] = []
    reporter.run_started(run)
    store.append_run(_run_record(run, plan, attempt, started, "running", written))
    runner = get_runner(run.suite.engine)
    status: RunStatus = "complete"
    message: str | None = None
    concurrency = min(run.deployment.max_connections, plan.sweep.concurrency or 10**6)
    size = chunk_size or plan.sweep.chunk or max(4, 2 * concurrency)
    raw_dir = settings.raw_dir / plan.sweep.name / run.suite.name / run.card.id
    try:
        with _reach((run.card, run.deployment), settings, ledger) as endpoint:
            for chunk in _chunks(run.todo, size):
                if budget is not None and not budget.may_start(n_new=len(chunk), in_flight=0):
                    status, message = "partial", budget.message(n_new=len(chunk), in_flight=0)
                    reporter.note(f"stopping {run.card.id} x {run.suite.name}: {message}")
                    break
                sink = _Sink(reporter)
                ctx = RunContext(
                    run_id=run.run_id,
                    sweep_id=plan.sweep.name,
                    card=run.card,
                    deployment=run.deployment,
                    endpoint=endpoint,
                    suite=run.suite,
                    todo=chunk,
                    raw_dir=raw_dir,
                    user=user if run.suite.needs_user_simulator else None,
                    max_connections=concurrency,
                )
                runner.run(ctx, sink)
                store.append_samples(sink.records)
                written.extend(sink.records)
                if budget is not None:
                    budget.finished(len(sink.records))
    except RunnerError as exc:
        status, message = "failed", str(exc)
        reporter.note(f"{run.card.id} x {run.suite.name}: {exc}")
    except BaseException:
        store.append_run(
            _run_record(
                run, plan, attempt, started, "partial", written, "interrupted", datetime.now(UTC)
            )
        )
        raise
    store.append_run(
        _run_record(run, plan, attempt, started, status, written, message, datetime.now(UTC))
    )
    reporter.run_finished(run, status, message)
    costs = [r.cost_usd for r in written if r.cost_usd is not None]
    return RunOutcome(run, status, len(written), message, sum(costs) if costs else None)
