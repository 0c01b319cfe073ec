"""The answer to the project's question under a specification, with everything that backs it.

`answer(samples, spec)` -> `Answer`: the verdict by the written rule (curve.VERDICT_RULE),
plain-words sentences, D(lag) under the specification with its CI and units, what the data
rule out (one-sided bounds) and what they could detect (power, minimum detectable effect),
what data would settle it (more benchmarks, the missing evaluations ranked), all four
measures, one specification curve per measure and its summary, the influence of each
benchmark, per-benchmark coverage diagnostics, per-benchmark lags, cross-checks and, when
asked, the substitute finder. `Answer.to_dict()` is the JSON of `gapbench analyze --format
json`, keys documented in docs/analysis-json.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from harness.analysis._common import clean, records
from harness.analysis.columns import ANSWER_LAG_COLUMNS, ANSWER_UNDERSTATEMENT_COLUMNS, empty
from harness.analysis.inference.crosscheck import crosscheck_table, ihle_rows
from harness.analysis.inference.curve import (
    VERDICT_RULE,
    WHY_LAG,
    Verdict,
    cell_evidence,
    curve_summary,
    days,
    effective_censoring,
    influence_table,
    specification_curve,
    verdict,
)
from harness.analysis.inference.own_effect import OwnEffect, own_effect
from harness.analysis.inference.power import Power
from harness.analysis.inference.power import simulate as simulate_power
from harness.analysis.inference.settle import Settle, what_would_settle
from harness.analysis.inference.understatement import understatement
from harness.analysis.measures.censor import EXACT, LOWER, UPPER, LagData, lag_data
from harness.analysis.measures.coverage import CoverageBias, coverage_bias, coverage_table
from harness.analysis.measures.frontier import Bench, no_point_gaps
from harness.analysis.measures.hub_links import HubLinks
from harness.analysis.measures.scores import TaskMatrix, own_task_matrices
from harness.analysis.measures.substitute import substitutes as find_substitutes
from harness.analysis.prepare import Prepared, prepare
from harness.analysis.spec import (
    MEASURE_UNITS,
    PRIMARY,
    PRIMARY_MEASURE,
    AnalysisSpec,
    window_label,
)
from harness.analysis.statements import Sentences, sentences
from harness.analysis.wording import VERDICT_HEADS

JSON_KEYS = (
    "spec",
    "is_primary_spec",
    "primary_spec",
    "verdict",
    "verdict_rule",
    "sentence",
    "statements",
    "primary",
    "ruled_out",
    "power",
    "settle",
    "next_evaluations",
    "understatement",
    "sensitivity_summary",
    "sensitivity",
    "influence",
    "coverage_bias",
    "coverage",
    "lags",
    "crosschecks",
    "substitutes",
    "substitute_timeline",
    "own_rows",
    "calibration",
    "history",
    "data",
)
POWER_GRID_STEP = 0.5  # months between the planted D values the JSON lists


@dataclass(frozen=True)
class Context:
    """What an answer is told besides the samples: the Epoch Capabilities Index of an
    imported dump (the ECI cross-check, and the capability that predicts missing scores),
    where it came from, the code's commit (recorded with the result), and today's date
    (models released after it are not candidates to evaluate)."""

    eci: pd.DataFrame | None = None
    eci_source: str = ""
    code_commit: str = ""
    today: date | None = None
    # which suites measure published benchmarks and the names registry models are published
    # under: own rows of those suites join the published frontiers (measures/own_rows.py)
    hub: HubLinks | None = None


@dataclass(frozen=True)
class SubstituteQuery:
    """The substitute finder's question: a closed model, optionally one suite or kind."""

    model: str
    suite: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Answer:
    """The answer under `spec`; `to_dict()` / `to_json()` give the documented JSON."""

    spec: AnalysisSpec
    is_primary: bool
    verdict: Verdict
    words: Sentences
    primary: dict[str, object]  # the D(lag) row (ANSWER_UNDERSTATEMENT_COLUMNS)
    understatement: pd.DataFrame  # ANSWER_UNDERSTATEMENT_COLUMNS, one row per measure
    sensitivity: pd.DataFrame  # SENSITIVITY_COLUMNS, sorted by D (full benchmark sets)
    summary: dict[str, object]
    influence: pd.DataFrame  # INFLUENCE_COLUMNS
    power: Power
    settle: Settle
    coverage: pd.DataFrame  # COVERAGE_COLUMNS
    coverage_bias: CoverageBias
    lags: pd.DataFrame  # ANSWER_LAG_COLUMNS
    crosschecks: pd.DataFrame  # CROSSCHECK_COLUMNS
    substitutes: pd.DataFrame | None = None  # SUBSTITUTE_COLUMNS
    substitute_timeline: pd.DataFrame | None = None  # SUBSTITUTE_TIMELINE_COLUMNS
    data: dict[str, object] = field(default_factory=dict)
    # own rows on the published frontiers: D with and without them, and why (own_effect);
    # own vs published scores of one model (measures/calibration.py); D per Epoch snapshot
    # (history.py; set by the caller that knows the snapshots, None when not computed)
    own_rows: OwnEffect | None = None
    calibration: pd.DataFrame | None = None
    history: pd.DataFrame | None = None

    @property
    def head(self) -> str:
        """The verdict sentence alone ("Inconclusive: the data do not show ..."), the opening
        of `sentence` (for a headline; the rest carries D, what is ruled out, the cautions)."""
        return VERDICT_HEADS[self.verdict]

    @property
    def sentence(self) -> str:
        return self.words.text

    @property
    def ruled_out(self) -> dict[str, object]:
        p = self.primary
        lo, hi = (float(p.get(k, np.nan)) for k in ("at_least", "at_most"))  # type: ignore[arg-type]
        ok = p.get("status") == "ok" and np.isfinite(lo) and np.isfinite(hi)
        return {
            "measure": PRIMARY_MEASURE,
            "unit": MEASURE_UNITS[PRIMARY_MEASURE],
            "level": self.spec.ci,
            "at_least": lo if ok else None,
            "at_most": hi if ok else None,
            "margin": max(abs(lo), abs(hi)) if ok else None,
            "statement": self.words.ruled_out,
        }

    def power_grid(self) -> list[float]:
        mde = self.power.mde
        top = max(4.0, float(np.ceil(2 * mde)) if np.isfinite(mde) else 4.0)
        return [float(x) for x in np.arange(0.0, top + 1e-9, POWER_GRID_STEP)]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "spec": self.spec.to_dict(),
            "is_primary_spec": self.is_primary,
            "primary_spec": PRIMARY.to_dict(),
            "verdict": self.verdict,
            "verdict_rule": VERDICT_RULE,
            "sentence": self.sentence,
            "statements": self.words.to_dict(),
            "primary": clean(self.primary),
            "ruled_out": clean(self.ruled_out),
            "power": clean({**self.power.to_dict(self.power_grid()), "measure": PRIMARY_MEASURE}),
            "settle": clean(self.settle.to_dict()),
            "next_evaluations": records(self.settle.ranked),
            "understatement": records(self.understatement),
            "sensitivity_summary": clean(self.summary),
            "sensitivity": records(self.sensitivity),
            "influence": records(self.influence),
            "coverage_bias": self.coverage_bias.to_dict(),
            "coverage": records(self.coverage),
            "lags": records(self.lags),
            "crosschecks": records(self.crosschecks),
            "substitutes": None if self.substitutes is None else records(self.substitutes),
            "substitute_timeline": None
            if self.substitute_timeline is None
            else records(self.substitute_timeline),
            "own_rows": None if self.own_rows is None else self.own_rows.to_dict(),
            "calibration": None if self.calibration is None else records(self.calibration),
            "history": None if self.history is None else records(self.history),
            "data": clean(self.data),
        }
        assert tuple(out) == JSON_KEYS
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def answer_table(tests: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    """The understatement rows (from `understatement`) in the answer's columns."""
    rows = []
    for r in tests.to_dict("records"):
        m = str(r["measure"])
        rows.append(
            {
                **{k: r.get(k) for k in ANSWER_UNDERSTATEMENT_COLUMNS},
                "measure": m,
                "unit": MEASURE_UNITS[m],
                "window": window_label(spec.since, spec.until),
                "since": spec.since,
                "until": spec.until,
                "censoring": effective_censoring(spec, m),
                "averaging": spec.averaging,
                "p_one_sided": r["p_value"],
            }
        )
    cols = ANSWER_UNDERSTATEMENT_COLUMNS
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def lag_summary(
    bench_list: list[Bench], cache: dict[str, LagData], start: float, end: float
) -> pd.DataFrame:
    """Per benchmark: mean of its exact counted lags in the window, and how many bounds."""
    rows = []
    for b in bench_list:
        data = cache.get(b.name)
        if data is None:
            continue
        inside = data.in_window(start, end)
        st = np.array(data.status, dtype=object)
        exact = (st == EXACT) & inside
        rows.append(
            {
                "suite": b.name,
                "kind": b.kind,
                "mean_lag": float(data.lo[exact].mean()) if exact.any() else np.nan,
                "n": int(exact.sum()),
                "n_lower": int(((st == LOWER) & inside).sum()),
                "n_upper": int(((st == UPPER) & inside).sum()),
            }
        )
    return pd.DataFrame(rows, columns=ANSWER_LAG_COLUMNS) if rows else empty(ANSWER_LAG_COLUMNS)


def data_facts(
    prep: Prepared, spec: AnalysisSpec, ctx: Context, n_bounds: int
) -> dict[str, object]:
    """What went in: rows (as analysed, and per source with the data version), benchmarks,
    models after identity grouping, the code's commit."""
    s = prep.samples
    sources = []
    if not s.empty and "source" in s:
        src = s["source"].astype(str).fillna("own")
        ver = (
            s["engine_version"].astype(str)
            if "engine_version" in s
            else pd.Series("", index=s.index)
        )
        for name, part in s.groupby(src, sort=True, observed=True):
            versions = sorted(set(ver[part.index]) - {"", "nan", "None"})
            imported = str(name).startswith("imported:")
            sources.append(
                {
                    "source": str(name),
                    "rows": len(part),
                    "models": int(part["model_id"].nunique()),
                    # an imported dump's version names it and its date (epoch-hub-2026-04)
                    "version": ", ".join(versions) if imported else "",
                }
            )
    return {
        "rows": len(s),
        "rows_read": prep.n_read,
        "canary_rows_left_out": prep.n_canary,
        "rows_left_out_by_mapping": prep.n_read - prep.n_canary - len(s),
        "sources": sources,
        "models": int(s["model_id"].nunique()) if not s.empty else 0,
        "benchmarks": sorted(b.name for b in prep.benches),
        "borderline": sorted(prep.borderline),
        "mapping": spec.mapping or "stored kinds",
        "bounds_in_understatement": n_bounds,
        "code_commit": ctx.code_commit,
    }


def answer_from(
    prep: Prepared,
    spec: AnalysisSpec,
    tests: pd.DataFrame,
    *,
    context: Context | None = None,
    substitute: SubstituteQuery | None = None,
) -> Answer:
    """The answer from prepared data and the spec's understatement rows (`understatement`
    run with the spec's window, censoring, averaging and replicates)."""
    ctx = context or Context()
    bench_list = prep.benches
    subs = timeline = None
    if substitute is not None:  # first: a bad model name fails before the curve is computed
        subs, timeline = find_substitutes(
            bench_list, substitute.model, suite=substitute.suite, kind=substitute.kind
        )
    start, end = days(spec.since, -np.inf), days(spec.until, np.inf)
    no_points = no_point_gaps(bench_list)
    table = answer_table(tests, spec)
    rows = {str(r["measure"]): r for r in table.to_dict("records")}
    cache: dict[tuple[str, str], LagData] = {}
    curve = specification_curve(
        bench_list,
        spec,
        borderline=prep.borderline,
        no_points=no_points,
        primary_rows=rows,
        lag_cache=cache,
    )
    summary = {**curve_summary(curve), "curve_replicates": spec.curve_replicates, "why": WHY_LAG}
    influence = influence_table(
        bench_list, spec, no_points=no_points, primary_rows=rows, lag_cache=cache
    )
    primary = rows.get(PRIMARY_MEASURE) or {"status": "insufficient", "reason": "no data"}
    evs = cell_evidence(bench_list, PRIMARY_MEASURE, spec.censoring, start, end, no_points, cache)
    power = simulate_power(
        evs,
        float(primary.get("d", np.nan)),
        averaging=spec.averaging,
        level=spec.ci,
        n_sims=spec.power_simulations,
        n_boot=spec.curve_replicates,
        seed=spec.seed,
    )
    settle = what_would_settle(
        bench_list, spec, primary, scores=prep.scores, eci=ctx.eci, today=ctx.today
    )
    v = verdict(primary, summary)
    lag_cache = {
        b.name: cache.get((b.name, spec.censoring)) or lag_data(b, spec.censoring)
        for b in bench_list
        if b.has_pair
    }
    cov = coverage_table(
        bench_list,
        censoring=spec.censoring,
        start=start,
        end=end,
        borderline=prep.borderline,
        lag_cache=lag_cache,
    )
    bias = coverage_bias(cov, set(cov.loc[cov["counted"] > 0, "benchmark"]))
    is_primary = spec.same_method(PRIMARY)
    n_bounds = int(tests["n_bounds"].sum()) if "n_bounds" in tests else 0
    return Answer(
        spec=spec,
        is_primary=is_primary,
        verdict=v,
        words=sentences(v, spec, is_primary, primary, summary, bias.note, power, settle),
        primary=primary,
        understatement=table,
        sensitivity=curve,
        summary=summary,
        influence=influence,
        power=power,
        settle=settle,
        coverage=cov,
        coverage_bias=bias,
        lags=lag_summary(bench_list, lag_cache, start, end),
        crosschecks=crosscheck_table(
            eci=ctx.eci,
            since=spec.since,
            until=spec.until,
            start=start,
            end=end,
            ihle_rows=ihle_rows(bench_list, spec.since, spec.until, start, end),
            eci_source=ctx.eci_source,
        ),
        substitutes=subs,
        substitute_timeline=timeline,
        data=data_facts(prep, spec, ctx, n_bounds),
        own_rows=own_effect(primary, bench_list, prep.published, spec, prep.own),
        calibration=prep.own.calibration if prep.own is not None else None,
    )


def run_tests(
    prep: Prepared,
    spec: AnalysisSpec,
    task_matrices: Mapping[str, TaskMatrix] | None = None,
) -> pd.DataFrame:
    """The four measures under the spec (window, censoring, averaging, replicates, CI)."""
    no_points = no_point_gaps(prep.benches)
    return understatement(
        prep.benches,
        window=spec.window if (spec.since or spec.until) else None,
        task_matrices=task_matrices,
        exclude={"score_gap": no_points, "score_gap_logit": no_points},
        n_boot=spec.replicates,
        seed=spec.seed,
        level=spec.ci,
        censoring=spec.censoring,
        averaging=spec.averaging,
    )


def answer(
    samples: pd.DataFrame,
    spec: AnalysisSpec = PRIMARY,
    *,
    context: Context | None = None,
    substitute: SubstituteQuery | None = None,
    null_baselines: Mapping[str, float] | None = None,
    scales: Mapping[str, str] | None = None,
    task_matrices: Mapping[str, TaskMatrix] | None = None,
) -> Answer:
    """The answer from a samples table (Store(...).samples()) under `spec`."""
    hub = context.hub if context is not None else None
    prep = prepare(samples, spec, null_baselines=null_baselines, scales=scales, hub=hub)
    if task_matrices is None:
        task_matrices = own_task_matrices(prep.samples, prep.scores)
    tests = run_tests(prep, spec, task_matrices)
    return answer_from(prep, spec, tests, context=context, substitute=substitute)
