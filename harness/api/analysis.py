"""Analyse the store and render the report."""

from __future__ import annotations

from pathlib import Path

from harness.analysis.tables import ReportTables
from harness.api.runs import samples
from harness.api.workspace import Workspace, workspace


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
