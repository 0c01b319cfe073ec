"""Threshold lags under a censoring rule: which crossings count, exactly or as bounds.

A threshold crossing can be censored three ways:
- the closed side's first evaluated model crossed it: the closed side may have got there
  earlier with a model the benchmark never tested, so the lag is AT LEAST the observed one
  (right-censored);
- the open side's first evaluated model crossed it: the lag is AT MOST the observed one
  (left-censored); both sides' first models: no bound at all;
- the closed side crossed it and no evaluated open model has yet: the lag is at least the
  time from the closed crossing to the benchmark's last evaluated release (right-censored);
  the open side alone crossed it: the lag is at most (open crossing - that last date).

The rules (`AnalysisSpec.censoring`): "both" drops first-model crossings of either side,
"closed"/"open" only that side's, "none" keeps them as if exact; none of these count pending
thresholds. "bounds" keeps every bound as a one-sided interval, and the kind's mean lag is
the maximum-likelihood location of a normal fitted to the interval-censored lags
(`inference.censored_fit.censored_normal_fit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.analysis._common import DAYS_PER_MONTH
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.spec import Censoring

# per-datapoint status after the rule: counted exactly, counted as a bound, or dropped
EXACT, LOWER, UPPER = "exact", "lower bound", "upper bound"


FRACTION_STEP = 0.05
HORIZON_STEP_LOG2 = 0.5  # horizon thresholds every half doubling of minutes (log-spaced)


def thresholds_for(b: Bench) -> np.ndarray:
    """0.05, 0.10, ..., 1.00 for fractions (Ihle); every half doubling of minutes for horizons."""
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
    return np.round(np.arange(1, 21) * FRACTION_STEP, 10)


def _first_crossing(side: Side, thr: np.ndarray) -> np.ndarray:
    """Index of the first model (by date) whose score reaches each threshold; len(side) if none."""
    if side.scores.size == 0:
        return np.zeros(thr.shape, dtype=int)
    return np.searchsorted(np.fmax.accumulate(side.scores), thr - 1e-12, side="left")


@dataclass(frozen=True)
class LagData:
    """Every threshold either side has crossed, with its fate under one censoring rule.

    lo / hi: the lag in months is in [lo, hi] (equal when exact; -inf / +inf when one-sided).
    open_day: the open crossing (days since 1970; NaN when the open side has not crossed),
    the date a datapoint carries for windows. counted: enters the estimate.
    """

    threshold: np.ndarray
    closed_model: list[str | None]
    open_model: list[str | None]
    closed_day: np.ndarray
    open_day: np.ndarray
    last_closed: float  # the last evaluated closed release (censoring date of closed-pending)
    last_open: float  # the last evaluated open release (censoring date of open-pending)
    lo: np.ndarray
    hi: np.ndarray
    status: list[str]  # EXACT, LOWER, UPPER, or "" when dropped
    note: list[str]  # why dropped or bounded ("" when exact)

    @property
    def counted(self) -> np.ndarray:
        return np.array([s != "" for s in self.status], dtype=bool)

    def in_window(self, start: float, end: float) -> np.ndarray:
        """Datapoints dated (open crossing) inside [start, end]. A pending open crossing is
        dated at its censoring date, the last evaluated open release: the bound says "not by
        then", so it belongs to a window only if the benchmark still tested open models in it
        (an abandoned benchmark's pending thresholds are no evidence about a later window)."""
        od = np.where(np.isfinite(self.open_day), self.open_day, self.last_open)
        return (od >= start) & (od <= end)


def lag_data(b: Bench, censoring: Censoring = "both", *, dedupe_pairs: bool = True) -> LagData:
    """Threshold datapoints of one benchmark under a censoring rule (see the module doc).

    One datapoint per model pair: the same (closed, open) pair gives the same lag at every
    threshold it sets (Ihle counts it once), and the same closed model with no open crosser
    gives one bound; the lowest threshold is kept. Models released the same day are one
    frontier step (the same dates, so the same lag): a pair is a pair of release days.
    """
    thr = thresholds_for(b)
    nc, no = b.closed.scores.size, b.open.scores.size
    ci, oi = _first_crossing(b.closed, thr), _first_crossing(b.open, thr)
    c_ok, o_ok = ci < nc, oi < no
    keep = c_ok | o_ok
    thr, ci, oi, c_ok, o_ok = thr[keep], ci[keep], oi[keep], c_ok[keep], o_ok[keep]
    cday = np.where(c_ok, b.closed.days[np.minimum(ci, max(nc - 1, 0))] if nc else np.nan, np.nan)
    oday = np.where(o_ok, b.open.days[np.minimum(oi, max(no - 1, 0))] if no else np.nan, np.nan)
    last_c = float(b.closed.days[-1]) if nc else np.nan
    last_o = float(b.open.days[-1]) if no else np.nan
    lo = np.full(thr.shape, -np.inf)
    hi = np.full(thr.shape, np.inf)
    status = [""] * thr.size
    note = [""] * thr.size
    seen: set[tuple[object, object]] = set()
    for i in range(thr.size):
        c_first = bool(c_ok[i]) and cday[i] <= b.closed.days[0]
        o_first = bool(o_ok[i]) and oday[i] <= b.open.days[0]
        if c_ok[i] and o_ok[i]:
            lag = (oday[i] - cday[i]) / DAYS_PER_MONTH
            st, why, lo_i, hi_i = _crossed(censoring, c_first, o_first, lag)
        elif c_ok[i]:  # open pending: at least (last evaluated open release - closed crossing)
            bound = (last_o - cday[i]) / DAYS_PER_MONTH
            st, why = (
                (LOWER, "open side has not reached it (lag at least)")
                if censoring == ("bounds")
                else ("", "open side has not reached it")
            )
            lo_i, hi_i = bound, np.inf
        else:  # closed pending: at most (open crossing - last evaluated closed release)
            bound = (oday[i] - last_c) / DAYS_PER_MONTH
            st, why = (
                (UPPER, "closed side has not reached it (lag at most)")
                if censoring == ("bounds")
                else ("", "closed side has not reached it")
            )
            lo_i, hi_i = -np.inf, bound
        if st and dedupe_pairs:
            # the pair of frontier steps (release days): models released the same day are
            # one step, whichever of them sorts first
            pair = (float(cday[i]) if c_ok[i] else None, float(oday[i]) if o_ok[i] else None)
            if pair in seen:
                st, why = "", "same model pair as a lower threshold"
            else:
                seen.add(pair)
        status[i], note[i], lo[i], hi[i] = st, why, lo_i, hi_i
    return LagData(
        threshold=thr,
        closed_model=[b.closed.models[j] if ok else None for j, ok in zip(ci, c_ok, strict=True)],
        open_model=[b.open.models[j] if ok else None for j, ok in zip(oi, o_ok, strict=True)],
        closed_day=cday,
        open_day=oday,
        last_closed=last_c,
        last_open=last_o,
        lo=lo,
        hi=hi,
        status=status,
        note=note,
    )


def _crossed(
    censoring: Censoring, c_first: bool, o_first: bool, lag: float
) -> tuple[str, str, float, float]:
    """(status, note, lo, hi) of a threshold both sides crossed, under the rule."""
    if not (c_first or o_first):
        return EXACT, "", lag, lag
    which = "both sides'" if c_first and o_first else "closed side's" if c_first else "open side's"
    why = f"censored: {which} first evaluated model"
    if censoring == "none":
        return EXACT, why + " (kept as exact)", lag, lag
    if censoring == "both":
        return "", why, lag, lag
    if censoring == "closed":
        return ("", why, lag, lag) if c_first else (EXACT, why + " (kept as exact)", lag, lag)
    if censoring == "open":
        return ("", why, lag, lag) if o_first else (EXACT, why + " (kept as exact)", lag, lag)
    # bounds
    if c_first and o_first:
        return "", why + ": no bound", lag, lag
    if c_first:
        return LOWER, why + " (lag at least)", lag, np.inf
    return UPPER, why + " (lag at most)", -np.inf, lag
