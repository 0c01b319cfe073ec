"""Gather what the pages show besides analysis's tables: own runs and samples, transcripts,
engine logs, versions, serving facts, data sources, and what is missing.

Records and facts only (which runs, which files, which versions); no statistics. Called by
`harness.api.build_report`; everything it returns is a typed record of harness.report.inputs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from harness._text import one_line
from harness.analysis.tables import ReportTables
from harness.models import Registry
from harness.report.drill import RUN_SAMPLE_LIMIT, per_run_limit
from harness.report.inputs import (
    AddClosedModel,
    DataSource,
    Provenance,
    RawLog,
    ReportInput,
    SuiteFacts,
)
from harness.store import Store, rawpaths
from harness.suites import SuiteRegistry

# What each importer's data asks of anyone who shows it. Keyed by the name in
# source = imported:<name>. (Importers may later declare this themselves.)
KNOWN_SOURCES: dict[str, DataSource] = {
    "epoch": DataSource(
        name="epoch",
        title="Epoch AI Benchmarking Hub",
        url="https://epoch.ai/benchmarks",
        licence="CC-BY 4.0",
        licence_url="https://creativecommons.org/licenses/by/4.0/",
        attribution="Epoch AI, 'AI Benchmarking Hub', retrieved from https://epoch.ai/benchmarks",
    ),
}
LIBRARIES = ("numpy", "pandas", "scipy", "matplotlib", "jinja2", "duckdb", "pyarrow")
SERVING_COLUMNS = [
    "deployment_id",
    "model_id",
    "provider",
    "server",
    "server_version",
    "quantization",
    "model_sha256",
    "chat_template_hash",
    "tool_call_format",
    "context_length",
    "engine",
    "engine_version",
]


@dataclass(frozen=True)
class Sources:
    """Where collect() reads from (a workspace's parts, without importing the API layer)."""

    store: Store
    raw_dir: Path
    registry: Registry | None = None
    suites: SuiteRegistry | None = None


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _own(df: pd.DataFrame) -> pd.DataFrame:
    if df.empty or "source" not in df.columns:
        return df
    return df[df["source"].astype(str) == "own"]


# What run and sample pages show of each own sample (the rest stays in the store).
SHOWN_COLUMNS = [
    "run_id", "sample_key", "sweep_id", "model_id", "access", "release_date", "suite",
    "suite_version", "kind", "sample_id", "epoch", "h", "status", "score", "success", "error",
    "input_tokens", "output_tokens", "cost_usd", "latency_s", "steps", "started_at",
    "finished_at", "engine", "engine_version", "harness_version", "deployment_id", "provider",
    "server", "server_version", "quantization", "model_sha256", "chat_template_hash",
    "tool_call_format", "context_length", "model_snapshot", "user_simulator", "prompt_variant",
    "source",
]  # fmt: skip
# Every own sample, in each run's CSV.
CSV_COLUMNS = [
    "run_id", "sample_key", "sample_id", "epoch", "h", "status", "score", "success", "error",
    "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "latency_s", "steps",
    "started_at", "finished_at", "model_snapshot",
]  # fmt: skip
STATUS_RANK = "CASE status WHEN 'error' THEN 0 WHEN 'limit' THEN 1 ELSE 2 END"


def _own_where(sweep: str | None) -> tuple[str, list[object]]:
    # Own rows, nightly canary rows left out: they are drift checks, shown only in the drift
    # panel (from analysis), not runs and samples of the sweep (issue 19.5).
    own = "source = 'own' AND NOT coalesce(canary, false)"
    if sweep is None:
        return own, []
    return (
        f"{own} AND sample_key IN (SELECT sample_key FROM sweep_members WHERE sweep_id = ?)",
        [sweep],
    )


def own_samples(store: Store, sweep: str | None) -> tuple[pd.DataFrame, pa.Table, int]:
    """(the samples run pages list: at most drill.per_run_limit per run, errors and limits
    first; every own sample's CSV columns; how many own samples there are).

    Read with SQL so that a store of a million rows never becomes a million-row DataFrame.
    """
    where, params = _own_where(sweep)
    order = f"{STATUS_RANK}, sample_id, epoch"
    every = store.query(
        f"SELECT {', '.join(CSV_COLUMNS)} FROM samples WHERE {where} ORDER BY run_id, {order}",
        params,
    )
    if not every.num_rows:
        return pd.DataFrame(columns=SHOWN_COLUMNS), every, 0
    shown = store.query(
        f"SELECT {', '.join(SHOWN_COLUMNS)}, row_number() OVER "
        f"(PARTITION BY run_id ORDER BY {order}) AS _rank FROM samples WHERE {where} "
        f"QUALIFY _rank <= {RUN_SAMPLE_LIMIT}",
        params,
    ).to_pandas()
    limit = per_run_limit(shown["run_id"].nunique())
    shown = shown[shown["_rank"] <= limit].drop(columns="_rank").reset_index(drop=True)
    return shown, every, every.num_rows


def collect(
    tables: ReportTables,
    src: Sources,
    *,
    name: str,
    sweep: str | None = None,
    headline: Sequence[str] = (),
    sweeps_dir: str = "sweeps",
) -> ReportInput:
    """Everything `render_report` needs, read from the store and registries."""
    shown, every, n_own = own_samples(src.store, sweep)
    runs = _own(src.store.runs())
    if not runs.empty:
        runs = runs[runs["run_id"].isin(set(shown["run_id"]))]
    imported = tables.scores[tables.scores["source"].astype(str).str.startswith("imported:")]
    logs, warnings = raw_logs(src.raw_dir, shown, runs)
    return ReportInput(
        tables=tables,
        headline=tuple(headline),
        runs=runs,
        samples=shown,
        all_samples=every,
        n_own_samples=n_own,
        transcripts=lambda keys: src.store.transcripts(list(keys)),
        raw_logs=logs,
        warnings=warnings,
        provenance=provenance(shown, imported, src),
        missing=missing(shown, imported, src.registry, sweeps_dir),
        name=name,
    )


def raw_logs(
    raw_dir: Path, samples: pd.DataFrame, runs: pd.DataFrame
) -> tuple[tuple[RawLog, ...], tuple[str, ...]]:
    """Each own run's engine logs, and one warning line per run whose logs are left out.

    Where: the run's `raw_path` (relative to the results folder) when the runs table records
    it, else the older layout raw/<sweep>/<suite>/<model>/; plus the model server's log of that
    run (the one last written closest to the run's end). All of it is text the store wrote:
    paths are confined to the store's raw folder and only known raw types are listed
    (harness.store.rawpaths); a run whose path leads elsewhere is skipped with a warning."""
    if samples.empty or not raw_dir.is_dir():
        return (), ()
    results = raw_dir.parent
    recorded: dict[str, str] = {}
    ended = {}
    if not runs.empty:
        for r in runs.to_dict("records"):
            if isinstance(r.get("raw_path"), str) and r["raw_path"]:
                recorded[str(r["run_id"])] = r["raw_path"]
            if r.get("finished_at") is not None and not pd.isna(r.get("finished_at")):
                ended[str(r["run_id"])] = pd.Timestamp(r["finished_at"]).timestamp()
    out: list[RawLog] = []
    warnings: list[str] = []
    cols = ["run_id", "sweep_id", "suite", "model_id", "deployment_id"]
    for run_id, sweep_id, suite, model_id, deployment_id in (
        samples[cols].drop_duplicates("run_id").itertuples(index=False)
    ):
        run_id = str(run_id)
        value = recorded.get(run_id) or rawpaths.layout_path(sweep_id, suite, model_id)
        try:
            where = rawpaths.run_folder(results, run_id, value, recorded=run_id in recorded)
        except rawpaths.BadRawPath as exc:
            warnings.append(
                one_line(f"run {run_id}: raw path '{value}': {exc}; its logs are left out")
            )
            where = None
        if where is not None:
            listing = rawpaths.list_raw(results, where)
            base = where.parent if where.is_file() else where
            # lm-eval writes under lm_eval/<run_id>/: another run's folder is not this run's log
            files = [
                f
                for f in listing.files
                if "lm_eval" not in f.path.relative_to(base).parts[:-1]
                or run_id in f.path.relative_to(base).parts
            ]
            out += [
                RawLog(run_id, f.path, str(f.path.relative_to(base)), root=results) for f in files
            ]
            if listing.left_out:
                shown = "; ".join(listing.left_out[:3])
                more = f" and {len(listing.left_out) - 3} more" if len(listing.left_out) > 3 else ""
                warnings.append(
                    one_line(
                        f"run {run_id}: {len(listing.left_out)} raw files not published "
                        f"({shown}{more})"
                    )
                )
        servers = rawpaths.server_logs(results, str(deployment_id))
        if servers and run_id in ended:  # one server per run: the log that ended with it
            servers = [min(servers, key=lambda f: abs(f.path.stat().st_mtime - ended[run_id]))]
        out += [RawLog(run_id, f.path, f"server log {f.path.name}", root=results) for f in servers]
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr, flush=True)
    return tuple(out), tuple(warnings)


def provenance(
    samples: pd.DataFrame,
    imported: pd.DataFrame,
    src: Sources,
) -> Provenance:
    engines: tuple[tuple[str, str], ...] = ()
    deployments = pd.DataFrame(columns=SERVING_COLUMNS)
    suites: list[SuiteFacts] = []
    if not samples.empty:
        pairs = samples[["engine", "engine_version"]].drop_duplicates().astype(str)
        engines = tuple(sorted(pairs.itertuples(index=False, name=None)))
        cols = [c for c in SERVING_COLUMNS if c in samples.columns]
        deployments = samples[cols].drop_duplicates().sort_values(cols[:2]).reset_index(drop=True)
        for suite, ver in sorted(
            samples[["suite", "suite_version"]]
            .drop_duplicates()
            .astype(str)
            .itertuples(index=False)
        ):
            spec = _suite(src.suites, suite)
            suites.append(
                SuiteFacts(
                    name=suite,
                    version=ver,
                    kind=spec.kind if spec else "",
                    engine=spec.engine if spec else "",
                    licence=spec.licence if spec else "",
                    data_source=spec.source if spec else "",
                )
            )
    sources = []
    for source, part in imported.groupby(imported["source"].astype(str)):
        key = source.split(":", 1)[1]
        known = KNOWN_SOURCES.get(key, DataSource(name=key, title=key))
        sources.append(
            DataSource(
                **{
                    **known.__dict__,
                    "rows": int(part["n_rows"].fillna(0).sum()) if "n_rows" in part else len(part),
                    "models": int(part["model_id"].nunique()),
                }
            )
        )
    return Provenance(
        gapbench_version=version("gapbench"),
        libraries=tuple((lib, version(lib)) for lib in LIBRARIES),
        engines=engines,
        suites=tuple(suites),
        deployments=deployments,
        sources=tuple(sources),
    )


def _suite(registry: SuiteRegistry | None, name: str) -> Any:
    if registry is None:
        return None
    try:
        return registry.get(name)
    except (KeyError, LookupError, ValueError):
        return None


def missing(
    samples: pd.DataFrame,
    imported: pd.DataFrame,
    registry: Registry | None,
    sweeps_dir: str,
) -> AddClosedModel | None:
    """Say plainly what the data lack; with no closed model of your own, how to add one."""
    access = set(samples["access"].astype(str)) if not samples.empty else set()
    kinds = set(samples["kind"].astype(str)) if not samples.empty else set()
    lines: list[str] = []
    if samples.empty:
        lines.append(
            "You have not run any model yourself: every number here comes from published "
            "results. `gapbench demo` runs an open model offline in a few minutes."
        )
    else:
        if "closed" not in access:
            lines.append(
                "You have run no closed model: your own runs cannot show the gap yet; only "
                "published results do."
            )
        if "open" not in access:
            lines.append("You have run no open-weight model.")
        if "agentic" not in kinds:
            lines.append("You have run no agentic suite: D needs both kinds.")
    if imported.empty:
        lines.append(
            "No published results are imported: there is no history over time "
            "(`gapbench import epoch --from data/published/epoch_benchmarking_hub_2026-04.zip`)."
        )
    if not lines:
        return None
    if "closed" in access or registry is None:
        return AddClosedModel(missing=tuple(lines))
    closed = _closed_model(registry)
    if closed is None:
        return AddClosedModel(missing=tuple(lines))
    model_id, env_var = closed
    open_models = sorted({str(m) for m in samples["model_id"]}) if not samples.empty else []
    suites = sorted({str(s) for s in samples["suite"]}) if not samples.empty else []
    suites = suites or ["ladder_standard", "ladder_agentic"]
    models = [*open_models, model_id] if open_models else ["smollm2-135m-instruct", model_id]
    path = f"{sweeps_dir}/with-closed.yaml"
    yaml = (
        "name: with-closed\n"
        f"models: [{', '.join(models)}]\n"
        f"suites: [{', '.join(suites)}]\n"
        "epochs: 1\n"
        "limit: 6\n"
    )
    return AddClosedModel(
        missing=tuple(lines),
        sweep_yaml=yaml,
        sweep_path=path,
        env_var=env_var,
        command=f"gapbench run {path} --report latest",
    )


def _closed_model(registry: Registry) -> tuple[str, str | None] | None:
    """The first closed model in models.yaml with a deployment, and its key's variable."""
    for card in registry.cards:
        if card.access != "closed":
            continue
        deps = registry.deployments_of(card.id)
        if deps:
            return card.id, deps[0].key_env
    return None
