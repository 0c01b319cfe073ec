"""A benchmark's evidence for one gap measure in one window: datapoints with bounds [lo, hi]
(equal when exact) and weights.

Lag: one datapoint per counted threshold (bounds under `censoring="bounds"`). Catch-up: the
benchmark's mean over the levels whose open crossing is in the window, weighted by that
level range. Score gaps: the time average over a monthly grid, weighted by the number of
months, in points (x100 of the 0-1 score difference: the one unit the score-gap measure
has in every table, figure and JSON).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from harness.analysis._common import DAYS_PER_MONTH
from harness.analysis.measures.censor import LagData, lag_data
from harness.analysis.measures.frontier import Bench, gap_values
from harness.analysis.measures.lag import catchup_levels
from harness.analysis.spec import Censoring

KINDS = ("agentic", "standard")


@dataclass(frozen=True)
class Evidence:
    """One benchmark's datapoints for one measure in one window."""

    benchmark: str
    kind: str
    lo: np.ndarray
    hi: np.ndarray
    w: np.ndarray

    @cached_property
    def exact(self) -> bool:
        return bool(np.all(self.lo == self.hi))

    @property
    def n(self) -> int:
        return int(self.lo.size)

    @cached_property
    def n_bounds(self) -> int:
        return int(np.sum(self.lo != self.hi))

    def shifted(self, by: float) -> Evidence:
        """The same evidence with every datapoint (exact values and bounds) moved by `by`:
        what the benchmark would show if its lag (or gap) were `by` larger."""
        return Evidence(self.benchmark, self.kind, self.lo + by, self.hi + by, self.w)

    @cached_property
    def sums(self) -> tuple[float, float]:
        """(sum of w * value, sum of w) over exact datapoints."""
        return float((self.w * self.lo).sum()), float(self.w.sum())

    @property
    def value(self) -> float:
        """The benchmark's weighted mean (NaN when it has bounds: that needs the fit)."""
        s, w = self.sums
        return s / w if self.exact and w > 0 else float("nan")


def _one(b: Bench, lo: np.ndarray, hi: np.ndarray, w: np.ndarray) -> Evidence | None:
    if lo.size == 0 or not np.isfinite(w).all() or w.sum() <= 0:
        return None
    return Evidence(b.name, b.kind, lo, hi, w)


def lag_evidence(b: Bench, data: LagData, start: float, end: float) -> Evidence | None:
    sel = data.counted & data.in_window(start, end)
    return _one(b, data.lo[sel], data.hi[sel], np.ones(int(sel.sum())))


def catchup_evidence(b: Bench, start: float, end: float, censoring: Censoring) -> Evidence | None:
    lags, lo, hi = catchup_levels(b, start, end, "both" if censoring == "bounds" else censoring)
    if not lags.size:
        return None
    v = np.array([lags.mean()])
    return _one(b, v, v, np.array([(hi - lo) * lags.size / 400.0]))


def gap_evidence(b: Bench, start: float, end: float, *, on_logit: bool) -> Evidence | None:
    """Time-averaged score gap over a monthly grid within [start, end] where both sides exist."""
    if not b.has_pair:
        return None
    lo = max(start, b.closed.days[0], b.open.days[0])
    hi = min(end, max(b.closed.days[-1], b.open.days[-1]))
    if hi < lo:
        return None
    grid = np.arange(lo, hi + 1e-9, DAYS_PER_MONTH)
    gap, gap2 = gap_values(b, b.closed.at(grid), b.open.at(grid))
    vals = gap2 if on_logit else 100.0 * gap  # points
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return None
    v = np.array([vals.mean()])
    return _one(b, v, v, np.array([float(vals.size)]))


def evidence(
    b: Bench,
    measure: str,
    start: float,
    end: float,
    censoring: Censoring = "both",
    data: LagData | None = None,
) -> Evidence | None:
    """One benchmark's evidence; None when it has nothing in the window."""
    if not b.has_pair:
        return None
    if measure == "lag_months":
        return lag_evidence(b, data if data is not None else lag_data(b, censoring), start, end)
    if measure == "catchup_months":
        return catchup_evidence(b, start, end, censoring)
    if measure in ("score_gap", "score_gap_logit"):
        return gap_evidence(b, start, end, on_logit=measure == "score_gap_logit")
    raise ValueError(f"unknown measure {measure!r}")
