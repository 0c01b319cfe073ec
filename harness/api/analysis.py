"""Analyse the store and render the report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from harness.analysis.tables import ReportTables
from harness.api.runs import samples
from harness.api.workspace import Workspace, workspace

if TYPE_CHECKING:
    from harness.analysis.answer import Answer
    from harness.analysis.spec import AnalysisSpec


def _null_baselines(ws: Workspace) -> dict[str, float]:
    return {s.name: s.null_baseline for s in ws.suites.suites if s.null_baseline is not None}


def eci_for(rows: pd.DataFrame, eci_dump: Path | None = None) -> tuple[pd.DataFrame | None, str]:
    """The Epoch Capabilities Index for the ECI-lag cross-check: from `eci_dump` when given,
    else from the dump shipped in data/published when the store holds an import of that same
    dump version. (None, "") when neither applies."""
    from harness.config import BUNDLED_EPOCH_DUMP
    from harness.store.importers.epoch import read_eci, version_of

    if eci_dump is not None:
        return read_eci(eci_dump), f"{version_of(eci_dump)} ({eci_dump})"
    if rows.empty or not BUNDLED_EPOCH_DUMP.is_file():
        return None, ""
    imported = set(rows.loc[rows["source"] == "imported:epoch", "engine_version"].astype(str))
    version = version_of(BUNDLED_EPOCH_DUMP)
    if version not in imported:
        return None, ""
    return read_eci(BUNDLED_EPOCH_DUMP), f"{version} (data/published)"


def analyze(
    ws: Workspace | None = None,
    *,
    sweep: str | None = None,
    title: str = "gapbench report",
    spec: AnalysisSpec | None = None,
    eci_dump: Path | None = None,
    substitute: str | None = None,
    suite: str | None = None,
    kind: str | None = None,
) -> ReportTables:
    """Every report table from the store, with the answer under `spec` (default: the
    primary specification, `harness.analysis.spec.PRIMARY`) on `ReportTables.answer`
    (substitute / suite / kind: the substitute finder, as in `answer`)."""
    from harness.analysis.build import build_report_tables

    ws = ws or workspace()
    rows = samples(ws, sweep=sweep)
    eci, eci_source = eci_for(rows, eci_dump)
    return build_report_tables(
        rows,
        spec=spec,
        null_baselines=_null_baselines(ws),
        title=title,
        eci=eci,
        eci_source=eci_source,
        substitute=substitute,
        substitute_suite=suite,
        substitute_kind=kind,
    )


def answer(
    ws: Workspace | None = None,
    spec: AnalysisSpec | None = None,
    *,
    sweep: str | None = None,
    substitute: str | None = None,
    suite: str | None = None,
    kind: str | None = None,
    eci_dump: Path | None = None,
) -> Answer:
    """The answer to "do standard benchmarks understate the agentic gap?" under `spec`
    (default: the primary specification): verdict by the written rule, D with its CI, the
    specification curve, coverage diagnostics, lags, cross-checks and, with `substitute`
    (a closed model id; optionally one `suite` or `kind`), the substitute finder.
    `Answer.to_json()` is what `gapbench analyze --format json` prints.

    Raises UserError (one line naming the option) for an unknown benchmark, model, suite or
    a bad mapping file.
    """
    from harness.analysis.answer import answer as compute
    from harness.analysis.spec import PRIMARY

    ws = ws or workspace()
    rows = samples(ws, sweep=sweep)
    eci, eci_source = eci_for(rows, eci_dump)
    return compute(
        rows,
        spec or PRIMARY,
        eci=eci,
        eci_source=eci_source,
        substitute=substitute,
        substitute_suite=suite,
        substitute_kind=kind,
        null_baselines=_null_baselines(ws),
    )


def build_report(
    name: str,
    *,
    ws: Workspace | None = None,
    sweep: str | None = None,
    out_dir: Path | None = None,
    spec: AnalysisSpec | None = None,
    substitute: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Analyse the store and render reports/NAME (or `out_dir`); return its index.html.

    The report draws analysis's tables and answer (under `spec`, default the primary
    specification; `substitute`: a closed model for the substitute finder), your own runs
    down to each sample's transcript, and where every number came from. Figures are cached
    by the hash of their table under the cache directory, so re-rendering unchanged data
    draws nothing again. `progress(stage, done, total)` hears each stage.
    """
    from harness.analysis.build import headline
    from harness.report import render_report
    from harness.report.collect import Sources, collect

    ws = ws or workspace()
    if progress:
        progress("analysis", 0, 1)
    tables = analyze(ws, sweep=sweep, title=f"gapbench: {name}", spec=spec, substitute=substitute)
    if progress:
        progress("collect", 0, 1)
    report = collect(
        tables,
        Sources(ws.store, ws.settings.raw_dir, ws.registry, ws.suites),
        name=name,
        sweep=sweep,
        headline=headline(tables),
    )
    target = out_dir or ws.settings.reports_dir / name
    cache = ws.settings.cache_dir / "report-figures"
    return render_report(report, target, cache_dir=cache, progress=progress)
