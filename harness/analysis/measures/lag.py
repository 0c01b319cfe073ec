"""Lag in months by threshold crossing, and Epoch-style catch-up times.

Threshold lag (Ihle 2026): for each score threshold s, the release date of the first open
model reaching s minus that of the first closed model; the datapoint is dated at the open
crossing; thresholds no open model has reached yet are left out. Choices and their reasons
are in docs/methods.md.

Catch-up (Epoch AI, "How far behind are open models?", 2024): the mean horizontal distance
between the two step frontiers over a range of levels on the -ln(error) scale, i.e. the
area between the frontiers divided by the range of levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, from_days, neg_log_error
from harness.analysis.columns import CATCHUP_COLUMNS, LAG_COLUMNS, empty
from harness.analysis.measures.censor import (
    EXACT,
    FRACTION_STEP,
    HORIZON_STEP_LOG2,
    LagData,
    lag_data,
    thresholds_for,
)
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.spec import Censoring

__all__ = [
    "FRACTION_STEP",
    "HORIZON_STEP_LOG2",
    "LagData",
    "catchup_levels",
    "catchup_range",
    "catchup_table",
    "lag_data",
    "lag_table",
    "thresholds_for",
    "window_catchup",
    "window_lag",
]

LAG_EXTRA = ["closed_model", "open_model", "scale", "used", "note", "bound", "lag_low", "lag_high"]
_LEVELS = 400  # grid points over the level range for the catch-up integral


def window_lag(b: Bench, start: float, end: float, censoring: Censoring = "both") -> float:
    """Mean counted lag (months) over exact datapoints dated (open crossing) inside [start, end]."""
    if not b.has_pair:
        return float("nan")
    p = lag_data(b, censoring)
    sel = np.array([s == EXACT for s in p.status], dtype=bool) & p.in_window(start, end)
    return float(p.lo[sel].mean()) if sel.any() else float("nan")


def lag_table(bench_list: list[Bench], censoring: Censoring = "both") -> pd.DataFrame:
    """Every threshold both sides crossed (and, under "bounds", the pending ones), with whether
    and how it counts under the censoring rule (`used`, `bound`, `note`)."""
    rows = []
    for b in bench_list:
        if not b.has_pair:
            continue
        p = lag_data(b, censoring)
        for i in range(p.threshold.size):
            crossed = np.isfinite(p.open_day[i]) and np.isfinite(p.closed_day[i])
            if not crossed and p.status[i] == "":
                continue  # pending thresholds appear only where they count (bounds)
            rows.append(
                {
                    "benchmark": b.name,
                    "kind": b.kind,
                    "threshold": float(p.threshold[i]),
                    "closed_date": from_days(p.closed_day[i]),
                    "open_date": from_days(p.open_day[i]),
                    "lag_months": float((p.open_day[i] - p.closed_day[i]) / DAYS_PER_MONTH)
                    if crossed
                    else np.nan,
                    "closed_model": p.closed_model[i],
                    "open_model": p.open_model[i],
                    "scale": b.scale,
                    "used": p.status[i] != "",
                    "note": p.note[i],
                    "bound": "" if p.status[i] in ("", EXACT) else p.status[i],
                    "lag_low": float(p.lo[i]),
                    "lag_high": float(p.hi[i]),
                }
            )
    cols = LAG_COLUMNS + LAG_EXTRA
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def _levels(b: Bench, side: Side) -> np.ndarray:
    return np.log2(side.best) if b.scale == "horizon" else neg_log_error(side.best)


def catchup_range(b: Bench, censoring: Censoring = "both") -> tuple[float, float]:
    """(lowest, highest) level of the catch-up integral under a censoring rule.

    Below a side's first evaluated level its crossing date is its first evaluated date, not
    when the level was reached: "both" starts above both sides' first levels, "closed" /
    "open" above that side's, "none" at the lower of the two first models' levels
    ("bounds" has no interval form for an area and is treated as "both"). The top is the
    lower of the two frontier tops (Epoch cuts the leader at the laggard's last level).
    """
    cl, ol = _levels(b, b.closed), _levels(b, b.open)
    # the level each side had reached on its first evaluated day (same-day models included)
    c0 = cl[np.searchsorted(b.closed.days, b.closed.days[0], side="right") - 1]
    o0 = ol[np.searchsorted(b.open.days, b.open.days[0], side="right") - 1]
    lo = {
        "closed": c0,
        "open": o0,
        "none": min(cl[0], ol[0]),
    }.get(censoring, max(c0, o0))
    return float(lo), float(min(cl[-1], ol[-1]))


def catchup_levels(
    b: Bench, start: float, end: float, censoring: Censoring = "both"
) -> tuple[np.ndarray, float, float]:
    """Per-level lags (months) whose open crossing is in [start, end], and the level range.

    On -ln(error) (log2 minutes for horizons), with t_C(y), t_O(y) the first dates each
    frontier reaches level y, on a 400-point grid over the range of `catchup_range`.
    """
    lo, hi = catchup_range(b, censoring)
    if not hi > lo:
        return np.empty(0), lo, hi
    cl, ol = _levels(b, b.closed), _levels(b, b.open)
    y = lo + (np.arange(_LEVELS) + 0.5) * (hi - lo) / _LEVELS
    tc = b.closed.days[np.searchsorted(cl, y - 1e-12, side="left")]
    to = b.open.days[np.searchsorted(ol, y - 1e-12, side="left")]
    sel = (to >= start) & (to <= end)
    return (to - tc)[sel] / DAYS_PER_MONTH, lo, hi


def _catchup(
    b: Bench, start: float, end: float, censoring: Censoring = "both"
) -> tuple[float, float, float]:
    """(mean lag months over the levels in the window, level_low, level_high)."""
    lags, lo, hi = catchup_levels(b, start, end, censoring)
    return (float(lags.mean()) if lags.size else float("nan")), lo, hi


def window_catchup(b: Bench, start: float, end: float, censoring: Censoring = "both") -> float:
    return _catchup(b, start, end, censoring)[0] if b.has_pair else float("nan")


def catchup_table(
    bench_list: list[Bench],
    start: float = -np.inf,
    end: float = np.inf,
    censoring: Censoring = "both",
) -> pd.DataFrame:
    rows = []
    for b in bench_list:
        row = {
            "benchmark": b.name,
            "kind": b.kind,
            "scale": b.scale,
            "level_low": np.nan,
            "level_high": np.nan,
            "catchup_months": np.nan,
            "status": "ok",
            "reason": "",
        }
        if not b.has_pair:
            row.update(status="insufficient", reason="needs at least one open and one closed model")
        else:
            m, lo, hi = _catchup(b, start, end, censoring)
            row.update(level_low=lo, level_high=hi, catchup_months=m)
            if not np.isfinite(m):
                row.update(
                    status="insufficient",
                    reason="the two frontiers share no level above both first scores",
                )
        rows.append(row)
    return pd.DataFrame(rows, columns=CATCHUP_COLUMNS) if rows else empty(CATCHUP_COLUMNS)
