"""Assemble every analysis table into ReportTables, and say the headline in a few sentences.

Used by `gapbench report` and `gapbench analyze`. Flags name what was left out and why;
where the data cannot support a number the row says "insufficient" with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from harness.analysis._common import from_days, to_date
from harness.analysis.answer import Answer, Context, SubstituteQuery, answer_from, run_tests
from harness.analysis.horizon import horizons
from harness.analysis.inference.curve import days
from harness.analysis.inference.understatement import Window, window_label
from harness.analysis.ladder import ladder
from harness.analysis.measures.drift import drift_table
from harness.analysis.measures.frontier import (
    Bench,
    frontier_table,
    gap_table,
    no_point_gaps,
    saturation,
)
from harness.analysis.measures.lag import catchup_table, lag_table
from harness.analysis.measures.own_rows import with_own_flags
from harness.analysis.measures.passk import passk
from harness.analysis.measures.scores import own_task_matrices
from harness.analysis.measures.substitute import substitutes_by_kind
from harness.analysis.measures.trend import kind_trend
from harness.analysis.prepare import prepare
from harness.analysis.spec import PRIMARY, AnalysisSpec, validated
from harness.analysis.tables import FLAG_COLUMNS, HORIZON_SCORE_COLUMNS, ReportTables, empty
from harness.analysis.wording import num


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
        if b.scale == "horizon":
            rows.append(
                {
                    "scope": "benchmark",
                    "item": b.name,
                    "reason": "time horizon in minutes: kept out of the score tables and "
                    "score-gap tests; its lags use log-spaced thresholds",
                }
            )
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


def horizon_scores(bench_list: list[Bench]) -> pd.DataFrame:
    """Published time horizons (minutes), kept out of every 0-1 score table and axis."""
    rows = []
    for b in bench_list:
        if b.scale != "horizon":
            continue
        for access, side in (("closed", b.closed), ("open", b.open)):
            prev = -np.inf
            for d, s, m in zip(side.days, side.scores, side.models, strict=True):
                rows.append(
                    {
                        "benchmark": b.name,
                        "kind": b.kind,
                        "model_id": m,
                        "access": access,
                        "release_date": from_days(d),
                        "minutes": float(s),
                        "log2_minutes": float(np.log2(s)) if s > 0 else np.nan,
                        "frontier": bool(s > prev),
                    }
                )
                prev = max(prev, s)
    cols = HORIZON_SCORE_COLUMNS
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def build_report_tables(
    samples: pd.DataFrame,
    *,
    spec: AnalysisSpec | None = None,
    window: Window = None,
    null_baselines: Mapping[str, float] | None = None,
    title: str = "gapbench report",
    scales: Mapping[str, str] | None = None,
    n_boot: int | None = None,
    seed: int | None = None,
    context: Context | None = None,
    substitute: SubstituteQuery | None = None,
) -> ReportTables:
    """Every table of the report from a samples table (Store(...).samples()), and the
    answer under `spec` (default: the primary specification).

    window / n_boot / seed override the spec's window, replicates and seed (kept for
    callers from before specs). scales: benchmark -> "fraction" | "horizon" where the score
    scale is not evident. context: the Epoch Capabilities Index of an imported dump (the ECI
    cross-check and the capability that predicts missing scores), the code's commit and
    today's date. substitute: the substitute finder's question (a closed model).
    Canary rows feed only the drift table.
    """
    spec = spec or PRIMARY
    updates: dict[str, object] = {}
    if window is not None:
        updates.update(since=to_date(window[0]), until=to_date(window[1]))
    if n_boot is not None:
        updates.update(replicates=n_boot, curve_replicates=min(n_boot, spec.curve_replicates))
    if seed is not None:
        updates["seed"] = seed
    if updates:
        spec = validated({**spec.model_dump(), **updates})
    hub = context.hub if context is not None else None
    prep = prepare(samples, spec, null_baselines=null_baselines, scales=scales, hub=hub)
    bench_list = prep.benches
    scores = prep.scores
    lags = lag_table(bench_list, spec.censoring)
    start, end = days(spec.since, -np.inf), days(spec.until, np.inf)
    no_points = no_point_gaps(bench_list)
    tests = run_tests(prep, spec, own_task_matrices(prep.samples, scores))
    ans = answer_from(
        prep,
        spec,
        tests,
        context=context,
        substitute=substitute,
    )
    clean = prep.samples
    hz, hz_gap = horizons(clean, n_boot=min(spec.replicates, 500), seed=spec.seed)
    fraction = [b for b in bench_list if b.scale == "fraction"]
    return ReportTables(
        scores=scores[scores["unit"] != "minutes"].reset_index(drop=True),
        frontier=frontier_table(fraction),
        gaps=gap_table(fraction),
        lags=lags,
        understatement=tests,
        horizons=hz,
        passk=passk(clean),
        ladder=ladder(clean, n_boot=spec.replicates, seed=spec.seed),
        flags=with_own_flags(_flags(scores, bench_list, lags, tests), prep.own),
        catchup=catchup_table(
            bench_list, start, end, "both" if spec.censoring == "bounds" else spec.censoring
        ),
        horizon_gap=hz_gap,
        trend=kind_trend(bench_list, lags, no_points=no_points),
        drift=drift_table(samples),
        published_horizons=horizon_scores(bench_list),
        substitutes_by_kind=substitutes_by_kind(bench_list),
        **own_tables(ans),
        generated_at=datetime.now(UTC),
        title=title,
        answer=ans,
    )


def own_tables(ans: Answer) -> dict[str, pd.DataFrame]:
    """The own-rows tables of ReportTables from the answer (own_effect, calibration)."""
    out: dict[str, pd.DataFrame] = {}
    if ans.own_rows is not None:
        out.update(
            own_scores=ans.own_rows.scores,
            own_points=ans.own_rows.points,
            own_effect=ans.own_rows.table(),
        )
    if ans.calibration is not None:
        out["calibration"] = ans.calibration
    return out


_MEASURE_WORDS = {
    "lag_months": ("lag", "months"),
    "catchup_months": ("catch-up time", "months"),
    "score_gap": ("score gap", "points"),
    "score_gap_logit": ("logit score gap", "logits"),
}


def headline(tables: ReportTables) -> list[str]:
    """A few printable sentences: the answer (verdict) first, then the measures behind it."""
    out: list[str] = [tables.answer.sentence] if tables.answer is not None else []
    level = tables.answer.spec.ci if tables.answer is not None else 0.95
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
            f"Agentic {name} ({num(r['agentic'], unit)} {unit}) {verb} standard {name} "
            f"({num(r['standard'], unit)} {unit}) by D = {num(r['d'], unit)} {unit} "
            f"({level:.0%} CI {num(r['ci_low'], unit)} to {num(r['ci_high'], unit)}; one-sided "
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
