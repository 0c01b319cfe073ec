"""Plan and run sweeps; read the samples they stored.

import gapbench
res = gapbench.evaluate(models=["smollm2-135m-instruct"], suites=["ladder_standard"],
                        limit=6, results_dir="results")
res.runs      # one row per run: status, score, 95% CI
res.samples   # one row per (run, sample, epoch)
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import ValidationError

from harness._loading import validation_to_config_error
from harness.api.models import Model
from harness.api.results import Results, results_of_plan
from harness.api.workspace import Workspace, load_sweep_ref, workspace
from harness.errors import UserError
from harness.sweep.plan import Plan, plan_sweep
from harness.sweep.spec import SweepSpec

if TYPE_CHECKING:
    import pandas as pd

    from harness.sweep.execute import Reporter, SweepOutcome
    from harness.sweep.pricing import PlanEstimate

SweepRef = str | Path | SweepSpec


class GapbenchWarning(UserWarning):
    """Something a run can go on with but its user should know (e.g. a stock llama.cpp server)."""


def _ws(ws: Workspace | None, results_dir: str | Path | None) -> Workspace:
    if ws is not None and results_dir is not None:
        return workspace(ws.settings, results_dir=results_dir)
    return ws or workspace(results_dir=results_dir)


def plan(
    sweep_ref: SweepRef,
    *,
    ws: Workspace | None = None,
    smoke: bool | None = None,
    limit: int | str | tuple[int, int] | None = None,
    epochs: int | None = None,
    samples: Sequence[str] | None = None,
    concurrency: int | None = None,
    user_simulator: str | None = None,
    shards: int | None = None,
    write_batch: int | None = None,
    max_error_rate: float | None = None,
    budget_usd: float | None = None,
    timeout_s: float | None = None,
    retry_errors: bool = False,
    dry_run: bool = False,
    results_dir: str | Path | None = None,
    source: Path | None = None,
    use_cache: bool = True,
    check_endpoints: bool = True,
) -> Plan:
    """What a sweep would run: per run, the samples planned, already stored and to do.

    sweep_ref: a SweepSpec built in code, a YAML path, or a name in sweeps/ ("demo").
    smoke, limit, epochs, samples, concurrency, user_simulator, shards, write_batch,
    max_error_rate, budget_usd override the sweep's fields of the same names, with the same
    bounds (limit: N, "A-B" or (A, B), 1-based inclusive; user_simulator: a model id, alias
    or deployment id). timeout_s: the per-call timeout of every deployment (not a result
    fact: it is not in run keys). retry_errors: stored errored samples are planned again.
    dry_run: endpoint problems become skipped lines instead of errors (nothing is spent
    either way: planning never calls a model). source: what names a SweepSpec in error
    messages (default "sweep '<name>'"). use_cache: False reads no stored answer when
    executed (neither the rows cache nor the call cache; `gapbench run --no-cache`); True
    copies a missing sample's finished row from the rows cache when a run with the same run
    key stored it (README: Results). check_endpoints False: no key or endpoint is checked
    and no model is skipped for one (the whole sweep, to price with `estimate` before keys
    are set; such a plan is for looking at, not for running). `estimate(plan)` prices it.
    """
    ws = _ws(ws, results_dir)
    if timeout_s is not None:
        ws = replace(ws, registry=ws.registry.with_settings(timeout_s=_timeout(timeout_s)))
    sweep, path = load_sweep_ref(sweep_ref, ws)
    if source is not None:
        path = source
    sweep = sweep.with_options(
        smoke=smoke,
        limit=limit,
        epochs=epochs,
        samples=list(samples) if samples is not None else None,
        concurrency=concurrency,
        user_simulator=user_simulator,
        shards=shards,
        write_batch=write_batch,
        max_error_rate=max_error_rate,
        budget_usd=budget_usd,
    )
    return plan_sweep(
        sweep,
        path,
        ws.registry,
        ws.suites,
        ws.store,
        retry_errors=retry_errors,
        dry_run=dry_run,
        cache_dir=ws.settings.cache_dir,
        use_cache=use_cache,
        preflight=check_endpoints,
    )


def _timeout(value: float) -> float:
    """A timeout argument checked with the deployment field's own bounds (one line naming it)."""
    from harness._loading import check_value
    from harness.models import Deployment

    base = {"id": "x", "model": "x", "provider": "openai", "api_model": "x"}
    try:
        return float(check_value(Deployment, base, "timeout_s", value))
    except UserError as exc:
        raise UserError(f"timeout_s: {str(exc).split(': ', 1)[-1]}") from None


def estimate(the_plan: Plan, *, ws: Workspace | None = None) -> PlanEstimate:
    """What a plan will cost before it runs: per run and per deployment, estimated input and
    output tokens, dollars and wall time, each saying where its numbers came from (token
    profiles measured on stored runs, else declared in the suite's suite.yaml; the registry's
    prices; the deployment's concurrency). Spends nothing, calls no model.

        the_plan = gapbench.plan("frontier")
        gapbench.estimate(the_plan).total_cost_usd
    """
    from harness.sweep.pricing import estimate_plan

    ws = ws or workspace()
    return estimate_plan(the_plan, ws.store)


def skipped_warnings(the_plan: Plan) -> list[str]:
    """One line per model or run the plan leaves out, and why (e.g. a closed model whose API
    key is not set): the API warns with these (GapbenchWarning) instead of dropping silently."""
    return [f"skipped {s.what}: {s.reason}" for s in the_plan.skipped]


def plan_warnings(the_plan: Plan) -> list[str]:
    """Lines to show before a run starts: a user's own stock llama-cpp-python server used for
    agentic suites (it ignores max_tokens inside tool calls; `gapbench serve` is the fix)."""
    out: list[str] = []
    seen: set[str] = set()
    for run in the_plan.runs:
        dep = run.deployment
        if run.suite.kind != "agentic" or dep.managed or dep.id in seen:
            continue
        if not run.needs_engine:  # nothing will be sent to it: no request either
            continue
        seen.add(dep.id)
        # imported here: httpx and the serve layer, for a deployment that will be asked
        from harness.sweep.preflight import stock_llama_cpp_warning

        line = stock_llama_cpp_warning(run.card, dep)
        if line:
            out.append(line)
    return out


def run_sweep(
    sweep_ref: SweepRef,
    *,
    ws: Workspace | None = None,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    smoke: bool | None = None,
    limit: int | str | tuple[int, int] | None = None,
    epochs: int | None = None,
    samples: Sequence[str] | None = None,
    concurrency: int | None = None,
    user_simulator: str | None = None,
    shards: int | None = None,
    write_batch: int | None = None,
    max_error_rate: float | None = None,
    timeout_s: float | None = None,
    retry_errors: bool = False,
    results_dir: str | Path | None = None,
    executor: Literal["local", "ray"] = "local",
    address: str | None = None,
    workers: int | None = None,
    lock_wait_s: float = 0.0,
    use_cache: bool = True,
) -> SweepOutcome:
    """Plan and execute a sweep; returns the executor's SweepOutcome (see `run` for Results).

    Resumes: only samples not yet stored run (plus errored ones with retry_errors).
    budget_usd: stop starting samples past this projected spend (overrides the sweep's).
    The sweep-field overrides and timeout_s are those of `plan`.
    executor: "local" worker processes (workers, default the number of cores) or "ray"
    (address of a cluster, default a local one). lock_wait_s: how long to wait for another
    process running the same sweep on the same results folder (default: raise at once).
    use_cache: False reads no stored answer (rows cache, call cache); see `plan`.
    Warns (GapbenchWarning) once per model or run left out of the plan, saying why.
    """
    if budget_usd is not None:
        budget_usd = SweepSpec.check("budget_usd", budget_usd)
    ws = _ws(ws, results_dir)
    # The sweep's lock before planning: another process on it refuses at once (SweepLocked),
    # before the preflight asks any endpoint; execute() takes it again (re-entrant).
    from harness.sweep.lock import sweep_lock

    name = load_sweep_ref(sweep_ref, ws)[0].name
    with sweep_lock(ws.settings.results_dir, name, lock_wait_s):
        return _plan_and_execute(
            sweep_ref, ws, reporter, budget_usd, smoke, limit, epochs, samples, concurrency,
            user_simulator, shards, write_batch, max_error_rate, timeout_s, retry_errors,
            executor, address, workers, use_cache,
        )  # fmt: skip


def _plan_and_execute(
    sweep_ref: SweepRef, ws: Workspace, reporter: Reporter | None, budget_usd: float | None,
    smoke: bool | None, limit: int | str | tuple[int, int] | None, epochs: int | None,
    samples: Sequence[str] | None, concurrency: int | None, user_simulator: str | None,
    shards: int | None, write_batch: int | None, max_error_rate: float | None,
    timeout_s: float | None, retry_errors: bool, executor: Literal["local", "ray"],
    address: str | None, workers: int | None, use_cache: bool,
) -> SweepOutcome:  # fmt: skip
    from harness.sweep.execute import execute

    the_plan = plan(
        sweep_ref,
        ws=ws,
        smoke=smoke,
        limit=limit,
        epochs=epochs,
        samples=samples,
        concurrency=concurrency,
        user_simulator=user_simulator,
        shards=shards,
        write_batch=write_batch,
        max_error_rate=max_error_rate,
        budget_usd=budget_usd,
        timeout_s=timeout_s,
        retry_errors=retry_errors,
        use_cache=use_cache,
    )
    for line in skipped_warnings(the_plan) + plan_warnings(the_plan):
        warnings.warn(line, GapbenchWarning, stacklevel=3)
    return execute(
        the_plan,
        ws.settings,
        reporter=reporter,
        budget_usd=budget_usd,
        executor=executor,
        address=address,
        workers=workers,
    )


def run(
    sweep: SweepRef,
    *,
    results_dir: str | Path | None = None,
    ws: Workspace | None = None,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    smoke: bool | None = None,
    limit: int | str | tuple[int, int] | None = None,
    epochs: int | None = None,
    samples: Sequence[str] | None = None,
    concurrency: int | None = None,
    user_simulator: str | None = None,
    shards: int | None = None,
    write_batch: int | None = None,
    max_error_rate: float | None = None,
    timeout_s: float | None = None,
    retry_errors: bool = False,
    executor: Literal["local", "ray"] = "local",
    workers: int | None = None,
    use_cache: bool = True,
) -> Results:
    """Run a sweep (a SweepSpec built in code, a YAML path or a name in sweeps/) and return
    its Results: `.runs` (status, score and 95% CI per run) and `.samples` (one row per
    sample and epoch), including samples stored by earlier runs of the same plan.
    `score_table(results)` is the table `gapbench run` ends with. Options as in `run_sweep`
    (a model left out of the plan is a GapbenchWarning, not a silent gap)."""
    ws = _ws(ws, results_dir)
    outcome = run_sweep(
        sweep,
        ws=ws,
        reporter=reporter,
        budget_usd=budget_usd,
        smoke=smoke,
        limit=limit,
        epochs=epochs,
        samples=samples,
        concurrency=concurrency,
        user_simulator=user_simulator,
        shards=shards,
        write_batch=write_batch,
        max_error_rate=max_error_rate,
        timeout_s=timeout_s,
        retry_errors=retry_errors,
        executor=executor,
        workers=workers,
        use_cache=use_cache,
    )
    return results_of_plan(ws, outcome.plan, outcome)


def evaluate(
    models: str | Model | Sequence[str | Model],
    suites: str | Sequence[str],
    *,
    limit: int | str | tuple[int, int] | None = None,
    epochs: int = 1,
    smoke: bool = False,
    sample_ids: Sequence[str] | None = None,
    name: str = "quick",
    budget_usd: float | None = None,
    retry_errors: bool = False,
    user_simulator: str | None = None,
    concurrency: int | None = None,
    shards: int | None = None,
    max_error_rate: float | None = None,
    timeout_s: float | None = None,
    results_dir: str | Path | None = None,
    ws: Workspace | None = None,
    reporter: Reporter | None = None,
) -> Results:
    """Evaluate models on suites without a sweep file (gapbench's `simple_evaluate`).

    models: registry ids or deployment ids (`gapbench models`), or `endpoint(...)` Models for
    servers not in the registry. suites: suite names (`gapbench suites`). limit: the first N
    samples of each suite, or "A-B" / (A, B). epochs: repeats per sample. name: the sweep id
    recorded on every row. user_simulator: the model playing the user in tau2 suites.
    concurrency, shards, max_error_rate: as the sweep fields; timeout_s: per-call timeout of
    every deployment. results_dir: the store to write (default ./results).
    Resumes like any sweep: what is stored is not run again. Raises UserError on bad input
    (one line naming the argument, nothing stored); warns (GapbenchWarning) about a model
    that is skipped (e.g. a closed model whose API key is not set).
    """
    ws = _ws(ws, results_dir)
    model_list = [models] if isinstance(models, str | Model) else list(models)
    suite_list = [suites] if isinstance(suites, str) else list(suites)
    adhoc = [m for m in model_list if isinstance(m, Model)]
    if adhoc:
        ws = ws.with_models(tuple(m.card for m in adhoc), tuple(m.deployment for m in adhoc))
    refs = [m.deployment.id if isinstance(m, Model) else m for m in model_list]
    try:
        spec = SweepSpec.model_validate(
            {
                "name": name,
                "models": refs,
                "suites": suite_list,
                "epochs": epochs,
                "limit": limit,
                "smoke": smoke,
                "samples": list(sample_ids) if sample_ids is not None else None,
                "user_simulator": user_simulator,
                "concurrency": concurrency,
                "budget_usd": budget_usd,
                "shards": shards,
                "max_error_rate": max_error_rate,
            }
        )
    except ValidationError as exc:
        err = validation_to_config_error("evaluate", exc)
        # the argument is called sample_ids here (`samples` in a sweep file)
        field = str(err.field).replace("samples", "sample_ids", 1)
        raise UserError(f"{field}: {err.problem}") from None
    return run(spec, ws=ws, reporter=reporter, retry_errors=retry_errors, timeout_s=timeout_s)


def samples(ws: Workspace | None = None, *, sweep: str | None = None) -> pd.DataFrame:
    """Stored sample rows (one per sample and epoch, newest attempt), optionally one sweep's
    (every sample the sweep planned, also those first stored by another sweep)."""
    ws = ws or workspace()
    return ws.store.samples(sweep_id=sweep)
