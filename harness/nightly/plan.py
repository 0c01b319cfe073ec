"""Tonight's plan: only what is new, plus the canaries, each with the reason it runs.

What is new is what the store does not hold yet, so the sweep's own plan already finds it
(runs are keyed by model card, deployment, suite version and engine version; samples by run,
sample and epoch): a new model card or deployment, a new suite version, epochs added, samples
never stored; and, since nightly retries errors, samples whose newest attempt errored.
This module adds tonight's canaries and says, per run, why it runs or why it does not.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pyarrow as pa

from harness.models import Registry
from harness.nightly.canaries import plan_canaries
from harness.store import Store
from harness.suites import SuiteRegistry
from harness.sweep.plan import Plan, PlannedRun, Skipped, plan_sweep
from harness.sweep.spec import SweepSpec


@dataclass(frozen=True)
class NightPlan:
    night: date
    plan: Plan  # what execute() runs: the sweep's runs with work, then the canary runs
    why: dict[str, str]  # run_id -> why it runs tonight
    skipped: tuple[Skipped, ...]  # what does not run, and why
    n_up_to_date: int  # sweep runs with nothing to do
    n_planned_runs: int  # sweep runs the plan could make at all (not skipped)

    @property
    def nothing_new(self) -> bool:
        return self.plan.n_todo == 0

    @property
    def canary_run_ids(self) -> frozenset[str]:
        return frozenset(r.run_id for r in self.plan.runs if r.canary)


@dataclass(frozen=True)
class _Stored:
    """What the store already holds of the sweep's models (ordinary rows, not canaries)."""

    models: frozenset[str]
    suite_versions: frozenset[tuple[str, str, str]]  # (model, suite, version)
    pairs: frozenset[tuple[str, str]]  # (model, suite)

    @classmethod
    def read(cls, store: Store, model_ids: list[str]) -> _Stored:
        if not model_ids or not store.files("samples"):
            return cls(frozenset(), frozenset(), frozenset())
        tbl: pa.Table = store.query(
            "SELECT DISTINCT model_id, suite, suite_version FROM samples "
            "WHERE model_id IN (SELECT unnest(?)) AND source = 'own' AND NOT coalesce(canary, false)",
            [sorted(set(model_ids))],
        )
        rows = list(
            zip(
                tbl.column("model_id").to_pylist(),
                tbl.column("suite").to_pylist(),
                tbl.column("suite_version").to_pylist(),
                strict=True,
            )
        )
        return cls(
            frozenset(m for m, _, _ in rows),
            frozenset(rows),
            frozenset((m, s) for m, s, _ in rows),
        )


def why_run(run: PlannedRun, stored: _Stored) -> str:
    """Why a sweep run has work tonight, in words a scheduler's log can show."""
    model, suite = run.card.id, run.suite.name
    if run.n_done == 0 and not run.n_retry:
        if model not in stored.models:
            return "new model"
        if (model, suite) not in stored.pairs:
            return "new suite for this model"
        if (model, suite, run.suite.version) not in stored.suite_versions:
            return f"new suite version {run.suite.version}"
        return "new run (deployment or engine version changed)"
    parts = []
    n_new = len(run.todo) - run.n_retry
    if n_new:
        per_sample = Counter(sid for sid, _ in run.todo)
        partial = all(n < run.epochs for n in per_sample.values())
        if run.n_retry == 0 and partial:
            parts.append(f"{n_new} missing epochs (epochs: {run.epochs})")
        else:
            parts.append(f"{n_new} samples not stored yet")
    if run.n_retry:
        parts.append(f"{run.n_retry} errored samples retried")
    return ", ".join(parts)


def plan_night(
    sweep: SweepSpec,
    sweep_path: Path,
    registry: Registry,
    suites: SuiteRegistry,
    store: Store,
    night: date,
) -> NightPlan:
    base = plan_sweep(sweep, sweep_path, registry, suites, store, retry_errors=True)
    stored = _Stored.read(store, [r.card.id for r in base.runs])
    why: dict[str, str] = {}
    skipped = list(base.skipped)
    todo_runs = []
    for run in base.runs:
        if run.todo:
            todo_runs.append(run)
            why[run.run_id] = why_run(run, stored)
        else:
            skipped.append(
                Skipped(f"{run.card.id} x {run.suite.name}", f"up to date ({run.n_done} stored)")
            )
    canaries = plan_canaries(base, night, store)
    why.update(canaries.why)
    skipped.extend(canaries.skipped)
    plan = replace(base, runs=(*todo_runs, *canaries.runs))
    return NightPlan(
        night=night,
        plan=plan,
        why=why,
        skipped=tuple(skipped),
        n_up_to_date=len(base.runs) - len(todo_runs),
        n_planned_runs=len(base.runs),
    )
