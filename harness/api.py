"""The Python API: everything the CLI does, as functions returning typed results.

from harness import api
outcome = api.run_sweep("sweeps/demo.yaml")
path = api.build_report("demo", sweep="demo")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from harness._types import Access, Kind
from harness.analysis.tables import ReportTables
from harness.config import Settings, load_settings
from harness.errors import ConfigError, UserError
from harness.models import Registry, load_registry
from harness.store import Store
from harness.suites import SuiteRegistry, load_suites

if TYPE_CHECKING:
    from harness.store.importers import ImportSummary
    from harness.sweep.execute import Reporter, SweepOutcome
from harness.sweep.plan import Plan, plan_sweep
from harness.sweep.spec import SweepSpec, load_sweep


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    registry: Registry
    suites: SuiteRegistry

    @property
    def store(self) -> Store:
        return Store(self.settings.results_dir)


def workspace(settings: Settings | None = None) -> Workspace:
    settings = settings or load_settings()
    return Workspace(
        settings, load_registry(settings.registry_path), load_suites(settings.tasks_dir)
    )


def resolve_sweep_path(ref: str | Path, settings: Settings) -> Path:
    """A path to a YAML file, or the name of a sweep in sweeps/ ('demo')."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = settings.sweeps_dir / f"{ref}.yaml"
    if candidate.exists():
        return candidate
    raise ConfigError(path, None, f"no such sweep file (nor {candidate})")


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


def analyze(
    ws: Workspace | None = None, *, sweep: str | None = None, title: str = "gapbench report"
) -> ReportTables:
    from harness.analysis.build import build_report_tables

    ws = ws or workspace()
    null_baselines = {
        s.name: s.null_baseline for s in ws.suites.suites if s.null_baseline is not None
    }
    return build_report_tables(samples(ws, sweep=sweep), null_baselines=null_baselines, title=title)


def build_report(
    name: str, *, ws: Workspace | None = None, sweep: str | None = None, out_dir: Path | None = None
) -> Path:
    from harness.analysis.build import headline
    from harness.report import render_report

    ws = ws or workspace()
    tables = analyze(ws, sweep=sweep, title=f"gapbench: {name}")
    target = out_dir or ws.settings.reports_dir / name
    return render_report(tables, target, headline=headline(tables), name=name)


def import_results(
    source: str,
    path: Path | None,
    *,
    ws: Workspace | None = None,
    access: Access | None = None,
    model_id: str | None = None,
    release_date: str | None = None,
    kind: Kind | None = None,
) -> ImportSummary:
    """Import results made elsewhere: 'epoch' (Epoch AI hub dump), 'lm-eval' or 'inspect'."""
    from harness.store import importers

    ws = ws or workspace()
    if source == "epoch":
        return importers.import_epoch(path, ws.store)
    if path is None:
        raise UserError(f"import {source}: --from PATH is required")
    if access is None:
        raise UserError(f"import {source}: --access open|closed is required (a log does not say)")
    if source == "lm-eval":
        return importers.import_lm_eval(
            path,
            ws.store,
            access=access,
            kind=kind or "standard",
            model_id=model_id,
            release_date=release_date,
        )
    if source == "inspect":
        return importers.import_inspect(
            path,
            ws.store,
            access=access,
            kind=kind or "agentic",
            model_id=model_id,
            release_date=release_date,
        )
    raise UserError(f"unknown import source '{source}' (epoch, lm-eval, inspect)")
