"""Plan a sweep: resolve models and suites, compute stable run keys, subtract what is stored.

A plan is pure data: printing it (`gapbench run --dry-run`) spends nothing. A stored sample
counts as done whatever its status, unless the plan retries errors (`retry_errors`, as
`gapbench run --retry-errors` and nightly do): then a sample whose newest stored attempt is an
error is planned again, and the new attempt wins in every read.

The executor refreshes a plan's todo under the sweep's lock (`refresh`), so a plan made before
another process finished the same work does not repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from harness._loading import field_path
from harness.errors import ConfigError, GapbenchError
from harness.models import Deployment, ModelCard, Registry
from harness.runners import get_runner
from harness.store import Store
from harness.store.keys import sample_key, stable_hash
from harness.suites import SuiteRegistry, SuiteSpec
from harness.sweep.preflight import preflight
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

    @property
    def n_todo(self) -> int:
        return sum(len(r.todo) for r in self.runs)

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
            "card": card.model_dump(mode="json", exclude={"notes", "source"}),
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
    """The same plan with each run's todo recomputed from what is stored now."""
    statuses = stored_statuses(store, (r.run_id for r in plan.runs))
    runs = []
    for run in plan.runs:
        todo, n_retry, n_err = _todo(
            run.run_id, run.sample_ids, run.epochs, statuses, plan.retry_errors
        )
        runs.append(replace(run, todo=todo, n_retry=n_retry, n_stored_error=n_err))
    return replace(plan, runs=tuple(runs))


def plan_sweep(
    sweep: SweepSpec,
    sweep_path: Path,
    registry: Registry,
    suites: SuiteRegistry,
    store: Store,
    *,
    retry_errors: bool = False,
    dry_run: bool = False,
) -> Plan:
    """The runs of `sweep` and what each still has to do. retry_errors: plan stored samples
    whose newest attempt errored again (a transient outage does not stay in the store).
    dry_run: preflight problems become skipped lines instead of errors (the plan is shown)."""
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
    # Before any spend: keys present (a closed model without one is skipped with a line),
    # endpoints reachable and models known (otherwise PreflightError, exit 2).
    checks = [*models, *([user] if user else [])]
    report = preflight(checks, strict=not dry_run)
    for item in report.skipped:
        skipped.append(Skipped(item.card.id, f"{item.reason} (deployment {item.deployment.id})"))
    if user and user[1].id in {i.deployment.id for i in report.skipped}:
        user = None
    runnable = {dep.id for _, dep in report.runnable}
    for card, dep in models:
        if dep.id not in runnable:
            continue
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
            runner = get_runner(suite.engine)
            if suite.name not in ids_cache:
                try:
                    ids_cache[suite.name] = runner.sample_ids(suite)
                except GapbenchError as exc:  # e.g. an lm-eval registry task whose data is offline
                    ids_cache[suite.name] = str(exc)
            all_ids = ids_cache[suite.name]
            if isinstance(all_ids, str):
                skipped.append(Skipped(what, all_ids))
                continue
            engine_version = runner.engine_version()
            needs_user = user[1] if (user and suite.needs_user_simulator) else None
            rid = run_key(card, dep, suite, engine_version, needs_user)
            ids = select_samples(suite, all_ids, sweep)
            runs.append(PlannedRun(rid, card, dep, suite, engine_version, ids, sweep.epochs, ()))
    plan = Plan(sweep, sweep_path, tuple(runs), tuple(skipped), user, retry_errors)
    return refresh(plan, store)
