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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, from_days, neg_log_error
from harness.analysis.frontier import Bench, Side
from harness.analysis.tables import CATCHUP_COLUMNS, LAG_COLUMNS, empty

LAG_EXTRA = ["closed_model", "open_model", "scale", "used", "note"]
FRACTION_STEP = 0.05
HORIZON_STEP_LOG2 = 0.5  # horizon thresholds every half doubling of minutes (log-spaced)
_LEVELS = 400  # grid points over the level range for the catch-up integral


def thresholds_for(b: Bench) -> np.ndarray:
    if b.scale == "horizon":
        top = max(
            b.closed.best[-1] if b.closed.scores.size else 0.0,
            b.open.best[-1] if b.open.scores.size else 0.0,
            1e-9,
        )
        bottom = min(np.concatenate([b.closed.scores, b.open.scores]).min(), 1.0)
        k = np.arange(
            np.floor(np.log2(bottom) / HORIZON_STEP_LOG2),
            np.ceil(np.log2(top) / HORIZON_STEP_LOG2) + 1,
        )
        return np.power(2.0, k * HORIZON_STEP_LOG2)
    return np.round(np.arange(1, 21) * FRACTION_STEP, 10)  # 0.05, 0.10, ..., 1.00


def _first_crossing(side: Side, thr: np.ndarray) -> np.ndarray:
    """Index of the first model (by date) whose score reaches each threshold; len(side) if none."""
    if side.scores.size == 0:
        return np.zeros(thr.shape, dtype=int)
    return np.searchsorted(side.best, thr - 1e-12, side="left")


@dataclass(frozen=True)
class LagPoints:
    threshold: np.ndarray
    closed_idx: np.ndarray
    open_idx: np.ndarray
    lag_months: np.ndarray
    open_day: np.ndarray
    closed_day: np.ndarray
    used: np.ndarray  # bool: counted in summaries
    note: list[str]


def lag_points(b: Bench, *, dedupe_pairs: bool = True) -> LagPoints:
    """Every threshold both sides have crossed, with whether it counts.

    Not counted: a crossing by a side's first evaluated model (left-censored: the threshold
    may have been reached earlier by a model the benchmark never tested, so the date says
    more about coverage than capability), and repeats of the same (closed, open) model pair
    (the same pair gives the same lag at every threshold it sets; Ihle counts it once).
    Thresholds the open side has not reached are omitted; so are thresholds only the open
    side has reached (closed pending), which are noted in flags instead.
    """
    thr = thresholds_for(b)
    ci, oi = _first_crossing(b.closed, thr), _first_crossing(b.open, thr)
    both = (ci < b.closed.scores.size) & (oi < b.open.scores.size)
    thr, ci, oi = thr[both], ci[both], oi[both]
    cday, oday = b.closed.days[ci], b.open.days[oi]
    used = np.ones(thr.shape, dtype=bool)
    notes = [""] * thr.size
    seen: set[tuple[int, int]] = set()
    for i in range(thr.size):
        # "first evaluated" includes models released the same day as the first one
        c_first, o_first = cday[i] <= b.closed.days[0], oday[i] <= b.open.days[0]
        if c_first or o_first:
            used[i] = False
            side = "closed" if c_first else "open"
            notes[i] = f"censored: {side} side's first evaluated model"
        elif dedupe_pairs and (ci[i], oi[i]) in seen:
            used[i] = False
            notes[i] = "same model pair as a lower threshold"
        else:
            seen.add((ci[i], oi[i]))
    return LagPoints(thr, ci, oi, (oday - cday) / DAYS_PER_MONTH, oday, cday, used, notes)


def window_lag(b: Bench, start: float, end: float) -> float:
    """Mean counted lag (months) over datapoints dated (open crossing) inside [start, end]."""
    if not b.has_pair:
        return float("nan")
    p = lag_points(b)
    sel = p.used & (p.open_day >= start) & (p.open_day <= end)
    return float(p.lag_months[sel].mean()) if sel.any() else float("nan")


def lag_table(bench_list: list[Bench]) -> pd.DataFrame:
    rows = []
    for b in bench_list:
        if not b.has_pair:
            continue
        p = lag_points(b)
        for i in range(p.threshold.size):
            rows.append(
                {
                    "benchmark": b.name,
                    "kind": b.kind,
                    "threshold": float(p.threshold[i]),
                    "closed_date": from_days(p.closed_day[i]),
                    "open_date": from_days(p.open_day[i]),
                    "lag_months": float(p.lag_months[i]),
                    "closed_model": b.closed.models[p.closed_idx[i]],
                    "open_model": b.open.models[p.open_idx[i]],
                    "scale": b.scale,
                    "used": bool(p.used[i]),
                    "note": p.note[i],
                }
            )
    cols = LAG_COLUMNS + LAG_EXTRA
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def _levels(b: Bench, side: Side) -> np.ndarray:
    return np.log2(side.best) if b.scale == "horizon" else neg_log_error(side.best)


def _catchup(b: Bench, start: float, end: float) -> tuple[float, float, float]:
    """(mean lag months, level_low, level_high) on -ln(error) (log2 minutes for horizons).

    Levels run from the higher of the two sides' first evaluated scores (below it a crossing
    date reflects which models were tested, the same censoring as for thresholds) up to the
    lower of the two frontiers' tops (Epoch cuts the leader at the laggard's last level).
    Only levels whose open crossing falls in [start, end] are averaged.
    """
    cl, ol = _levels(b, b.closed), _levels(b, b.open)
    # the level each side had reached on its first evaluated day (same-day models included)
    c0 = cl[np.searchsorted(b.closed.days, b.closed.days[0], side="right") - 1]
    o0 = ol[np.searchsorted(b.open.days, b.open.days[0], side="right") - 1]
    lo, hi = max(c0, o0), min(cl[-1], ol[-1])
    if not hi > lo:
        return float("nan"), float(lo), float(hi)
    y = lo + (np.arange(_LEVELS) + 0.5) * (hi - lo) / _LEVELS
    tc = b.closed.days[np.searchsorted(cl, y - 1e-12, side="left")]
    to = b.open.days[np.searchsorted(ol, y - 1e-12, side="left")]
    sel = (to >= start) & (to <= end)
    if not sel.any():
        return float("nan"), float(lo), float(hi)
    return float(((to - tc)[sel]).mean() / DAYS_PER_MONTH), float(lo), float(hi)


def window_catchup(b: Bench, start: float, end: float) -> float:
    return _catchup(b, start, end)[0] if b.has_pair else float("nan")


def catchup_table(
    bench_list: list[Bench], start: float = -np.inf, end: float = np.inf
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
            m, lo, hi = _catchup(b, start, end)
            row.update(level_low=lo, level_high=hi, catchup_months=m)
            if not np.isfinite(m):
                row.update(
                    status="insufficient",
                    reason="the two frontiers share no level above both first scores",
                )
        rows.append(row)
    return pd.DataFrame(rows, columns=CATCHUP_COLUMNS) if rows else empty(CATCHUP_COLUMNS)
