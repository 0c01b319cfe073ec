"""One run of a sweep, start to end: its units on their backend, its run record, its status.

`_Sweep` is one execution's shared state in the executor's process (the plan, the store, the
request path's ledger, the coordinator and its stop flags, a backend per deployment);
`run_one` executes one run (all its shards), closes its run record with the status the rules
of outcome.py give (and the rule that decided), and masks secrets in the run's raw files.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal, Protocol

from harness._types import RunStatus, SampleRecord, StatusRule
from harness.config import Settings
from harness.errors import GapbenchError, ServeError
from harness.runners.base import UserSimulator
from harness.serve.proxy import Ledger, RequestPath
from harness.store import Store
from harness.sweep.budget import worst_case_usd
from harness.sweep.coordinator import Coordinator, StopFlags
from harness.sweep.outcome import RunOutcome, Verdict, final_status
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.run_records import Tally, raw_path, run_record
from harness.sweep.units import Unit, UnitResult, run_raw_dir, shard_count, split
from harness.sweep.writer import DEFAULT_BATCH

Executor = Literal["local", "ray"]


class Reporter(Protocol):
    """What the executor tells its caller (the CLI draws progress bars from it).

    Calls come from several threads (runs proceed side by side) but never at the same time.
    """

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


class Backend(Protocol):
    def run_units(self, units: list[Unit]) -> list[UnitResult]: ...
    def stop(self) -> None: ...


@dataclass
class Sweep:
    """One execution's shared state (the executor's process)."""

    plan: Plan
    settings: Settings
    store: Store
    ledger: Ledger
    coordinator: Coordinator
    flags: StopFlags
    reporter: Reporter
    executor: Executor
    workers: int
    n_groups: int
    backend_for: dict[str, Backend]  # deployment id -> backend
    user: UserSimulator | None = None
    request_path: RequestPath | None = None  # local executor: one proxy for every deployment

    side_by_side: dict[str, int] = field(default_factory=dict)  # deployment -> runs at once
    # run_id -> (rows, their tally) the rows cache copied of it before it ran (counted in its
    # run record and outcome)
    served: dict[str, tuple[int, Tally]] = field(default_factory=dict)

    def tally(self, run: PlannedRun, rows: list[SampleRecord]) -> Tally:
        """What this command stored for the run: the rows it ran, and any copied before."""
        ran = Tally.of_records(rows)
        return ran + self.served[run.run_id][1] if run.run_id in self.served else ran

    def with_served(self, out: RunOutcome) -> RunOutcome:
        """A run partly copied from the rows cache and partly run: its outcome counts both."""
        if out.run.run_id not in self.served:
            return out
        n, tally = self.served[out.run.run_id]
        out.n_written += n
        out.n_served = n
        if tally.cost_usd is not None:
            out.cost_usd = (out.cost_usd or 0.0) + tally.cost_usd
        return out

    def units(self, run: PlannedRun, reached: bool, endpoint: object = None) -> list[Unit]:
        sweep = self.plan.sweep
        limit = min(run.deployment.max_connections, sweep.concurrency or 10**6)
        # Runs of one API deployment proceed at once and split its limit between them.
        concurrency = max(1, limit // self.side_by_side.get(run.deployment.id, 1))
        workers = max(1, self.workers // self.n_groups)
        n = shard_count(len(run.todo), sweep.shards, workers, concurrency)
        shards = split(run.todo, n)
        return [
            Unit(
                run=run,
                shard=i,
                n_shards=len(shards),
                todo=todo,
                sweep_id=sweep.name,
                results_dir=self.settings.results_dir,
                raw_root=self.settings.raw_dir,
                cache_dir=self.settings.cache_dir,
                max_connections=max(1, concurrency // len(shards)),
                write_batch=sweep.write_batch or sweep.chunk or DEFAULT_BATCH,
                endpoint=endpoint if reached else None,  # type: ignore[arg-type]
                user=self.user if reached else None,
                user_model=None if reached else self.plan.user_simulator,
                read_cache=self.plan.use_cache,
                worst_usd=self.worst_usd(run),
            )
            for i, todo in enumerate(shards)
        ]

    def worst_usd(self, run: PlannedRun) -> float:
        """One sample's worst-case cost (the budget reserves it before the sample starts):
        the agent's, plus the simulated user's when the suite has one."""
        worst = worst_case_usd(run.suite, run.deployment) or 0.0
        if run.suite.needs_user_simulator and self.plan.user_simulator:
            worst += worst_case_usd(run.suite, self.plan.user_simulator[1]) or 0.0
        return worst

    def verdict(
        self, run: PlannedRun, rows: list[SampleRecord], results: list[UnitResult]
    ) -> Verdict:
        """The run's status by the rules of outcome.py, once all its units ended."""
        engine_failure = next((r.failure for r in results if r.failure and not r.died), None)
        died = "; ".join(r.failure for r in results if r.died and r.failure) or None
        budget = self.coordinator.budget
        stopped = self.flags.sweep_reason()
        if (
            budget is not None
            and budget.refused is not None
            and stopped in (None, budget.message())
        ):
            stopped = budget.run_message(
                self.coordinator.worst_of_run(run.run_id, self.worst_usd(run))
            )
        if self.request_path is not None:
            with contextlib.suppress(ServeError):
                self.request_path.sync()  # the proxy's last breaker event is in the ledger
        dep = run.deployment.id
        breaker = self.ledger.breaker_opened(dep) or self.coordinator.breaker(dep)
        verdict = final_status(
            run,
            len(rows),
            sum(r.status == "error" for r in rows),
            died or stopped,
            engine_failure,
            breaker=breaker,
            max_error_rate=self.plan.sweep.max_error_rate,
            interrupted=self.coordinator.interrupted,
        )
        if died and verdict.status == "complete":  # its last batch may be lost
            return replace(verdict, status="partial", rule="stopped", message=died)
        return verdict


def run_one(sw: Sweep, run: PlannedRun) -> RunOutcome:
    """Execute one run (all its shards) and close its run record."""
    attempt, started = uuid.uuid4().hex, datetime.now(UTC)
    plan, store, dep = sw.plan, sw.store, run.deployment

    def record(
        status: RunStatus, rows: list[SampleRecord], message: str | None, rule: StatusRule | None
    ) -> None:
        store.append_run(
            run_record(run, plan, attempt, started, status, sw.tally(run, rows), message,
                       datetime.now(UTC), raw, rule)
        )  # fmt: skip

    raw: str | None = None
    if not sw.flags.may_start(dep.id):
        why = sw.flags.reason(dep.id) or "stopped"
        rule: StatusRule = "breaker" if sw.coordinator.breaker(dep.id) else "stopped"
        if sw.coordinator.interrupted:
            status: RunStatus = "interrupted"
            rule = "interrupted"
        else:
            status = "partial"
        not_started = f"not started: {why}"
        record(status, [], not_started, rule)
        sw.reporter.run_finished(run, status, not_started)
        out = RunOutcome(run, status, 0, not_started, None, run.n_stored_error, run.n_done)
        out.rule = rule
        return out
    sw.reporter.run_started(run)
    raw = raw_path(sw.settings, plan, run)
    store.append_run(run_record(run, plan, attempt, started, "running", [], raw_path=raw))
    results: list[UnitResult] = []
    try:
        with contextlib.ExitStack() as stack:
            if sw.executor == "local":
                from harness.sweep.reach import reach

                endpoint = stack.enter_context(
                    reach(run.card, dep, sw.settings.raw_dir, sw.settings.cache_dir, sw.ledger,
                          canary=run.canary, path=sw.request_path, read_cache=plan.use_cache)
                )  # fmt: skip
                units = sw.units(run, True, endpoint)
            else:
                units = sw.units(run, False)
            results = sw.backend_for[dep.id].run_units(units)
    except (KeyboardInterrupt, SystemExit):
        record("interrupted", sw.coordinator.records.get(run.run_id, []), "interrupted",
               "interrupted")  # fmt: skip
        raise
    except BaseException as exc:
        rows = sw.coordinator.records.get(run.run_id, [])
        failure = str(exc) if isinstance(exc, GapbenchError) else f"{type(exc).__name__}: {exc}"
        record("failed", rows, failure, "engine-failed")
        if not isinstance(exc, GapbenchError):
            raise  # a bug: keep its traceback
        # A server that would not start, ...: this run failed; the others go on.
        sw.reporter.note(f"{run.card.id} x {run.suite.name}: {exc}")
        sw.reporter.run_finished(run, "failed", failure)
        out = RunOutcome(run, "failed", len(rows), failure, None)
        out.rule = "engine-failed"
        return out
    rows = sw.coordinator.records.get(run.run_id, [])
    mask_raw(sw, run)
    verdict = sw.verdict(run, rows, results)
    if verdict.rule == "engine-failed":
        sw.reporter.note(f"{run.card.id} x {run.suite.name}: {verdict.message}")
    record(verdict.status, rows, verdict.message, verdict.rule)
    sw.reporter.run_finished(run, verdict.status, verdict.message)
    costs = [r.cost_usd for r in rows if r.cost_usd is not None]
    out = RunOutcome(
        run, verdict.status, len(rows), verdict.message, sum(costs) if costs else None,
        verdict.n_error, verdict.n_stored,
    )  # fmt: skip
    out.rule = verdict.rule
    return out


def mask_raw(sw: Sweep, run: PlannedRun) -> None:
    """Secrets never stay in the run's raw engine files (lm-eval's JSON, inspect's .eval
    archives), whatever an engine wrote there: masked once every shard has ended."""
    from harness.secrets import mask_tree

    try:
        mask_tree(run_raw_dir(sw.settings.raw_dir, sw.plan.sweep.name, run))
    except OSError as exc:  # the rows are stored; `results --check` lists what is left
        sw.reporter.note(f"{run.card.id} x {run.suite.name}: raw files not checked: {exc}")


def run_group(sw: Sweep, runs: list[PlannedRun], out: dict[str, RunOutcome]) -> None:
    """Runs that go one after another (a managed server's), in their own thread."""
    for run in runs:
        out[run.run_id] = sw.with_served(run_one(sw, run))
