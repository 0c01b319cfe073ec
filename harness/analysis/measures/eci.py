"""Lag datapoints on the Epoch Capabilities Index (ECI), with censoring as bounds.

Epoch's method (its data insight): the running-max ECI of open and of closed models; for
each point where the open frontier rises, the time since the closed frontier first reached
that ECI. Those are the exact datapoints. It counts only levels an open model has reached,
so the same censoring problem as the threshold lag applies, and is handled the same way
(measures.censor): a level the closed frontier reached that no open model has yet is a lower
bound (the lag is at least the time from the closed rise to the last open release), dated
at that last open release; an open rise above every closed level is an upper bound (at most
the time from the last closed release, negative). Models are grouped by measures.identity
(a provider's copy or a reasoning-budget variant is not a new frontier point).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, to_days
from harness.analysis.measures.identity import groups


@dataclass(frozen=True)
class EciPoints:
    """Lags in months in [lo, hi] (equal when exact), and the day each is dated at."""

    lo: np.ndarray
    hi: np.ndarray
    day: np.ndarray

    @property
    def exact(self) -> np.ndarray:
        return self.lo == self.hi

    def in_window(self, start: float, end: float) -> np.ndarray:
        return (self.day >= start) & (self.day <= end)


def grouped_eci(eci: pd.DataFrame) -> pd.DataFrame:
    """One row per model (identity groups per access): earliest release day, best ECI."""
    df = eci.assign(day=to_days(eci["release_date"])).dropna(subset=["day", "eci"])
    parts = []
    for access, g in df.groupby("access", sort=True):
        ids = g["model_id"].astype(str)
        g = g.assign(model_id=ids.map(groups(sorted(set(ids)))))
        agg = g.groupby("model_id").agg(day=("day", "min"), eci=("eci", "max")).reset_index()
        parts.append(agg.assign(access=access))
    return pd.concat(parts, ignore_index=True) if parts else df.iloc[0:0]


def eci_points(eci: pd.DataFrame) -> EciPoints:
    """Every ECI lag datapoint (exact, lower bound, upper bound); see the module doc."""
    df = grouped_eci(eci)
    closed = df[df["access"] == "closed"].sort_values("day")
    opened = df[df["access"] == "open"].sort_values("day")
    none = EciPoints(np.empty(0), np.empty(0), np.empty(0))
    if closed.empty or opened.empty:
        return none
    # one frontier step per release day on both sides: models released the same day are
    # one rise, however they are ordered
    c_day = closed.groupby("day")["eci"].max()
    c_days = c_day.index.to_numpy(dtype=float)
    c_best = np.maximum.accumulate(c_day.to_numpy(dtype=float))
    o_day = opened.groupby("day")["eci"].max()
    o_days = o_day.index.to_numpy(dtype=float)
    o_best = np.maximum.accumulate(o_day.to_numpy(dtype=float))
    points: list[tuple[float, float, float]] = []
    # open frontier rises: exact where the closed frontier got there, else an upper bound
    rises = np.r_[True, o_best[1:] > o_best[:-1]]
    for d, level in zip(o_days[rises], o_best[rises], strict=True):
        i = int(np.searchsorted(c_best, level - 1e-9, side="left"))
        if i < c_days.size:
            lag = (d - c_days[i]) / DAYS_PER_MONTH
            points.append((lag, lag, d))
        else:
            points.append((-np.inf, (d - c_days[-1]) / DAYS_PER_MONTH, d))
    # closed frontier rises no open model has reached: lower bounds, dated at the last
    # open release (the bound says "not by then")
    last_open = float(o_days[-1])
    c_rises = np.r_[True, c_best[1:] > c_best[:-1]]
    for d, level in zip(c_days[c_rises], c_best[c_rises], strict=True):
        if level > o_best[-1] + 1e-9:
            points.append(((last_open - d) / DAYS_PER_MONTH, np.inf, last_open))
    lo, hi, day = (np.array([p[i] for p in points], dtype=float) for i in range(3))
    return EciPoints(lo, hi, day)
