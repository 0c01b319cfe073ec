"""Plan and run sweeps; read the samples they stored."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from harness.api.workspace import Workspace, resolve_sweep_path, workspace
from harness.sweep.plan import Plan, plan_sweep
from harness.sweep.spec import SweepSpec, load_sweep

if TYPE_CHECKING:
    from harness.sweep.execute import Reporter, SweepOutcome


def plan(
    sweep_ref: str | Path,
    *,
    ws: Workspace | None = None,
    smoke: bool | None = None,
    limit: int | None = None,
    epochs: int | None = None,
) -> Plan:
    ws = ws or workspace()
    path = resolve_sweep_path(sweep_ref, ws.settings)
    sweep = load_sweep(path)
    updates: dict[str, object] = {}
    if smoke is not None:
        updates["smoke"] = smoke
    if limit is not None:
        updates["limit"] = limit
    if epochs is not None:
        updates["epochs"] = epochs
    if updates:
        sweep = SweepSpec.model_validate({**sweep.model_dump(), **updates})
    return plan_sweep(sweep, path, ws.registry, ws.suites, ws.store)


def run_sweep(
    sweep_ref: str | Path,
    *,
    ws: Workspace | None = None,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    smoke: bool | None = None,
    limit: int | None = None,
    epochs: int | None = None,
) -> SweepOutcome:
    from harness.sweep.execute import execute

    ws = ws or workspace()
    the_plan = plan(sweep_ref, ws=ws, smoke=smoke, limit=limit, epochs=epochs)
    return execute(the_plan, ws.settings, reporter=reporter, budget_usd=budget_usd)


def samples(ws: Workspace | None = None, *, sweep: str | None = None) -> pd.DataFrame:
    ws = ws or workspace()
    df = ws.store.samples()
    if sweep is not None:
        df = df[df["sweep_id"] == sweep]
    return df
