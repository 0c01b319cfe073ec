"""The specification curve, the influence of each benchmark, and the written rule that turns
the primary specification and the curve into a verdict.

The curve: D and its CI under every defensible combination of choices over the full
benchmark set: censoring (lag: all five rules; catch-up: all but "bounds", which has no
interval form for an area; score gaps: not applicable) x window (all dates, open crossings
since 2024, since 2025, and the specification's own window) x benchmark set (all, and
borderline kinds out) x averaging (benchmark, pooled), one curve per measure (lag, catch-up,
score gap, logit score gap: they are in different units and answer differently, so they are
summarised apart; the verdict reads the lag's). Each uses `spec.curve_replicates` bootstrap
replicates (fewer than the primary's, for speed); the row of the specification itself
carries the primary computation, so the same numbers appear everywhere.

Leaving one benchmark out is not a specification (nobody would choose it); it says how much
one benchmark moves D, so it is its own table (`influence_table`), sorted by that shift.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd

from harness.analysis._common import to_days
from harness.analysis.columns import INFLUENCE_COLUMNS, SENSITIVITY_COLUMNS, empty
from harness.analysis.inference.dtest import d_row
from harness.analysis.measures.censor import LagData, lag_data
from harness.analysis.measures.evidence import KINDS, Evidence, evidence
from harness.analysis.measures.frontier import Bench
from harness.analysis.spec import (
    AVERAGINGS,
    CENSORINGS,
    MEASURE_UNITS,
    MEASURES,
    PRIMARY_MEASURE,
    AnalysisSpec,
    window_label,
)

Verdict = Literal["supported", "contradicted", "inconclusive"]
CURVE_WINDOWS: tuple[tuple[date | None, date | None], ...] = (
    (None, None),
    (date(2024, 1, 1), None),
    (date(2025, 1, 1), None),
)
AGREEMENT = 0.8  # share of specifications that must agree in sign for a verdict
VERDICT_RULE = (
    "supported only when the primary specification's CI for D(lag) lies above 0 and at "
    f"least {AGREEMENT:.0%} of the threshold-lag specifications on the curve have D > 0; "
    f"contradicted when its CI lies below 0 and at least {AGREEMENT:.0%} of them have D < 0; "
    "otherwise inconclusive"
)
# why the verdict reads the threshold lag, said where the curve is shown
WHY_LAG = (
    "The threshold lag is the primary measure: the question is about time, it is the "
    "published method (Ihle 2026), and unlike a score gap it is not compressed near a "
    "ceiling or tied to a benchmark's scale; the other measures are shown on their own curves."
)


def censorings_for(measure: str) -> tuple[str, ...]:
    if measure == "lag_months":
        return CENSORINGS
    if measure == "catchup_months":
        return tuple(c for c in CENSORINGS if c != "bounds")
    return ("n/a",)


def effective_censoring(spec: AnalysisSpec, measure: str) -> str:
    """The censoring a measure is computed with under `spec` (catch-up has no bounds form)."""
    if measure == "catchup_months":
        return "both" if spec.censoring == "bounds" else spec.censoring
    return spec.censoring if measure == "lag_months" else "n/a"


def days(d: date | None, default: float) -> float:
    return float(to_days(pd.Series([d]))[0]) if d is not None else default


def _sets(evs: list[Evidence], borderline: set[str]) -> Iterator[tuple[str, list[Evidence]]]:
    yield "all", evs
    if any(e.benchmark in borderline for e in evs):
        yield "borderline kinds out", [e for e in evs if e.benchmark not in borderline]


def cell_evidence(
    bench_list: list[Bench],
    measure: str,
    censoring: str,
    start: float,
    end: float,
    no_points: set[str],
    lag_cache: dict[tuple[str, str], LagData],
) -> list[Evidence]:
    """Every benchmark's evidence for one (measure, censoring, window) cell."""
    out = []
    cens = "both" if censoring == "n/a" else censoring
    for b in bench_list:
        if b.kind not in KINDS or not b.has_pair:
            continue
        if measure in ("score_gap", "score_gap_logit") and b.name in no_points:
            continue
        data = None
        if measure == "lag_months":
            key = (b.name, cens)
            if key not in lag_cache:
                lag_cache[key] = lag_data(b, cens)  # type: ignore[arg-type]
            data = lag_cache[key]
        ev = evidence(b, measure, start, end, cens, data)  # type: ignore[arg-type]
        if ev is not None:
            out.append(ev)
    return out


def specification_curve(
    bench_list: list[Bench],
    spec: AnalysisSpec,
    *,
    borderline: set[str],
    no_points: set[str],
    primary_rows: dict[str, dict[str, object]],
    lag_cache: dict[tuple[str, str], LagData] | None = None,
) -> pd.DataFrame:
    """SENSITIVITY_COLUMNS, sorted by D (insufficient specifications last).

    primary_rows: measure -> the full computation of `spec` itself (its "all" set with the
    spec's censoring, window and averaging), used in place of a curve replicate run.
    """
    rng = np.random.default_rng(spec.seed + 1)
    cache = lag_cache if lag_cache is not None else {}
    windows = list(CURVE_WINDOWS)
    if spec.window not in windows:
        windows.append(spec.window)
    rows: list[dict[str, object]] = []
    for since, until in windows:
        start, end = days(since, -np.inf), days(until, np.inf)
        for measure in MEASURES:
            for censoring in censorings_for(measure):
                evs = cell_evidence(bench_list, measure, censoring, start, end, no_points, cache)
                seen: set[frozenset[str]] = set()
                memo: dict[tuple[object, ...], tuple[float, np.ndarray]] = {}
                for set_name, subset in _sets(evs, borderline):
                    key = frozenset(e.benchmark for e in subset)
                    if key in seen:
                        continue
                    seen.add(key)
                    for averaging in AVERAGINGS:
                        own = (
                            set_name == "all"
                            and (since, until) == spec.window
                            and averaging == spec.averaging
                            and censoring == effective_censoring(spec, measure)
                        )
                        r = (
                            primary_rows[measure]
                            if own and measure in primary_rows
                            else d_row(
                                subset,
                                averaging=averaging,
                                n_boot=spec.curve_replicates,
                                rng=rng,
                                level=spec.ci,
                                memo=memo,
                            )
                        )
                        rows.append(
                            {
                                "measure": measure,
                                "unit": MEASURE_UNITS[measure],
                                "censoring": censoring,
                                "window": window_label(since, until),
                                "benchmark_set": set_name,
                                "averaging": averaging,
                                **{
                                    k: r[k]
                                    for k in (
                                        "agentic",
                                        "standard",
                                        "d",
                                        "ci_low",
                                        "ci_high",
                                        "p_one_sided",
                                        "n_agentic",
                                        "n_standard",
                                        "status",
                                        "reason",
                                    )
                                },
                                "is_primary": own and measure == PRIMARY_MEASURE,
                            }
                        )
    if not rows:
        return empty(SENSITIVITY_COLUMNS)
    df = pd.DataFrame(rows)
    ok = df["status"] == "ok"
    df = pd.concat([df[ok].sort_values("d", kind="stable"), df[~ok]], ignore_index=True)
    df.insert(0, "rank", np.arange(1, len(df) + 1))
    return df[SENSITIVITY_COLUMNS]


def influence_table(
    bench_list: list[Bench],
    spec: AnalysisSpec,
    *,
    no_points: set[str],
    primary_rows: dict[str, dict[str, object]],
    lag_cache: dict[tuple[str, str], LagData] | None = None,
) -> pd.DataFrame:
    """INFLUENCE_COLUMNS: per measure, D under `spec` with each benchmark left out in turn,
    and how far that moves D from the full set (`shift`), largest shift first."""
    rng = np.random.default_rng(spec.seed + 2)
    cache = lag_cache if lag_cache is not None else {}
    start, end = days(spec.since, -np.inf), days(spec.until, np.inf)
    rows: list[dict[str, object]] = []
    for measure in MEASURES:
        full = primary_rows.get(measure)
        if full is None or full.get("status") != "ok":
            continue
        censoring = effective_censoring(spec, measure)
        evs = cell_evidence(bench_list, measure, censoring, start, end, no_points, cache)
        memo: dict[tuple[object, ...], tuple[float, np.ndarray]] = {}
        part = []
        for e in evs:
            r = d_row(
                [x for x in evs if x.benchmark != e.benchmark],
                averaging=spec.averaging,
                n_boot=spec.curve_replicates,
                rng=rng,
                level=spec.ci,
                memo=memo,
            )
            ok = r["status"] == "ok"
            part.append(
                {
                    "measure": measure,
                    "unit": MEASURE_UNITS[measure],
                    "benchmark": e.benchmark,
                    "kind": e.kind,
                    "d_without": r["d"],
                    "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"],
                    "shift": _diff(r["d"], full["d"]) if ok else np.nan,
                    "n_agentic": r["n_agentic"],
                    "n_standard": r["n_standard"],
                    "status": r["status"],
                    "reason": r["reason"],
                }
            )
        part.sort(key=lambda x: -abs(_f(x["shift"])) if np.isfinite(_f(x["shift"])) else 1.0)
        rows.extend(part)
    return pd.DataFrame(rows, columns=INFLUENCE_COLUMNS) if rows else empty(INFLUENCE_COLUMNS)


def _f(x: object) -> float:
    try:
        return float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _diff(a: object, b: object) -> float:
    return _f(a) - _f(b)


def curve_summary(curve: pd.DataFrame) -> dict[str, object]:
    """Shares over the specifications that gave a number, per measure (`by_measure`: the
    measures differ in unit and in answer, so they are never pooled); the top-level shares
    are the primary measure's (the threshold lag), the ones the verdict reads."""
    ok = curve[curve["status"] == "ok"]

    def shares(df: pd.DataFrame, n_bad: int) -> dict[str, object]:
        n = len(df)
        out: dict[str, object] = {"n_specs": n, "n_insufficient": n_bad}
        if not n:
            return out
        d, lo, hi = (df[c].astype(float) for c in ("d", "ci_low", "ci_high"))
        return {
            **out,
            "share_d_positive": float((d > 0).mean()),
            "share_d_negative": float((d < 0).mean()),
            "share_ci_above_zero": float((lo > 0).mean()),
            "share_ci_below_zero": float((hi < 0).mean()),
            "median_d": float(d.median()),
            "min_d": float(d.min()),
            "max_d": float(d.max()),
        }

    by = {}
    for m in MEASURES:
        bad = int(((curve["measure"] == m) & (curve["status"] != "ok")).sum())
        by[m] = {"unit": MEASURE_UNITS[m], **shares(ok[ok["measure"] == m], bad)}
    return {"measure": PRIMARY_MEASURE, **by[PRIMARY_MEASURE], "by_measure": by}


def verdict(primary: dict[str, object], summary: dict[str, object]) -> Verdict:
    """The written rule (VERDICT_RULE)."""
    if primary.get("status") != "ok" or not summary.get("n_specs"):
        return "inconclusive"
    lo, hi = float(primary["ci_low"]), float(primary["ci_high"])  # type: ignore[arg-type]
    if lo > 0 and float(summary["share_d_positive"]) >= AGREEMENT:  # type: ignore[arg-type]
        return "supported"
    if hi < 0 and float(summary["share_d_negative"]) >= AGREEMENT:  # type: ignore[arg-type]
        return "contradicted"
    return "inconclusive"
