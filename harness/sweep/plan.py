"""Plan a sweep: resolve models and suites, compute stable run keys, subtract what is stored.

A plan is pure data: printing it (`gapbench run --dry-run`) spends nothing. A stored sample
counts as done whatever its status, unless the plan retries errors (`retry_errors`, as
`gapbench run --retry-errors` and nightly do): then a sample whose newest stored attempt is an
error is planned again, and the new attempt wins in every read.

The executor refreshes a plan's todo under the sweep's lock (`refresh`), so a plan made before
another process finished the same work does not repeat it.

Planning imports no engine and calls no model for work that is done (issue 14, fast start):
sample ids and engine versions come from harness.runners.suite_ids (data files, package
metadata, a cache of ids per suite), and only the deployments of runs that will call a model
are preflighted, after the stored samples (and the rows cache, sweep/rows_cache.py) are
subtracted. A rerun of a finished sweep is then a few store reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from harness._loading import field_path
from harness.errors import ConfigError, GapbenchError
from harness.models import Deployment, ModelCard, Registry
from harness.runners import suite_ids
from harness.store import Store
from harness.store.keys import sample_key, stable_hash
from harness.suites import SuiteRegistry, SuiteSpec
from harness.sweep.spec import SweepSpec

# Deployment fields that cannot change results (price, client concurrency, timeouts) stay out
# of the run key, so that re-pricing a deployment does not re-run it.
_NON_RESULT_FIELDS = {"pricing", "max_connections", "timeout_s", "max_retries", "api_key_env", "id"}


@dataclass(frozen=True)
class PlannedRun:
    run_id: str
    card: ModelCard
    deployment: Deployment
    suite: SuiteSpec
    engine_version: str
    sample_ids: tuple[str, ...]
    epochs: int
    todo: tuple[tuple[str, int], ...]  # (sample_id, epoch) to run: not stored, or retried
    n_retry: int = 0  # of todo: samples whose stored attempt errored (retry_errors only)
    n_stored_error: int = 0  # stored errored samples NOT planned again (retry_errors off)
    canary: bool = False  # a nightly canary run (harness.nightly): rows marked, cache not read
    n_cached: int = 0  # of todo: samples the rows cache holds (copied by execute, not run)

    @property
    def n_planned(self) -> int:
        return len(self.sample_ids) * self.epochs

    @property
    def n_done(self) -> int:
        """Stored samples this plan will not run again."""
        return self.n_planned - len(self.todo)

    @property
    def n_new(self) -> int:
        """Samples never stored before."""
        return len(self.todo) - self.n_retry

    @property
    def needs_engine(self) -> bool:
        """Something is left to run after the rows cache has served what it holds."""
        return len(self.todo) > self.n_cached

    @property
    def keys(self) -> tuple[str, ...]:
        """Every planned sample key, stored or not (the sweep's membership)."""
        return tuple(
            sample_key(self.run_id, sid, e)
            for sid in self.sample_ids
            for e in range(1, self.epochs + 1)
        )


@dataclass(frozen=True)
class Skipped:
    what: str  # "model-id" or "model-id x suite"
    reason: str


@dataclass(frozen=True)
class Plan:
    sweep: SweepSpec
    sweep_path: Path
    runs: tuple[PlannedRun, ...]
    skipped: tuple[Skipped, ...]
    user_simulator: tuple[ModelCard, Deployment] | None
    retry_errors: bool = False
    # Where execute() reads stored rows instead of running (sweep/rows_cache.py); None: it
    # reads none (`--no-cache`, or a plan made without a cache folder).
    rows_cache: Path | None = None
    # False (`--no-cache`): no stored answer is read, neither rows nor calls (new ones are
    # still stored).
    use_cache: bool = True

    @property
    def n_todo(self) -> int:
        return sum(len(r.todo) for r in self.runs)

    @property
    def n_cached(self) -> int:
        return sum(r.n_cached for r in self.runs)

    @property
    def n_retry(self) -> int:
        return sum(r.n_retry for r in self.runs)


def run_key(
    card: ModelCard,
    deployment: Deployment,
    suite: SuiteSpec,
    engine_version: str,
    user: Deployment | None,
) -> str:
    dep = deployment.model_dump(mode="json", exclude=_NON_RESULT_FIELDS)
    return stable_hash(
        {
            "card": card.model_dump(mode="json", exclude={"notes", "source", "aliases"}),
            "deployment": dep,
            "suite": suite.model_dump(mode="json", exclude={"smoke", "description", "citation"}),
            "engine": suite.engine,
            "engine_version": engine_version,
            "user": user.model_dump(mode="json", exclude=_NON_RESULT_FIELDS) if user else None,
        }
    )


def _resolve_models(
    sweep: SweepSpec, path: Path, registry: Registry
) -> list[tuple[ModelCard, Deployment]]:
    out = []
    for i, ref in enumerate(sweep.models):
        try:
            out.append(registry.resolve(ref))
        except KeyError as exc:
            raise ConfigError(path, field_path(("models", i)), str(exc.args[0])) from None
    return out


def _resolve_suites(sweep: SweepSpec, path: Path, suites: SuiteRegistry) -> list[SuiteSpec]:
    out = []
    for i, name in enumerate(sweep.suites):
        try:
            out.append(suites.get(name))
        except KeyError as exc:
            raise ConfigError(path, field_path(("suites", i)), str(exc.args[0])) from None
    return out


def missing_requirement(suite: SuiteSpec) -> str | None:
    import importlib.util

    for module in suite.requires:
        if importlib.util.find_spec(module) is None:
            return f"needs Python module '{module}' (not installed)"
    return None


def select_samples(suite: SuiteSpec, all_ids: list[str], sweep: SweepSpec) -> tuple[str, ...]:
    known = set(all_ids)
    if sweep.samples is not None:
        ids = [s for s in sweep.samples if s in known]
    elif sweep.smoke:
        ids = [s for s in suite.smoke if s in known] or all_ids[:2]
    else:
        ids = all_ids
    return tuple(sweep.apply_limit(ids))


def stored_statuses(store: Store, run_ids: Iterable[str]) -> dict[str, str]:
    """sample_key -> status of its newest stored attempt, for the given runs."""
    ids = sorted(set(run_ids))
    return dict(store.sample_status(ids)) if ids else {}


def _todo(
    run_id: str,
    ids: tuple[str, ...],
    epochs: int,
    statuses: dict[str, str],
    retry_errors: bool,
) -> tuple[tuple[tuple[str, int], ...], int, int]:
    """(todo, n_retry, n_stored_error) of one run, given the stored statuses."""
    todo: list[tuple[str, int]] = []
    n_retry = n_kept_error = 0
    for sid in ids:
        for epoch in range(1, epochs + 1):
            status = statuses.get(sample_key(run_id, sid, epoch))
            if status is None:
                todo.append((sid, epoch))
            elif status == "error" and retry_errors:
                todo.append((sid, epoch))
                n_retry += 1
            elif status == "error":
                n_kept_error += 1
    return tuple(todo), n_retry, n_kept_error


def refresh(plan: Plan, store: Store) -> Plan:
    """The same plan with each run's todo recomputed from what is stored now (n_cached: 0;
    `with_cached` counts it)."""
    statuses = stored_statuses(store, (r.run_id for r in plan.runs))
    runs = []
    for run in plan.runs:
        todo, n_retry, n_err = _todo(
            run.run_id, run.sample_ids, run.epochs, statuses, plan.retry_errors
        )
        runs.append(replace(run, todo=todo, n_retry=n_retry, n_stored_error=n_err, n_cached=0))
    return replace(plan, runs=tuple(runs))


def with_cached(plan: Plan, store: Store) -> Plan:
    """The plan with each run's n_cached: the todo samples its rows cache can serve (keys
    never stored only: a stored error is retried by the engine, as before)."""
    if plan.rows_cache is None or not plan.n_todo:
        return plan
    from harness.sweep.rows_cache import RowsCache

    retried = [r.run_id for r in plan.runs if r.n_retry and not r.canary]
    stored = stored_statuses(store, retried) if retried else {}
    wanted = {
        r.run_id: [k for k in todo_keys(r) if k not in stored]
        for r in plan.runs
        if r.todo and not r.canary
    }
    available = RowsCache(plan.rows_cache).available(plan.runs, wanted)
    if not available:
        return plan
    runs = tuple(replace(r, n_cached=available.get(r.run_id, 0)) for r in plan.runs)
    return replace(plan, runs=runs)


def todo_keys(run: PlannedRun) -> list[str]:
    return [sample_key(run.run_id, sid, epoch) for sid, epoch in run.todo]


def plan_sweep(
    sweep: SweepSpec,
    sweep_path: Path,
    registry: Registry,
    suites: SuiteRegistry,
    store: Store,
    *,
    retry_errors: bool = False,
    dry_run: bool = False,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    preflight: bool = True,
) -> Plan:
    """The runs of `sweep` and what each still has to do. retry_errors: plan stored samples
    whose newest attempt errored again (a transient outage does not stay in the store).
    dry_run: preflight problems become skipped lines instead of errors (the plan is shown).
    cache_dir: settings.cache_dir, where suites' sample ids and the rows cache are kept
    (None: neither is used); use_cache False: the rows cache is not read (`--no-cache`).
    preflight False: no deployment is checked (keys, endpoints) and none is skipped for it:
    the whole plan, as `gapbench plan` prices it before keys are set (never executed)."""
    models = _resolve_models(sweep, sweep_path, registry)
    specs = _resolve_suites(sweep, sweep_path, suites)
    user: tuple[ModelCard, Deployment] | None = None
    if sweep.user_simulator:
        try:
            user = registry.resolve(sweep.user_simulator)
        except KeyError as exc:
            raise ConfigError(sweep_path, "user_simulator", str(exc.args[0])) from None

    skipped: list[Skipped] = []
    runs: list[PlannedRun] = []
    ids_cache: dict[str, list[str] | str] = {}
    for card, dep in models:
        for suite in specs:
            what = f"{card.id} x {suite.name}"
            problem = missing_requirement(suite)
            if problem:
                skipped.append(Skipped(what, problem))
                continue
            if suite.needs_user_simulator and user is None:
                skipped.append(
                    Skipped(what, "suite needs a user simulator: set user_simulator in the sweep")
                )
                continue
            if suite.name not in ids_cache:
                try:
                    ids_cache[suite.name] = suite_ids.sample_ids(suite, cache_dir)
                except ConfigError:  # the suite itself is wrong: one line naming its file, exit 2
                    raise
                except GapbenchError as exc:  # e.g. an lm-eval registry task whose data is offline
                    ids_cache[suite.name] = str(exc)
            all_ids = ids_cache[suite.name]
            if isinstance(all_ids, str):
                skipped.append(Skipped(what, all_ids))
                continue
            engine_version = suite_ids.engine_version(suite.engine)
            needs_user = user[1] if (user and suite.needs_user_simulator) else None
            rid = run_key(card, dep, suite, engine_version, needs_user)
            ids = select_samples(suite, all_ids, sweep)
            runs.append(PlannedRun(rid, card, dep, suite, engine_version, ids, sweep.epochs, ()))
    from harness.sweep.rows_cache import rows_root  # it imports this module

    rows = rows_root(cache_dir) if cache_dir is not None and use_cache else None
    plan = Plan(sweep, sweep_path, tuple(runs), tuple(skipped), user, retry_errors, rows, use_cache)
    plan = with_cached(refresh(plan, store), store)
    return _preflighted(plan, models, dry_run) if preflight else plan


def _preflighted(plan: Plan, models: list[tuple[ModelCard, Deployment]], dry_run: bool) -> Plan:
    """The plan without the runs whose deployment failed its preflight.

    Before any spend: keys present (a closed model without one is skipped with a line),
    endpoints reachable and models known (otherwise PreflightError, exit 2). Only the
    deployments of runs that will call a model are checked: a finished run needs no key,
    no endpoint and no SDK import (issue 14, fast start).
    """
    working = [r for r in plan.runs if r.needs_engine]
    deployments = {r.deployment.id for r in working}
    checks = [(card, dep) for card, dep in models if dep.id in deployments]
    user = plan.user_simulator
    if user and any(r.suite.needs_user_simulator for r in working):
        checks.append(user)
    if not checks:
        return plan
    from harness.sweep.preflight import preflight  # httpx and the serve layer: only when used

    # "Nothing runnable" is an error only when nothing else is in the plan either.
    report = preflight(checks, strict=not dry_run, require_runnable=len(working) == len(plan.runs))
    lost = {i.deployment.id for i in report.skipped}
    skipped = [
        Skipped(i.card.id, f"{i.reason} (deployment {i.deployment.id})") for i in report.skipped
    ]
    if user and user[1].id in lost:
        user = None
    runs: list[PlannedRun] = []
    for run in plan.runs:
        if run.deployment.id in lost:
            continue  # its model's skip line says why
        if run.needs_engine and run.suite.needs_user_simulator and user is None:
            what = f"{run.card.id} x {run.suite.name}"
            skipped.append(
                Skipped(what, "suite needs a user simulator: set user_simulator in the sweep")
            )
            continue
        runs.append(run)
    return replace(plan, runs=tuple(runs), skipped=(*skipped, *plan.skipped), user_simulator=user)
