"""Execute a plan: runs side by side per deployment, shards over processes, samples streamed.

- One process per (results folder, sweep): the sweep's lock (lock.py) is held throughout; under
  it the plan is re-read from the store (`refresh`), so a second process that waited for the
  lock runs only what the first left, and attempts a killed process left "running" are closed
  as "interrupted".
- Runs proceed side by side, a thread each, within their deployment's concurrency limit (the
  runs of one API deployment split it). A managed local server's runs go one after another, so
  it stays one per deployment (restarted between suites: llama.cpp's tool-call handler can run
  on after a client gave up).
- A run large enough is split into shards (units.py), each a full engine in its own worker
  process, all writing to the same store; each shard gets its share of the deployment's
  concurrency, and every request goes through the deployment's one request path, whose
  limiter holds the limit across them.
- No barriers: each unit is one engine invocation whose finished samples stream out through
  the engines' hooks and are stored in small atomic batches (writer.py). The budget and the
  deployments' circuit breakers are checked as samples finish; a stop keeps new samples from
  starting and lets those in flight finish (they are paid for already).
- `executor="ray"`: the same units run as Ray tasks (ray_executor.py), each reaching its
  deployment on the worker that runs it.
- Nothing to do, nothing started: a run with no todo starts no proxy, server or engine. A
  todo sample the rows cache holds (rows_cache.py: the same run key, finished elsewhere) is
  copied from it instead of run; the finished rows of runs that ran are kept there after.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from datetime import UTC, datetime

from harness._types import SampleRecord
from harness.config import Settings
from harness.errors import StoreError
from harness.models import Pricing
from harness.runners.base import UserSimulator
from harness.secrets import register_key_names
from harness.serve.proxy import Ledger, RequestPath
from harness.serve.proxy.ledger import Usage, call_cost
from harness.store import Store
from harness.sweep.budget import Budget
from harness.sweep.coordinator import Coordinator, StopFlags
from harness.sweep.lock import close_interrupted, sweep_lock
from harness.sweep.outcome import RunOutcome, SweepOutcome, final_status
from harness.sweep.plan import Plan, PlannedRun, refresh
from harness.sweep.rows_cache import RowsCache, rows_root
from harness.sweep.run_one import Backend, Executor, Reporter, SilentReporter, Sweep, run_group
from harness.sweep.run_records import Tally, run_record

_POLL_S = 0.2  # how often the coordinator looks at the breakers with no sample finishing

__all__ = ["Executor", "Reporter", "RunOutcome", "SilentReporter", "SweepOutcome", "execute"]


def _pricing(plan: Plan) -> dict[str, Pricing | None]:
    pricing = {r.deployment.id: r.deployment.pricing for r in plan.runs}
    if plan.user_simulator:
        pricing[plan.user_simulator[1].id] = plan.user_simulator[1].pricing
    return pricing


def _unknown_cost(plan: Plan, ledger: Ledger) -> int:
    """Answers of a deployment priced per token that reported no token usage: their cost is
    unknown, so it is in no spend and no budget can bound it (the money line says so)."""
    priced = {d for d, p in _pricing(plan).items() if p is not None and p.per_token}
    return sum(
        c.outcome == "ok" and c.cost_usd is None and c.deployment_id in priced for c in ledger.calls
    )


def _cached_value(plan: Plan, ledger: Ledger) -> float:
    """List price of the answers the cache served (what they would have cost upstream)."""
    pricing = _pricing(plan)
    total = 0.0
    for call in ledger.calls:
        if call.outcome != "cache_hit":
            continue
        usage = Usage(call.input_tokens, call.output_tokens, call.cached_tokens, call.snapshot)
        total += call_cost(pricing.get(call.deployment_id), usage) or 0.0
    return total


def _add_members(store: Store, plan: Plan) -> None:
    """Every planned key, stored or not, belongs to this sweep (reads by sweep see them all)."""
    keys = list(dict.fromkeys(k for r in plan.runs for k in r.keys))
    if not keys:
        return
    # Asked in DuckDB first: on a rerun every key is known, and building the Arrow array that
    # add_sweep_members compares makes pyarrow import pandas (0.2 s of a 1 s rerun).
    known = store.query(
        "SELECT count(DISTINCT sample_key) AS n FROM membership "
        "WHERE sweep_id = ? AND sample_key IN (SELECT unnest(?))",
        [plan.sweep.name, keys],
    )
    if known.column("n")[0].as_py() < len(keys):
        store.add_sweep_members(plan.sweep.name, keys)


def execute(
    plan: Plan,
    settings: Settings,
    *,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    executor: Executor = "local",
    address: str | None = None,
    workers: int | None = None,
    lock_wait_s: float = 0.0,
) -> SweepOutcome:
    """Run what the plan has to do; return what happened (`exit_code`, `summary_lines()`).

    budget_usd: overrides the sweep's budget_usd. executor: "local" (threads per deployment,
    worker processes per shard) or "ray" (`address` of a cluster; None starts a local one).
    workers: processes to use (default: the number of cores). lock_wait_s: how long to wait
    for another process running this sweep on this results folder (0: exit LOCKED at once).
    """
    reporter = reporter or SilentReporter()
    # The deployments' key variables: their values are masked wherever bytes are stored or
    # logged, in this process and in those it starts (the request path, shard workers).
    register_key_names(r.deployment.key_env for r in plan.runs)
    if plan.user_simulator:
        register_key_names([plan.user_simulator[1].key_env])
    store = Store(settings.results_dir)
    with sweep_lock(settings.results_dir, plan.sweep.name, lock_wait_s):
        closed = close_interrupted(store, plan.sweep.name)
        plan = refresh(plan, store)
        _add_members(store, plan)
        served = _serve_cached(plan, store)
        if served:
            plan = refresh(plan, store)
        outcome = SweepOutcome(plan, interrupted_closed=len(closed))
        for record in closed:
            reporter.note(
                f"closed an interrupted attempt of {record.model_id} x {record.suite} "
                f"(started {record.started_at:%Y-%m-%d %H:%M} UTC)"
            )
        reporter.start(plan)
        ledger = Ledger()
        done: dict[str, RunOutcome] = {}
        for run in plan.runs:
            n_served = served[run.run_id][0] if run.run_id in served else 0
            if n_served:
                reporter.note(
                    f"{run.card.id} x {run.suite.name}: {n_served} samples copied from the rows "
                    f"cache ({plan.rows_cache}); --no-cache runs them again"
                )
            if not run.todo:
                done[run.run_id] = _finished(run, plan, store, settings, served.get(run.run_id))
        todo_runs = [r for r in plan.runs if r.todo]
        limit = budget_usd if budget_usd is not None else plan.sweep.budget_usd
        budget = Budget(limit, ledger) if limit is not None else None
        outcome.budget_usd = limit
        if todo_runs:
            try:
                _execute_runs(plan, settings, store, ledger, todo_runs, done, reporter,
                              budget, executor, address, workers, served)  # fmt: skip
            finally:
                if ledger.calls:  # interrupted too: the calls were paid for
                    _save_ledger(settings, plan, ledger)
        outcome.budget_stop = budget.refused if budget is not None else None
        outcome.runs = [done[r.run_id] for r in plan.runs if r.run_id in done]
        # Each batch wrote its own small file (crash safety); merge them so that months of
        # nightly runs stay quick to query. Atomic, and safe beside another writer.
        if any(r.n_written for r in outcome.runs):
            store.compact()
        ran = [r.run for r in outcome.runs if r.n_written > r.n_served and not r.run.canary]
        if ran:
            _keep_rows(settings, store, ran, reporter)
        outcome.upstream_calls = ledger.n_upstream_calls
        outcome.cache_hits = ledger.n_cache_hits
        outcome.spent_usd = ledger.spent_usd
        outcome.unknown_cost_calls = _unknown_cost(plan, ledger)
        # copied rows are answers not paid for either
        outcome.cached_value_usd = _cached_value(plan, ledger) + sum(
            t.cost_usd or 0.0 for _, t in served.values()
        )
        outcome.cost_usd = sum(r.cost_usd or 0.0 for r in outcome.runs)
        return outcome


def _save_ledger(settings: Settings, plan: Plan, ledger: Ledger) -> None:
    """Every upstream call with its tokens, cost, snapshot name and outcome (no headers, so
    no keys; masked on save): the audit trail behind the run's cost."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    ledger.save(settings.raw_dir / plan.sweep.name / f"ledger-{stamp}.json")


def _serve_cached(plan: Plan, store: Store) -> dict[str, tuple[int, Tally]]:
    """Copy what the rows cache holds of each run's missing samples into the results folder;
    run_id -> (rows copied, their tally)."""
    if plan.rows_cache is None or not plan.n_todo:
        return {}
    cache = RowsCache(plan.rows_cache)
    out: dict[str, tuple[int, Tally]] = {}
    for run in plan.runs:
        n, rows = cache.serve(run, plan.sweep.name, store)
        if n:
            out[run.run_id] = (n, Tally.of_table(rows))
    return out


def _finished(
    run: PlannedRun,
    plan: Plan,
    store: Store,
    settings: Settings,
    served: tuple[int, Tally] | None,
) -> RunOutcome:
    """The outcome of a run with nothing left to run: done before, or copied just now from
    the rows cache (then it gets a run record too, as if it had run). Its status follows the
    same rules on what is stored (a stored run above the error-rate threshold is partial)."""
    v = final_status(run, 0, 0, None, max_error_rate=plan.sweep.max_error_rate)
    if served is None:
        out = RunOutcome(run, v.status, 0, v.message or "already complete", None, v.n_error,
                         v.n_stored, rule=v.rule)  # fmt: skip
        return out
    n, tally = served
    message = v.message or f"{n} samples copied from the rows cache"
    now = datetime.now(UTC)
    store.append_run(
        run_record(run, plan, uuid.uuid4().hex, now, v.status, tally, message, now, rule=v.rule)
    )
    return RunOutcome(run, v.status, n, message, tally.cost_usd, v.n_error, v.n_stored, n,
                      rule=v.rule)  # fmt: skip


def _keep_rows(
    settings: Settings, store: Store, runs: list[PlannedRun], reporter: Reporter
) -> None:
    """Keep the runs' finished rows in the rows cache; a cache that cannot be written costs
    a later fresh folder its copy, never this sweep."""
    try:
        RowsCache(rows_root(settings.cache_dir)).keep(store, runs)
    except (StoreError, OSError) as exc:
        reporter.note(f"rows cache not updated: {exc}")


def _execute_runs(
    plan: Plan,
    settings: Settings,
    store: Store,
    ledger: Ledger,
    runs: list[PlannedRun],
    done: dict[str, RunOutcome],
    reporter: Reporter,
    budget: Budget | None,
    executor: Executor,
    address: str | None,
    workers: int | None,
    served: dict[str, tuple[int, Tally]],
) -> None:
    # A managed local server's runs go one after another (one server per deployment, fresh per
    # suite); an API deployment's runs go side by side, splitting its concurrency limit.
    groups: dict[str, list[PlannedRun]] = {}
    side_by_side: dict[str, int] = {}
    for run in runs:
        dep = run.deployment
        groups.setdefault(dep.id if dep.managed else run.run_id, []).append(run)
        side_by_side[dep.id] = 1 if dep.managed else side_by_side.get(dep.id, 0) + 1
    deployment_ids = {r.deployment.id for r in runs}
    path: RequestPath | None = None
    with contextlib.ExitStack() as stack:
        if executor == "ray":
            from harness.sweep.ray_executor import RayCluster

            cluster = stack.enter_context(RayCluster(address))
            mp: object = cluster
            n_workers = workers or cluster.cpus()
            # path stays None: each unit starts its own, on the node that runs it
        else:
            from harness.sweep.local import mp_context

            mp = mp_context({r.suite.engine for r in runs})
            n_workers = workers or os.cpu_count() or 1
            # One proxy process for every deployment: one concurrency limit per deployment
            # across its shards and runs, one place for the cache, retries and breakers.
            path = stack.enter_context(RequestPath(settings.cache_dir / "requests", ledger))
            if budget is not None:
                budget.settle = path.sync  # a released sample's cost is counted before it goes
        flags = StopFlags(mp, deployment_ids)
        lock = threading.Lock()

        def on_sample(record: SampleRecord) -> None:
            with lock:
                reporter.sample_done(record)

        coordinator = Coordinator(flags, ledger, budget, on_sample, reporter.note)
        sw = Sweep(plan, settings, store, ledger, coordinator, flags, reporter, executor,
                    n_workers, len(groups), {}, request_path=path,
                    side_by_side=side_by_side, served=served)  # fmt: skip
        probe = [u for dep_runs in groups.values() for r in dep_runs for u in sw.units(r, False)]
        inline = executor == "local" and len(groups) == 1 and all(u.n_shards == 1 for u in probe)
        if executor == "local" and not inline:
            from harness.sweep.local import warm_up

            warm_up(mp)  # type: ignore[arg-type]
        for dep_id in deployment_ids:
            sw.backend_for[dep_id] = _backend(executor, inline, coordinator, flags, mp)
        if (
            executor == "local"
            and plan.user_simulator
            and any(r.suite.needs_user_simulator for r in runs)
        ):
            # The simulated user gets its own server: sharing one single-slot llama.cpp
            # server with the agent would re-process the long prompt on every turn.
            from harness.sweep.reach import reach

            card, dep = plan.user_simulator
            user_ep = stack.enter_context(
                reach(card, dep, settings.raw_dir, settings.cache_dir, ledger, path=path,
                      read_cache=plan.use_cache)
            )  # fmt: skip
            sw.user = UserSimulator(card=card, endpoint=user_ep)
        _drive(sw, groups, done)


def _backend(
    executor: Executor, inline: bool, coordinator: Coordinator, flags: StopFlags, mp: object
) -> Backend:
    if executor == "ray":
        from harness.sweep.ray_executor import RayBackend

        return RayBackend(coordinator, mp)  # type: ignore[arg-type]
    from harness.sweep.local import InlineBackend, ProcessBackend

    if inline:
        return InlineBackend(coordinator)
    return ProcessBackend(coordinator, flags, mp)  # type: ignore[arg-type]


def _drive(sw: Sweep, groups: dict[str, list[PlannedRun]], done: dict[str, RunOutcome]) -> None:
    """A thread per group of runs; this thread watches the breakers until they all end."""
    errors: list[BaseException] = []

    def target(runs: list[PlannedRun]) -> None:
        try:
            run_group(sw, runs, done)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=target, args=(runs,), name=f"runs-{key}", daemon=True)
        for key, runs in groups.items()
    ]
    for t in threads:
        t.start()
    try:
        while any(t.is_alive() for t in threads):
            sw.coordinator.check()
            for t in threads:
                t.join(timeout=_POLL_S / len(threads))
    except KeyboardInterrupt:
        sw.coordinator.interrupt()
        for backend in sw.backend_for.values():
            backend.stop()
        deadline = time.monotonic() + 10
        for t in threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        raise
    if errors:
        raise errors[0]
