"""Assemble every analysis table into ReportTables, and say the headline in a few sentences.

Used by `gapbench report` and `gapbench analyze`. Flags name what was left out and why;
where the data cannot support a number the row says "insufficient" with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from harness.analysis._common import AGGREGATE_ID
from harness.analysis.frontier import Bench, benches, frontier_table, gap_table
from harness.analysis.horizon import horizons
from harness.analysis.ladder import ladder
from harness.analysis.lag import catchup_table, lag_table
from harness.analysis.passk import passk
from harness.analysis.scores import (
    TaskMatrix,
    model_scores,
    scored_rows,
    task_matrix,
    with_benchmark,
)
from harness.analysis.tables import FLAG_COLUMNS, ReportTables, empty
from harness.analysis.trend import kind_trend
from harness.analysis.understatement import Window, understatement, window_days, window_label

SATURATED_HIGH = 0.9
SATURATED_LOW = 0.1


def saturation(b: Bench) -> str | None:
    """Why a fraction-scale benchmark's score gap is not informative, or None."""
    if b.scale != "fraction":
        return None
    top = max(
        float(b.closed.best[-1]) if b.closed.scores.size else -np.inf,
        float(b.open.best[-1]) if b.open.scores.size else -np.inf,
    )
    if top > SATURATED_HIGH:
        return f"saturated: frontier {top:.2f} > {SATURATED_HIGH}"
    if top < SATURATED_LOW:
        return f"floor: frontier {top:.2f} < {SATURATED_LOW}"
    return None


def _flags(
    scores: pd.DataFrame, bench_list: list[Bench], lags: pd.DataFrame, tests: pd.DataFrame
) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    undated = scores[pd.to_datetime(scores["release_date"], errors="coerce").isna()]
    for m in sorted(set(undated["model_id"])):
        rows.append(
            {"scope": "model", "item": m, "reason": "no release date: left off the timeline"}
        )
    for m in sorted(set(scores.loc[~scores["access"].isin(["open", "closed"]), "model_id"])):
        rows.append({"scope": "model", "item": m, "reason": "access is neither open nor closed"})
    for _, r in scores[scores["status"] == "insufficient"].iterrows():
        rows.append(
            {
                "scope": "score",
                "item": f"{r['model_id']} / {r['benchmark']}",
                "reason": f"too few samples: {r['reason']}",
            }
        )
    for b in bench_list:
        if not b.has_pair:
            rows.append(
                {
                    "scope": "benchmark",
                    "item": b.name,
                    "reason": f"too few model pairs: {b.closed.scores.size} closed, "
                    f"{b.open.scores.size} open",
                }
            )
            continue
        sat = saturation(b)
        if sat:
            rows.append(
                {
                    "scope": "benchmark",
                    "item": b.name,
                    "reason": f"{sat}; left out of the score-gap tests",
                }
            )
        used = (
            lags[(lags["benchmark"] == b.name) & lags["used"].astype(bool)]
            if not lags.empty
            else lags
        )
        if used.empty:
            rows.append(
                {
                    "scope": "benchmark",
                    "item": b.name,
                    "reason": "no uncensored threshold crossed by both sides: no lag",
                }
            )
    for _, r in tests[tests["status"] == "insufficient"].iterrows():
        rows.append(
            {"scope": "understatement", "item": str(r["measure"]), "reason": str(r["reason"])}
        )
    return pd.DataFrame(rows, columns=FLAG_COLUMNS) if rows else empty(FLAG_COLUMNS)


def _task_matrices(samples: pd.DataFrame, scores: pd.DataFrame) -> dict[str, TaskMatrix]:
    """Task matrices for benchmarks gapbench ran itself (not imported aggregates)."""
    ok = scores.loc[scores["status"] == "ok", ["model_id", "benchmark"]]
    sc = scored_rows(with_benchmark(samples))
    sc = sc[sc["sample_id"] != AGGREGATE_ID].merge(ok, on=["model_id", "benchmark"])
    return {str(name): task_matrix(g) for name, g in sc.groupby("benchmark")}


def build_report_tables(
    samples: pd.DataFrame,
    *,
    window: Window = None,
    null_baselines: Mapping[str, float] | None = None,
    title: str = "gapbench report",
    scales: Mapping[str, str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> ReportTables:
    """Every table of the report from a samples table (Store(...).samples()).

    window: (start, end) dates (either may be None) for the understatement test; lags and
    catch-up are dated at the open crossing, score gaps averaged over the window.
    scales: benchmark -> "fraction" | "horizon" where the score scale is not evident.
    """
    scores = model_scores(
        samples, null_baselines=null_baselines, n_boot=min(n_boot, 1000), seed=seed
    )
    ok_scores = scores[scores["status"] == "ok"]
    bench_list = benches(ok_scores, dict(scales or {}))
    lags = lag_table(bench_list)
    start, end = window_days(window)
    # score gaps in points need a 0..1 scale away from floor and ceiling: saturated and
    # horizon-scale (minutes) benchmarks enter the lag measures only
    no_points = {b.name for b in bench_list if saturation(b) or b.scale == "horizon"}
    tests = understatement(
        bench_list,
        window=window,
        task_matrices=_task_matrices(samples, scores),
        exclude={"score_gap": no_points, "score_gap_logit": no_points},
        n_boot=n_boot,
        seed=seed,
    )
    hz, hz_gap = horizons(samples, n_boot=min(n_boot, 500), seed=seed)
    return ReportTables(
        scores=scores,
        frontier=frontier_table(bench_list),
        gaps=gap_table(bench_list),
        lags=lags,
        understatement=tests,
        horizons=hz,
        passk=passk(samples),
        ladder=ladder(samples, n_boot=n_boot, seed=seed),
        flags=_flags(scores, bench_list, lags, tests),
        catchup=catchup_table(bench_list, start, end),
        horizon_gap=hz_gap,
        trend=kind_trend(bench_list, lags, no_points=no_points),
        generated_at=datetime.now(UTC),
        title=title,
    )


_MEASURE_WORDS = {
    "lag_months": ("lag", "months"),
    "catchup_months": ("catch-up time", "months"),
    "score_gap": ("score gap", "points"),
    "score_gap_logit": ("logit score gap", "logits"),
}


def _num(x: float, unit: str) -> str:
    return f"{100 * x:.1f}" if unit == "points" else f"{x:.2f}" if unit == "logits" else f"{x:.1f}"


def headline(tables: ReportTables) -> list[str]:
    """A few printable sentences: the understatement test first, then what backs it."""
    out: list[str] = []
    for _, r in tables.understatement.iterrows():
        name, unit = _MEASURE_WORDS.get(str(r["measure"]), (str(r["measure"]), ""))
        if r["status"] != "ok":
            out.append(
                f"{name.capitalize()} test ({window_label(r)}): insufficient data: {r['reason']}."
            )
            continue
        verb = "exceeds" if r["d"] > 0 else "falls short of"
        ratio = f"; ratio {r['ratio']:.2f}" if np.isfinite(r["ratio"]) else ""
        out.append(
            f"Agentic {name} ({_num(r['agentic'], unit)} {unit}) {verb} standard {name} "
            f"({_num(r['standard'], unit)} {unit}) by D = {_num(r['d'], unit)} {unit} "
            f"(95% CI {_num(r['ci_low'], unit)} to {_num(r['ci_high'], unit)}; one-sided "
            f"p = {r['p_value']:.3f}{ratio}; {r['n_agentic']} agentic and {r['n_standard']} "
            f"standard benchmarks; {window_label(r)})."
        )
    pooled = (
        tables.ladder[tables.ladder["h"].isna() & (tables.ladder["status"] == "ok")]
        if not tables.ladder.empty
        else tables.ladder
    )
    for _, r in pooled.iterrows():
        out.append(
            f"Ladder, {r['closed_model']} vs {r['open_model']}: the agentic form widens the gap by "
            f"D = {100 * r['d']:.1f} points (95% CI {100 * r['ci_low']:.1f} to "
            f"{100 * r['ci_high']:.1f}) over {r['n_items']} shared items."
        )
    for _, r in tables.horizon_gap[tables.horizon_gap["status"] == "ok"].iterrows():
        out.append(
            f"{r['suite']}: 50% horizon {r['closed_h50']:.1f} steps ({r['closed_model']}) vs "
            f"{r['open_h50']:.1f} ({r['open_model']}), {r['log2_ratio']:.2f} doublings "
            f"(95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f})."
        )
    if not out:
        out.append("No gap could be measured: see the flags table for what is missing.")
    return out
