"""The answer to the project's question under a specification, with everything that backs it.

`answer(samples, spec)` -> `Answer`: the verdict by the written rule (curve.VERDICT_RULE),
a plain-words sentence, D(lag) under the specification with its CI and units, all four
measures, the specification curve and its summary shares, per-benchmark coverage
diagnostics (and the shift thin open coverage alone could cause), per-benchmark lags,
cross-checks (ECI lag from the same dump, the published figures as cited data) and, when
asked, the substitute finder. `Answer.to_dict()` is the JSON of `gapbench analyze --format
json`, keys documented in docs/analysis-json.md.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from harness.analysis._common import analysis_frame, without_canaries
from harness.analysis.columns import (
    ANSWER_LAG_COLUMNS,
    ANSWER_UNDERSTATEMENT_COLUMNS,
    empty,
)
from harness.analysis.inference.crosscheck import crosscheck_table, published_figures
from harness.analysis.inference.curve import (
    VERDICT_RULE,
    Verdict,
    curve_summary,
    days,
    effective_censoring,
    specification_curve,
    verdict,
)
from harness.analysis.inference.understatement import understatement
from harness.analysis.mapping import apply_mapping, load_kind_mapping
from harness.analysis.measures.censor import EXACT, LOWER, UPPER, LagData, lag_data
from harness.analysis.measures.coverage import CoverageBias, coverage_bias, coverage_table
from harness.analysis.measures.frontier import Bench, benches, no_point_gaps
from harness.analysis.measures.scores import TaskMatrix, model_scores, own_task_matrices
from harness.analysis.measures.substitute import substitutes as find_substitutes
from harness.analysis.spec import (
    MEASURE_UNITS,
    PRIMARY,
    PRIMARY_MEASURE,
    AnalysisSpec,
    window_label,
)
from harness.analysis.wording import VERDICT_HEADS, verdict_sentence
from harness.errors import UserError

JSON_KEYS = (
    "spec",
    "is_primary_spec",
    "primary_spec",
    "verdict",
    "verdict_rule",
    "sentence",
    "primary",
    "understatement",
    "sensitivity_summary",
    "sensitivity",
    "coverage_bias",
    "coverage",
    "lags",
    "crosschecks",
    "substitutes",
    "substitute_timeline",
    "data",
)


@dataclass(frozen=True)
class Prepared:
    """What an answer is computed from: canary-free, kind-mapped samples and their benchmarks."""

    samples: pd.DataFrame
    scores: pd.DataFrame
    benches: list[Bench]  # the spec's benchmark set (all, or the --benchmarks subset)
    borderline: set[str]
    n_canary: int


def prepare(
    samples: pd.DataFrame,
    spec: AnalysisSpec,
    *,
    null_baselines: Mapping[str, float] | None = None,
    scales: Mapping[str, str] | None = None,
    n_boot: int = 1000,
) -> Prepared:
    """Drop canaries, apply the spec's kind mapping, score, and pick the benchmark set.

    Raises UserError naming --benchmarks for a name the data do not have.
    """
    samples = analysis_frame(samples)  # the columns read, text as categoricals (speed)
    clean = without_canaries(samples)
    mapping = load_kind_mapping(spec.mapping) if spec.mapping else None
    mapped = apply_mapping(clean, mapping)
    scores = model_scores(mapped, null_baselines=null_baselines, n_boot=n_boot, seed=spec.seed)
    ok = scores[scores["status"] == "ok"]
    bench_list = benches(ok, dict(scales or {}))
    names = set(scores["benchmark"]) if not scores.empty else set()
    if spec.benchmarks is not None:
        unknown = sorted(set(spec.benchmarks) - names)
        if unknown:
            known = ", ".join(sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
            raise UserError(
                f"--benchmarks: unknown benchmark {unknown[0]!r} (known: {known or 'none'})"
            )
        bench_list = [b for b in bench_list if b.name in spec.benchmarks]
    borderline = set()
    if not mapped.empty:
        flagged = mapped.loc[mapped["borderline"].astype(bool)]
        borderline = set(scores.loc[scores["suite"].isin(set(flagged["suite"])), "benchmark"])
    return Prepared(mapped, scores, bench_list, borderline, len(samples) - len(clean))


@dataclass(frozen=True)
class Answer:
    """The answer under `spec`; `to_dict()` / `to_json()` give the documented JSON."""

    spec: AnalysisSpec
    is_primary: bool
    verdict: Verdict
    sentence: str
    primary: dict[str, object]  # the D(lag) row (ANSWER_UNDERSTATEMENT_COLUMNS)
    understatement: pd.DataFrame  # ANSWER_UNDERSTATEMENT_COLUMNS, one row per measure
    sensitivity: pd.DataFrame  # SENSITIVITY_COLUMNS, sorted by D
    summary: dict[str, object]
    coverage: pd.DataFrame  # COVERAGE_COLUMNS
    coverage_bias: CoverageBias
    lags: pd.DataFrame  # ANSWER_LAG_COLUMNS
    crosschecks: pd.DataFrame  # CROSSCHECK_COLUMNS
    substitutes: pd.DataFrame | None = None  # SUBSTITUTE_COLUMNS
    substitute_timeline: pd.DataFrame | None = None  # SUBSTITUTE_TIMELINE_COLUMNS
    data: dict[str, object] | None = None

    @property
    def head(self) -> str:
        """The verdict sentence alone ("Inconclusive: the data do not show ..."), the opening
        of `sentence` (for a headline; the rest of `sentence` carries D and the cautions)."""
        return VERDICT_HEADS[self.verdict]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "spec": self.spec.to_dict(),
            "is_primary_spec": self.is_primary,
            "primary_spec": PRIMARY.to_dict(),
            "verdict": self.verdict,
            "verdict_rule": VERDICT_RULE,
            "sentence": self.sentence,
            "primary": _clean(self.primary),
            "understatement": records(self.understatement),
            "sensitivity_summary": _clean(self.summary),
            "sensitivity": records(self.sensitivity),
            "coverage_bias": self.coverage_bias.to_dict(),
            "coverage": records(self.coverage),
            "lags": records(self.lags),
            "crosschecks": records(self.crosschecks),
            "substitutes": None if self.substitutes is None else records(self.substitutes),
            "substitute_timeline": None
            if self.substitute_timeline is None
            else records(self.substitute_timeline),
            "data": _clean(self.data or {}),
        }
        assert tuple(out) == JSON_KEYS
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)


def _clean(value: Any) -> Any:
    """JSON-ready: NaN/inf -> None, dates -> ISO strings, numpy scalars -> Python."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is pd.NaT or (not isinstance(value, str | bool | int) and pd.isna(value)):
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, object]]:
    return [_clean(r) for r in df.to_dict("records")]


def answer_table(tests: pd.DataFrame, spec: AnalysisSpec) -> pd.DataFrame:
    """The understatement rows (from `understatement`) in the answer's columns."""
    rows = []
    for r in tests.to_dict("records"):
        rows.append(
            {
                "measure": r["measure"],
                "unit": MEASURE_UNITS[str(r["measure"])],
                "window": window_label(spec.since, spec.until),
                "since": spec.since,
                "until": spec.until,
                "censoring": effective_censoring(spec, str(r["measure"])),
                "averaging": spec.averaging,
                **{k: r[k] for k in ("agentic", "standard", "d", "ci_low", "ci_high")},
                "p_one_sided": r["p_value"],
                **{k: r[k] for k in ("n_agentic", "n_standard", "n_bounds", "status", "reason")},
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


def _ihle_rows(bench_list: list[Bench], spec: AnalysisSpec) -> list[dict[str, object]]:
    """gapbench's pooled threshold lag on Ihle 2026's public / private lists (his censoring
    is by judgement; "both" is the closest mechanical rule), in the spec's window."""
    figs = published_figures()
    start, end = days(spec.since, -np.inf), days(spec.until, np.inf)
    out = []
    for label, names in (("public", figs.ihle_public), ("private", figs.ihle_private)):
        lags: list[float] = []
        used = 0
        for b in bench_list:
            if b.name.split("@")[0] not in names or not b.has_pair:
                continue
            d = lag_data(b, "both")
            sel = d.counted & d.in_window(start, end)
            lags.extend(d.lo[sel].tolist())
            used += bool(sel.any())
        out.append(
            {
                "check": f"gapbench: pooled threshold lag on Ihle's {label} benchmarks",
                "origin": "gapbench",
                "kind": label,
                "value": float(np.mean(lags)) if lags else np.nan,
                "low": np.nan,
                "high": np.nan,
                "unit": "months",
                "window": window_label(spec.since, spec.until),
                "n": len(lags),
                "source": f"{used} of {len(names)} benchmarks have a datapoint",
            }
        )
    return out


def answer_from(
    prep: Prepared,
    spec: AnalysisSpec,
    tests: pd.DataFrame,
    *,
    eci: pd.DataFrame | None = None,
    eci_source: str = "",
    substitute: str | None = None,
    substitute_suite: str | None = None,
    substitute_kind: str | None = None,
) -> Answer:
    """The answer from prepared data and the spec's understatement rows (`understatement`
    run with the spec's window, censoring, averaging and replicates)."""
    bench_list = prep.benches
    subs = timeline = None
    if substitute is not None:  # first: a bad model name fails before the curve is computed
        subs, timeline = find_substitutes(
            bench_list, substitute, suite=substitute_suite, kind=substitute_kind
        )
    start, end = days(spec.since, -np.inf), days(spec.until, np.inf)
    no_points = no_point_gaps(bench_list)
    table = answer_table(tests, spec)
    rows = {str(r["measure"]): r for r in table.to_dict("records")}
    curve_cache: dict[tuple[str, str], LagData] = {}
    curve = specification_curve(
        bench_list,
        spec,
        borderline=prep.borderline,
        no_points=no_points,
        primary_rows=rows,
        lag_cache=curve_cache,
    )
    summary = {**curve_summary(curve), "curve_replicates": spec.curve_replicates}
    primary = rows.get(PRIMARY_MEASURE) or {"status": "insufficient", "reason": "no data"}
    v = verdict(primary, summary)
    lag_cache = {
        b.name: curve_cache.get((b.name, spec.censoring)) or lag_data(b, spec.censoring)
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
    in_d = set(cov.loc[cov["counted"] > 0, "benchmark"])
    bias = coverage_bias(cov, in_d)
    is_primary = spec.same_method(PRIMARY)
    n_points = int(tests["n_bounds"].sum()) if "n_bounds" in tests else 0
    return Answer(
        spec=spec,
        is_primary=is_primary,
        verdict=v,
        sentence=verdict_sentence(v, spec, is_primary, primary, summary, bias.note),
        primary=primary,
        understatement=table,
        sensitivity=curve,
        summary=summary,
        coverage=cov,
        coverage_bias=bias,
        lags=lag_summary(bench_list, lag_cache, start, end),
        crosschecks=crosscheck_table(
            eci=eci,
            since=spec.since,
            until=spec.until,
            start=start,
            end=end,
            ihle_rows=_ihle_rows(bench_list, spec),
            eci_source=eci_source,
        ),
        substitutes=subs,
        substitute_timeline=timeline,
        data={
            "rows": len(prep.samples),
            "canary_rows_left_out": prep.n_canary,
            "benchmarks": sorted(b.name for b in bench_list),
            "borderline": sorted(prep.borderline),
            "mapping": spec.mapping or "stored kinds",
            "bounds_in_understatement": n_points,
        },
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
    eci: pd.DataFrame | None = None,
    eci_source: str = "",
    substitute: str | None = None,
    substitute_suite: str | None = None,
    substitute_kind: str | None = None,
    null_baselines: Mapping[str, float] | None = None,
    scales: Mapping[str, str] | None = None,
    task_matrices: Mapping[str, TaskMatrix] | None = None,
) -> Answer:
    """The answer from a samples table (Store(...).samples()) under `spec`."""
    prep = prepare(samples, spec, null_baselines=null_baselines, scales=scales)
    if task_matrices is None:
        task_matrices = own_task_matrices(prep.samples, prep.scores)
    tests = run_tests(prep, spec, task_matrices)
    return answer_from(
        prep,
        spec,
        tests,
        eci=eci,
        eci_source=eci_source,
        substitute=substitute,
        substitute_suite=substitute_suite,
        substitute_kind=substitute_kind,
    )
