"""Cross-checks shown beside the answer: the lag on the Epoch Capabilities Index from the same
dump, gapbench's own lag on Ihle 2026's public / private benchmark lists, and the published
figures (Epoch AI, Ihle 2026) as cited data with their source, never as our findings.

ECI lag (Epoch's method as its data insight describes it): the running-max ECI of open and
of closed models; for each point where the open frontier rises, the time since the closed
frontier first reached that ECI; the mean over such points whose open date is in the window.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from harness._loading import load_model
from harness.analysis._common import DAYS_PER_MONTH, to_days
from harness.analysis.columns import CROSSCHECK_COLUMNS, empty
from harness.analysis.spec import window_label

FIGURES_PATH = Path(__file__).parents[1] / "published_figures.yaml"


class PublishedFigure(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str
    kind: str
    low: float
    high: float
    unit: str
    window: str
    source: str


class PublishedFigures(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    figures: list[PublishedFigure]
    ihle_public: list[str]
    ihle_private: list[str]


@cache
def published_figures() -> PublishedFigures:
    return load_model(FIGURES_PATH, PublishedFigures)


def eci_lag(eci: pd.DataFrame, start: float, end: float) -> tuple[float, int]:
    """(mean lag in months, number of open-frontier points) over open frontier rises in
    [start, end]; NaN when there are none."""
    df = eci.assign(day=to_days(eci["release_date"])).dropna(subset=["day", "eci"])
    closed = df[df["access"] == "closed"].sort_values("day")
    opened = df[df["access"] == "open"].sort_values("day")
    if closed.empty or opened.empty:
        return float("nan"), 0
    c_days = closed["day"].to_numpy(dtype=float)
    c_best = np.maximum.accumulate(closed["eci"].to_numpy(dtype=float))
    # open frontier rises: by date, a model above every earlier (and same-day earlier) one
    o_day = opened.groupby("day")["eci"].max()
    o_best = np.maximum.accumulate(o_day.to_numpy(dtype=float))
    rises = np.r_[True, o_best[1:] > o_best[:-1]]
    lags = []
    for day, level in zip(o_day.index[rises], o_best[rises], strict=True):
        if not start <= day <= end:
            continue
        i = np.searchsorted(c_best, level - 1e-9, side="left")
        if i < c_days.size:  # the closed frontier got there (if not, open leads: no lag)
            lags.append((day - c_days[i]) / DAYS_PER_MONTH)
    return (float(np.mean(lags)) if lags else float("nan")), len(lags)


def crosscheck_table(
    *,
    eci: pd.DataFrame | None,
    since: date | None,
    until: date | None,
    start: float,
    end: float,
    ihle_rows: list[dict[str, object]],
    eci_source: str = "",
) -> pd.DataFrame:
    """CROSSCHECK_COLUMNS: computed rows (origin "gapbench") then cited rows ("published")."""
    rows: list[dict[str, object]] = []
    label = window_label(since, until)
    if eci is not None:
        v, n = eci_lag(eci, start, end)
        rows.append(
            {
                "check": "ECI lag (Epoch's method, same dump)",
                "origin": "gapbench",
                "kind": "all",
                "value": v,
                "low": np.nan,
                "high": np.nan,
                "unit": "months",
                "window": label,
                "n": n,
                "source": eci_source,
            }
        )
    rows.extend(ihle_rows)
    for f in published_figures().figures:
        rows.append(
            {
                "check": f.check,
                "origin": "published",
                "kind": f.kind,
                "value": (f.low + f.high) / 2,
                "low": f.low,
                "high": f.high,
                "unit": f.unit,
                "window": f.window,
                "n": None,
                "source": f.source,
            }
        )
    if not rows:
        return empty(CROSSCHECK_COLUMNS)
    out = pd.DataFrame(rows, columns=CROSSCHECK_COLUMNS)
    out["n"] = out["n"].astype("Int64")  # a count, or missing for a citation
    return out
