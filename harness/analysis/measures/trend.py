"""The gap over time per kind: what a reader compares when asking whether it is closing.

Per kind and per quarter: the mean score gap over that kind's benchmarks that are live at
the quarter's end (both sides have a model, and the benchmark has a release on or after
that date, so a benchmark nobody tests any more does not carry a frozen gap forward), and
the mean lag of the counted threshold datapoints whose open crossing falls in the quarter.
Saturated and horizon-scale benchmarks are left out of the point gaps, as in the test. Score
gaps are in points (0-100), the unit of the score-gap measure everywhere it is shown.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, from_days, to_days
from harness.analysis.columns import TREND_COLUMNS, empty
from harness.analysis.measures.frontier import Bench, gap_values


def kind_trend(
    bench_list: list[Bench], lags: pd.DataFrame, *, no_points: set[str] | None = None
) -> pd.DataFrame:
    paired = [b for b in bench_list if b.has_pair]
    if not paired:
        return empty(TREND_COLUMNS)
    first = min(max(b.closed.days[0], b.open.days[0]) for b in paired)
    last = max(max(b.closed.days[-1], b.open.days[-1]) for b in paired)
    # calendar quarter ends, so tables from different data line up
    ends = pd.date_range(
        pd.Timestamp(from_days(first)),
        pd.Timestamp(from_days(last)) + pd.offsets.QuarterEnd(0),
        freq="QE",
    )
    end_days = to_days(pd.Series(ends))
    used = lags[lags["used"].astype(bool)] if not lags.empty else lags
    lag_days = to_days(used["open_date"]) if not used.empty else np.empty(0)
    skip = no_points or set()
    rows = []
    for kind in sorted({b.kind for b in paired}):
        bs = [b for b in paired if b.kind == kind]
        k_lags = used["kind"].to_numpy() == kind if not used.empty else np.empty(0, dtype=bool)
        for d in end_days:
            gaps, logits = [], []
            for b in bs:
                live = (
                    max(b.closed.days[0], b.open.days[0])
                    <= d
                    <= max(b.closed.days[-1], b.open.days[-1])
                )
                if b.name in skip or b.scale != "fraction" or not live:
                    continue
                g, lg = gap_values(b, b.closed.at(np.array([d])), b.open.at(np.array([d])))
                gaps.append(100.0 * float(g[0]))  # points, as every score-gap measure
                logits.append(float(lg[0]))
            in_q = (
                k_lags & (lag_days > d - 3 * DAYS_PER_MONTH) & (lag_days <= d)
                if lag_days.size
                else np.empty(0, dtype=bool)
            )
            q_lags = used["lag_months"].to_numpy(dtype=float)[in_q] if in_q.size else np.empty(0)
            if not gaps and not q_lags.size:
                continue
            rows.append(
                {
                    "kind": kind,
                    "period_end": from_days(d),
                    "n_benchmarks": len(gaps),
                    "score_gap": float(np.mean(gaps)) if gaps else np.nan,
                    "score_gap_logit": float(np.mean(logits)) if logits else np.nan,
                    "lag_months": float(q_lags.mean()) if q_lags.size else np.nan,
                    "n_lag_points": int(q_lags.size),
                    # the report draws the median with the middle half as a band (B, issue 10)
                    **_band("score_gap", gaps),
                    **_band("lag_months", q_lags),
                }
            )
    columns = [*TREND_COLUMNS, *BAND_COLUMNS]
    return pd.DataFrame(rows, columns=columns) if rows else empty(columns)


BAND_COLUMNS = [f"{m}_{q}" for m in ("score_gap", "lag_months") for q in ("median", "q25", "q75")]


def _band(measure: str, values: list[float] | np.ndarray) -> dict[str, float]:
    """Median and quartiles over the benchmarks (or lag points) of one kind and quarter."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {f"{measure}_{q}": np.nan for q in ("median", "q25", "q75")}
    q25, median, q75 = np.percentile(v, [25, 50, 75])
    return {
        f"{measure}_median": float(median),
        f"{measure}_q25": float(q25),
        f"{measure}_q75": float(q75),
    }
