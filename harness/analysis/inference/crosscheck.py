"""Cross-checks shown beside the answer: the lag on the Epoch Capabilities Index from the same
dump, gapbench's own lag on Ihle 2026's public / private benchmark lists, and the published
figures (Epoch AI, Ihle 2026) as cited data with their source, never as our findings.

ECI lag, two rows (datapoints: measures.eci): Epoch's method as its data insight describes
it (the mean over open-frontier rises in the window, exact lags only), and the same data
with unreached levels kept as bounds and estimated with the censored normal fit of the
`bounds` rule, with how many datapoints are bounds.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from harness._loading import load_model
from harness.analysis.columns import CROSSCHECK_COLUMNS, empty
from harness.analysis.inference.censored_fit import censored_normal_fit
from harness.analysis.measures.censor import lag_data
from harness.analysis.measures.eci import eci_points
from harness.analysis.measures.frontier import Bench
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
    """Epoch's method: (mean lag in months, number of open-frontier points) over open
    frontier rises in [start, end] the closed frontier had reached; NaN when none."""
    pts = eci_points(eci)
    sel = pts.exact & pts.in_window(start, end)
    return (float(pts.lo[sel].mean()) if sel.any() else float("nan")), int(sel.sum())


def eci_lag_bounds(eci: pd.DataFrame, start: float, end: float) -> tuple[float, int, int]:
    """The censored estimate: (mean lag in months, datapoints, of which bounds) over the
    datapoints dated in [start, end]; NaN when no exact lag identifies the mean."""
    pts = eci_points(eci)
    sel = pts.in_window(start, end)
    lo, hi = pts.lo[sel], pts.hi[sel]
    n_bounds = int(np.sum(lo != hi))
    if not np.any(lo == hi):
        return float("nan"), int(sel.sum()), n_bounds
    mu, _ = censored_normal_fit(lo, hi, np.ones(lo.size))
    return float(mu[0]), int(sel.sum()), n_bounds


def ihle_rows(
    bench_list: list[Bench], since: date | None, until: date | None, start: float, end: float
) -> list[dict[str, object]]:
    """gapbench's pooled threshold lag on Ihle 2026's public / private lists (his censoring
    is by judgement; "both" is the closest mechanical rule), in the window."""
    figs = published_figures()
    out: list[dict[str, object]] = []
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
                "window": window_label(since, until),
                "n": len(lags),
                "n_bounds": 0,
                "source": f"{used} of {len(names)} benchmarks have a datapoint",
            }
        )
    return out


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
        vb, nb, n_bounds = eci_lag_bounds(eci, start, end)
        for check, value, count, bounds in (
            ("ECI lag (Epoch's method, same dump: reached levels only)", v, n, 0),
            ("ECI lag, unreached levels kept as bounds (censored normal fit)", vb, nb, n_bounds),
        ):
            rows.append(
                {
                    "check": check,
                    "origin": "gapbench",
                    "kind": "all",
                    "value": value,
                    "low": np.nan,
                    "high": np.nan,
                    "unit": "months",
                    "window": label,
                    "n": count,
                    "n_bounds": bounds,
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
                "n_bounds": None,
                "source": f.source,
            }
        )
    if not rows:
        return empty(CROSSCHECK_COLUMNS)
    out = pd.DataFrame(rows, columns=CROSSCHECK_COLUMNS)
    for col in ("n", "n_bounds"):
        out[col] = out[col].astype("Int64")  # a count, or missing for a citation
    return out
