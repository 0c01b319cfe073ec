"""One night: lock the sweep, plan what is new plus the canaries, run it, test the canaries
for drift, render the report, and say all of it in a NightlySummary.

The lock is held for the whole night, so a second process on the same sweep and results
folder stops before planning (outcome "locked", one line) instead of paying twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from harness.analysis import alerts_for, drift_table
from harness.config import Settings
from harness.errors import GapbenchError
from harness.models import Registry
from harness.nightly.clock import Clock, SystemClock, night_of
from harness.nightly.plan import NightPlan, plan_night
from harness.nightly.refresh import HubRefresh, refresh_hub
from harness.nightly.summary import (
    EXIT_CODES,
    DriftAlert,
    NightlySummary,
    Outcome,
    RanRun,
    SkippedItem,
    Spend,
    outcome_of,
)
from harness.store import Store
from harness.suites import SuiteRegistry
from harness.sweep.execute import Reporter, execute
from harness.sweep.lock import SweepLocked, sweep_lock
from harness.sweep.outcome import SweepOutcome
from harness.sweep.spec import load_sweep

# Renders the report `name` for the sweep and returns its index.html (the API layer passes
# its build_report; nightly sits below the API and does not import it).
RenderReport = Callable[[str], Path]

_CANARY_COLUMNS = [
    "run_id",
    "sample_id",
    "model_id",
    "access",
    "deployment_id",
    "suite",
    "suite_version",
    "status",
    "score",
    "started_at",
    "finished_at",
    "model_snapshot",
    "source",
    "canary",
]


@dataclass(frozen=True)
class NightlyContext:
    """Where a night runs: settings (results, reports, cache), the registry and the suites."""

    settings: Settings
    registry: Registry
    suites: SuiteRegistry


def canary_history(store: Store, model_ids: list[str]) -> pd.DataFrame:
    """The stored canary rows of these models (every night), for the drift table."""
    if not model_ids or not store.files("samples"):
        return pd.DataFrame(columns=_CANARY_COLUMNS)
    cols = ", ".join(_CANARY_COLUMNS)
    tbl = store.query(
        f"SELECT {cols} FROM samples WHERE canary AND model_id IN (SELECT unnest(?))",
        [sorted(set(model_ids))],
    )
    return tbl.to_pandas()


def _alerts(store: Store, night_plan: NightPlan, ran_canaries: set[str]) -> list[DriftAlert]:
    if not ran_canaries:
        return []
    models = sorted({r.card.id for r in night_plan.plan.runs if r.run_id in ran_canaries})
    table = drift_table(canary_history(store, models))
    out = []
    for row in alerts_for(table, ran_canaries).to_dict("records"):
        out.append(
            DriftAlert(
                model_id=row["model_id"],
                deployment_id=row["deployment_id"],
                suite=row["suite"],
                suite_version=row["suite_version"],
                run_id=row["run_id"],
                kind=row["kind"],
                reason=row["reason"],
                score=_num(row["score"]),
                baseline=_num(row["baseline"]),
                threshold=_num(row["threshold"]),
                snapshot=row["snapshot"],
            )
        )
    return out


def _num(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _ran(night_plan: NightPlan, outcome: SweepOutcome) -> list[RanRun]:
    out = []
    for r in outcome.runs:
        if not r.run.todo:
            continue
        out.append(
            RanRun(
                model_id=r.run.card.id,
                deployment_id=r.run.deployment.id,
                suite=r.run.suite.name,
                suite_version=r.run.suite.version,
                run_id=r.run.run_id,
                canary=r.run.canary,
                why=night_plan.why.get(r.run.run_id, ""),
                n_todo=len(r.run.todo),
                n_retry=r.run.n_retry,
                n_written=r.n_written,
                status=r.status,
                message=r.message,
                cost_usd=r.cost_usd,
            )
        )
    return out


def _message(
    outcome: Outcome, sweep: str, night: date, ran: list[RanRun], alerts: list[DriftAlert]
) -> str:
    rows = sum(r.n_written for r in ran)
    canaries = sum(r.canary for r in ran)
    head = f"nightly {sweep} {night.isoformat()}"
    if outcome == "drift":
        alert = alerts[0]
        more = f" (+{len(alerts) - 1} more)" if len(alerts) > 1 else ""
        return f"{head}: DRIFT {alert.model_id} x {alert.suite}: {alert.reason}{more}"
    if outcome == "partial":
        bad = [r for r in ran if r.status != "complete"]
        why = f": {bad[0].model_id} x {bad[0].suite} {bad[0].status}" if bad else ""
        if bad and bad[0].message:
            why += f" ({bad[0].message})"
        return f"{head}: PARTIAL{why}"
    return (
        f"{head}: ran {len(ran) - canaries} runs and {canaries} canaries, {rows} rows stored"
        if ran
        else f"{head}: nothing to run"
    )


def run_night(
    sweep_path: Path,
    ctx: NightlyContext,
    *,
    clock: Clock | None = None,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    report_name: str | None = None,
    render: RenderReport | None = None,
    wait_lock_s: float = 0.0,
    hub_source: str | None = None,
) -> NightlySummary:
    """Run tonight's part of the sweep. Returns the summary (also for "locked" and "nothing
    new", which are outcomes, not errors); bad input raises a UserError (exit 2).
    hub_source: refresh the Epoch hub timeline from this URL or path first (refresh.py)."""
    clock = clock or SystemClock()
    night = night_of(clock.now())  # the clock decides which night this is ...
    started = datetime.now(UTC)  # ... the summary's times are the real ones
    sweep = load_sweep(sweep_path)
    settings = ctx.settings
    store = Store(settings.results_dir)

    def summary(outcome: Outcome, message: str, **fields: object) -> NightlySummary:
        return NightlySummary(
            sweep=sweep.name,
            night=night,
            started_at=started,
            finished_at=datetime.now(UTC),
            outcome=outcome,
            exit_code=EXIT_CODES[outcome],
            message=message,
            results_dir=str(settings.results_dir),
            **fields,  # type: ignore[arg-type]
        )

    try:
        with sweep_lock(settings.results_dir, sweep.name, wait_s=wait_lock_s):
            hub = refresh_hub(settings.results_dir, hub_source) if hub_source else None
            night_plan = plan_night(sweep, sweep_path, ctx.registry, ctx.suites, store, night)
            skipped = [SkippedItem(what=s.what, reason=s.reason) for s in night_plan.skipped]
            if hub is not None and hub.failed:
                skipped.append(SkippedItem(what="hub refresh", reason=hub.message))
            if night_plan.n_planned_runs == 0:
                why = night_plan.skipped[0].reason if night_plan.skipped else "no runs"
                raise GapbenchError(
                    f"nightly {sweep.name}: nothing can run: every model or suite was skipped "
                    f"(first: {why})"
                )
            if night_plan.nothing_new and not (hub is not None and hub.kept):
                message = (
                    f"nightly {sweep.name} {night.isoformat()}: nothing new "
                    f"({night_plan.n_up_to_date} runs up to date, no canary due)"
                )
                if hub is not None and hub.failed:  # the refresh asked for did not happen
                    return summary(
                        "partial", f"{message}; PARTIAL: {hub.message}", skipped=skipped,
                        hub_refresh=hub,
                    )  # fmt: skip
                return summary("nothing_new", message, skipped=skipped, hub_refresh=hub)
            if night_plan.nothing_new:  # only the hub changed: re-render, run nothing
                head = f"nightly {sweep.name} {night.isoformat()}"
                return _hub_only_night(
                    summary, hub, skipped, render, report_name or sweep.name, head
                )
            outcome = execute(night_plan.plan, settings, reporter=reporter, budget_usd=budget_usd)
            ran = _ran(night_plan, outcome)
            ran_canaries = {r.run_id for r in ran if r.canary and r.n_written}
            alerts = _alerts(store, night_plan, ran_canaries)
            ran_anything = any(r.n_written or r.status != "complete" for r in ran)
            ran_anything = ran_anything or (hub is not None and hub.kept)
            report, report_error = None, None
            if render is not None and ran_anything:
                try:
                    report = str(render(report_name or sweep.name))
                except GapbenchError as exc:  # the night's rows are stored; say what failed
                    report_error = f"report not rendered: {exc}"
                    skipped.append(SkippedItem(what="report", reason=str(exc)))
            result = outcome_of(
                ran_anything=ran_anything,
                any_drift=bool(alerts),
                all_complete=outcome.exit_code == EXIT_CODES["ok"]
                and report_error is None
                and not (hub is not None and hub.failed),
            )
            message = _message(result, sweep.name, night, ran, alerts)
            if report_error and result == "partial" and outcome.exit_code == EXIT_CODES["ok"]:
                message = f"nightly {sweep.name} {night.isoformat()}: PARTIAL: {report_error}"
            elif (
                hub is not None
                and hub.failed
                and result == "partial"
                and outcome.exit_code == EXIT_CODES["ok"]
            ):
                message = f"nightly {sweep.name} {night.isoformat()}: PARTIAL: {hub.message}"
            spend = Spend(
                spent_usd=outcome.spent_usd,
                rows_cost_usd=outcome.cost_usd,
                upstream_calls=outcome.upstream_calls,
                cache_hits=outcome.cache_hits,
                budget_usd=outcome.budget_usd,
                budget_stop=outcome.budget_stop,
            )
            return summary(
                result,
                message,
                ran=ran,
                skipped=skipped,
                drift=alerts,
                spend=spend,
                report=report,
                hub_refresh=hub,
            )
    except SweepLocked as exc:
        return summary("locked", str(exc))


def _hub_only_night(
    summary: Callable[..., NightlySummary],
    hub: HubRefresh | None,
    skipped: list[SkippedItem],
    render: RenderReport | None,
    name: str,
    head: str,
) -> NightlySummary:
    """Nothing of the sweep to run, but a new hub snapshot: the analysis and report again."""
    assert hub is not None
    report = None
    if render is not None:
        try:
            report = str(render(name))
        except GapbenchError as exc:
            skipped.append(SkippedItem(what="report", reason=str(exc)))
            return summary(
                "partial", f"{head}: hub refreshed; PARTIAL: report not rendered: {exc}",
                skipped=skipped, hub_refresh=hub,
            )  # fmt: skip
    message = (
        f"{head}: hub refreshed: snapshot {hub.snapshot} ({hub.dump_version}, "
        f"{hub.rows_written} rows changed); nothing else to run"
    )
    return summary("ok", message, skipped=skipped, report=report, hub_refresh=hub)
