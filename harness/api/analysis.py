"""Analyse the store, render the report, and say what to evaluate next."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from harness.analysis.tables import ReportTables
from harness.api.runs import samples
from harness.api.workspace import Workspace, workspace

if TYPE_CHECKING:
    from harness.analysis.answer import Answer, Context
    from harness.analysis.spec import AnalysisSpec
    from harness.models import Registry
    from harness.suites import SuiteRegistry
    from harness.sweep.spec import SweepSpec


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


def code_commit() -> str:
    """The git commit of the code that computes the answer (recorded with every result), or
    a note saying why there is none (an installed copy is not a git checkout)."""
    from harness.config import REPO_ROOT

    try:
        done = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown (git not available)"
    sha = done.stdout.strip()
    if done.returncode != 0 or not sha:
        return "unknown (not a git checkout)"
    dirty = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    return sha + (" (with uncommitted changes)" if dirty.stdout.strip() else "")


def _context(rows: pd.DataFrame, eci_dump: Path | None, ws: Workspace) -> Context:
    from harness.analysis.answer import Context
    from harness.api.hub import hub_links

    eci, eci_source = eci_for(rows, eci_dump)
    return Context(
        eci=eci,
        eci_source=eci_source,
        code_commit=code_commit(),
        today=date.today(),
        hub=hub_links(ws),  # own runs of hub suites join the published frontiers
    )


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
    from harness.analysis.answer import SubstituteQuery
    from harness.analysis.build import build_report_tables
    from harness.api.hub import tables_with_history

    ws = ws or workspace()
    rows = samples(ws, sweep=sweep)
    tables = build_report_tables(
        rows,
        spec=spec,
        null_baselines=_null_baselines(ws),
        title=title,
        context=_context(rows, eci_dump, ws),
        substitute=None if substitute is None else SubstituteQuery(substitute, suite, kind),
    )
    # D once per kept Epoch snapshot (the answer's history)
    return tables_with_history(tables, ws, rows, null_baselines=_null_baselines(ws))


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
    (default: the primary specification): verdict by the written rule, D with its CI, what
    the data rule out and could detect (power), what would settle it (the missing
    evaluations ranked), the specification curve, the influence of each benchmark, coverage
    diagnostics, lags, cross-checks and, with `substitute` (a closed model id; optionally
    one `suite` or `kind`), the substitute finder. `Answer.to_json()` is what
    `gapbench analyze --format json` prints.

    Raises UserError (one line naming the option) for an unknown benchmark, model, suite or
    a bad mapping file.
    """
    from harness.analysis.answer import SubstituteQuery
    from harness.analysis.answer import answer as compute
    from harness.analysis.spec import PRIMARY
    from harness.api.hub import answer_with_history

    ws = ws or workspace()
    rows = samples(ws, sweep=sweep)
    ans = compute(
        rows,
        spec or PRIMARY,
        context=_context(rows, eci_dump, ws),
        substitute=None if substitute is None else SubstituteQuery(substitute, suite, kind),
        null_baselines=_null_baselines(ws),
    )
    # D once per kept Epoch snapshot (the answer's history)
    return answer_with_history(ans, ws, rows, null_baselines=_null_baselines(ws))


@dataclass(frozen=True)
class NextSweep:
    """What to evaluate next, as a sweep gapbench can run.

    pairs: the ranked missing (model, benchmark) evaluations (the answer's
    `next_evaluations`) with, for each, the registry model and the suite that would run it
    ('' when there is none) and whether both exist (`runnable`). sweep: the runnable pairs' models x suites (None when no
    pair is runnable); a sweep runs every model on every suite, so `extra_pairs` counts the
    pairs it runs beyond the ranked ones. cards_to_add: models not in the registry, as the
    `gapbench models add` commands that add them. no_suite: benchmarks no suite runs.
    """

    pairs: pd.DataFrame
    sweep: SweepSpec | None
    extra_pairs: int
    cards_to_add: tuple[str, ...]
    no_suite: tuple[str, ...]
    answer: Answer

    def yaml(self) -> str:
        """The sweep file: the sweep, with the ranked pairs and what is missing as comments."""
        import yaml

        head = [
            "# What to evaluate next (gapbench analyze --next-sweep): the missing evaluations",
            "# that narrow the CI of D(lag) most, ranked by the answer (scores predicted from",
            "# each model's capability only to rank them). Pairs this sweep runs:"
            + ("" if self.pairs["runnable"].any() else " none yet."),
        ]
        runnable = self.pairs[self.pairs["runnable"]]
        for r in runnable.to_dict("records"):
            head.append(
                f"#   {r['rank']}. {r['registry_model']} on {r['suite']} "
                f"(benchmark {r['benchmark']}; CI narrower by {r['width_gain']:.2f} months)"
            )
        if self.extra_pairs:
            head.append(f"# It also runs {self.extra_pairs} other pairs (models x suites).")
        if self.cards_to_add:
            head.append("# Models to add to the registry first (then add them to `models`):")
            head += [f"#   {c}" for c in self.cards_to_add]
        if self.no_suite:
            head.append("# Benchmarks no gapbench suite runs yet: " + ", ".join(self.no_suite))
        body = ""
        if self.sweep is not None:
            data = self.sweep.model_dump(mode="json", exclude_defaults=True)
            body = yaml.safe_dump(data, sort_keys=False)
        else:
            body = "# (no ranked pair is runnable here: add the models or suites above)\n"
        return "\n".join(head) + "\n" + body


def _registry_model(registry: Registry, model_id: str) -> str:
    """The registry card for a model id of the data ('' when none): the id itself, its
    lower-case slug, an alias, or a card whose base name is the same model."""
    from harness.analysis.measures.identity import parse

    for ref in (model_id, model_id.lower()):
        try:
            return registry.resolve(ref)[0].id
        except KeyError:
            continue
    key = parse(model_id).key
    for card in registry.cards:
        if key in {parse(card.id).key, *(parse(a).key for a in card.aliases)}:
            return card.id
    return ""


def _suite_for(suites: SuiteRegistry, benchmark: str) -> str:
    """The suite that runs a benchmark: one named so, or one measuring that hub benchmark."""
    base = benchmark.split("@")[0]
    for s in suites.suites:
        if s.name == base or getattr(s, "hub_benchmark", None) == base:
            return s.name
    return ""


def next_sweep(
    ws: Workspace | None = None,
    spec: AnalysisSpec | None = None,
    *,
    sweep: str | None = None,
    top: int = 10,
    name: str = "next",
    eci_dump: Path | None = None,
) -> NextSweep:
    """The `top` missing evaluations that would narrow D(lag)'s CI most, as a sweep: models
    mapped to registry cards, benchmarks to suites; what cannot run is named (models as
    `gapbench models add` commands, benchmarks without a suite). `.yaml()` is the file."""
    from harness.sweep.spec import SweepSpec

    ws = ws or workspace()
    ans = answer(ws, spec, sweep=sweep, eci_dump=eci_dump)
    ranked = ans.settle.ranked.head(top).copy()
    ranked["registry_model"] = [_registry_model(ws.registry, str(m)) for m in ranked["model_id"]]
    ranked["suite"] = [_suite_for(ws.suites, str(b)) for b in ranked["benchmark"]]
    cards = []
    for r in ranked[ranked["registry_model"] == ""].drop_duplicates("model_id").to_dict("records"):
        slug = "".join(
            ch if ch.isalnum() or ch in "._-" else "-" for ch in str(r["model_id"]).lower()
        )
        cards.append(
            f"gapbench models add {slug} --access {r['access']} --release-date "
            f"{r['release_date']} --base-url URL --api-model NAME"
        )
    ranked["runnable"] = (ranked["registry_model"] != "") & (ranked["suite"] != "")
    ok = ranked[ranked["runnable"]]
    models = list(dict.fromkeys(ok["registry_model"].astype(str)))
    suites = list(dict.fromkeys(ok["suite"].astype(str)))
    built = (
        SweepSpec(
            name=name,
            description="missing evaluations that narrow the CI of D(lag) most (gapbench analyze)",
            models=models,
            suites=suites,
        )
        if models
        else None
    )
    no_suite = tuple(
        sorted({str(b) for b in ranked["benchmark"] if not _suite_for(ws.suites, str(b))})
    )
    return NextSweep(
        pairs=ranked.reset_index(drop=True),
        sweep=built,
        extra_pairs=len(models) * len(suites)
        - len(ok.drop_duplicates(["registry_model", "suite"])),
        cards_to_add=tuple(cards),
        no_suite=no_suite,
        answer=ans,
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
