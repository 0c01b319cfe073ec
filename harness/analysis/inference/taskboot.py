"""An own-run benchmark's evidence under task resampling, for every bootstrap replicate at once.

The understatement test redraws an own-run benchmark's tasks in each replicate (the same draw
for every model), recomputes every model's score, the two frontiers and the benchmark's
evidence (dtest). Done one replicate at a time that is a Bench, a LagData and a few arrays
per replicate: thousands of small Python steps per benchmark and measure. Here the same
arithmetic runs on (replicates x models) arrays:

- frontiers: the running maximum along the models (sorted by release day, as in `Side.best`);
- "first model to reach a level": the count of frontier values below the level, which is
  what `np.searchsorted(best, level, side="left")` gives on a non-decreasing frontier;
- a threshold's pair of frontier steps (release days): both crossing days grow with the
  threshold, so equal pairs are neighbours and "the same pair as a lower threshold" is "the
  same as the threshold below" (`censor.lag_data`'s de-duplication).

Replicates where some model's score is undefined (none of its tasks drawn: NaN, which the
running `fmax` skips) and horizon-scale benchmarks take the one-replicate-at-a-time path,
so every replicate gives what `dtest.evidence` gives (a test compares the two paths).
"""

from __future__ import annotations

import numpy as np

from harness.analysis._common import DAYS_PER_MONTH, logit, neg_log_error
from harness.analysis.inference.dtest import TaskReplicates
from harness.analysis.measures.censor import thresholds_for
from harness.analysis.measures.evidence import evidence
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.measures.scores import TaskMatrix
from harness.analysis.spec import Censoring

_LEVELS = 400  # as lag._LEVELS: grid points of the catch-up integral


def task_replicates(
    b: Bench,
    measure: str,
    start: float,
    end: float,
    censoring: Censoring,
    tm: TaskMatrix,
    weights: np.ndarray,
) -> TaskReplicates:
    """Per-replicate (sum, weight) of one own-run benchmark's evidence under task resampling:
    each replicate redraws the tasks (the same draw for every model), recomputes every
    model's score, the frontiers and the benchmark's evidence; NaN where a replicate has no
    evidence or only bounds."""
    boot = tm.boot_scores(weights)  # (n_boot, n_models)
    col = {m: i for i, m in enumerate(tm.models)}
    closed = boot[:, [col[m] for m in b.closed.models]]
    opened = boot[:, [col[m] for m in b.open.models]]
    n_boot = weights.shape[0]
    s, w = np.full(n_boot, np.nan), np.full(n_boot, np.nan)
    if not b.has_pair:
        return s, w
    fast = np.isfinite(closed).all(axis=1) & np.isfinite(opened).all(axis=1)
    if b.scale != "fraction":
        fast[:] = False
    if fast.any():
        sums = _vector_sums(b, measure, start, end, censoring, closed[fast], opened[fast])
        s[fast], w[fast] = sums
    for r in np.flatnonzero(~fast):
        rb = Bench(
            b.name, b.kind, b.scale, b.closed.with_scores(closed[r]), b.open.with_scores(opened[r])
        )
        ev = evidence(rb, measure, start, end, censoring)
        if ev is not None and ev.exact:
            s[r], w[r] = ev.sums
    return s, w


def _vector_sums(
    b: Bench,
    measure: str,
    start: float,
    end: float,
    censoring: Censoring,
    closed: np.ndarray,
    opened: np.ndarray,
) -> TaskReplicates:
    """(sum, weight) per replicate for finite fraction scores (replicates x models per side)."""
    cbest = np.maximum.accumulate(closed, axis=1)
    obest = np.maximum.accumulate(opened, axis=1)
    if measure == "lag_months":
        return _lag(b, start, end, censoring, cbest, obest)
    if measure == "catchup_months":
        return _catchup(b, start, end, "both" if censoring == "bounds" else censoring, cbest, obest)
    if measure in ("score_gap", "score_gap_logit"):
        return _gap(b, start, end, cbest, obest, on_logit=measure == "score_gap_logit")
    raise ValueError(f"unknown measure {measure!r}")


def _none(n: int) -> TaskReplicates:
    return np.full(n, np.nan), np.full(n, np.nan)


def _reached(best: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """Index of the first model whose frontier reaches each level, per replicate:
    best (R, n) non-decreasing, levels (R, L) or (L,) -> (R, L); n where none does."""
    lv = levels if levels.ndim == 2 else np.broadcast_to(levels, (best.shape[0], levels.size))
    return (best[:, None, :] < lv[:, :, None]).sum(axis=2)


def _gap(
    b: Bench, start: float, end: float, cbest: np.ndarray, obest: np.ndarray, *, on_logit: bool
) -> TaskReplicates:
    """dtest.gap_evidence: the time-averaged gap over a monthly grid (days fixed, so the grid
    and which model leads on each grid day are the same in every replicate)."""
    lo = max(start, b.closed.days[0], b.open.days[0])
    hi = min(end, max(b.closed.days[-1], b.open.days[-1]))
    if hi < lo:
        return _none(cbest.shape[0])
    grid = np.arange(lo, hi + 1e-9, DAYS_PER_MONTH)
    c, o = _at(b.closed, cbest, grid), _at(b.open, obest, grid)
    vals = logit(c) - logit(o) if on_logit else 100.0 * (c - o)  # points, as the evidence
    ok = np.isfinite(vals)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, vals, 0.0).sum(axis=1) / n
    keep = n > 0
    weight = n.astype(float)
    return np.where(keep, weight * mean, np.nan), np.where(keep, weight, np.nan)


def _at(side: Side, best: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Side.at for every replicate: best (R, n) -> (R, len(t))."""
    idx = np.searchsorted(side.days, t, side="right") - 1
    out = np.full((best.shape[0], t.size), np.nan)
    ok = idx >= 0
    out[:, ok] = best[:, idx[ok]]
    return out


def _catchup(
    b: Bench, start: float, end: float, censoring: str, cbest: np.ndarray, obest: np.ndarray
) -> TaskReplicates:
    """dtest.catchup_evidence (lag.catchup_levels) for every replicate."""
    cl, ol = neg_log_error(cbest), neg_log_error(obest)
    c_first = np.searchsorted(b.closed.days, b.closed.days[0], side="right") - 1
    o_first = np.searchsorted(b.open.days, b.open.days[0], side="right") - 1
    c0, o0 = cl[:, c_first], ol[:, o_first]
    if censoring == "closed":
        lo = c0
    elif censoring == "open":
        lo = o0
    elif censoring == "none":
        lo = np.minimum(cl[:, 0], ol[:, 0])
    else:
        lo = np.maximum(c0, o0)
    hi = np.minimum(cl[:, -1], ol[:, -1])
    valid = hi > lo
    n = cbest.shape[0]
    if not valid.any():
        return _none(n)
    lo_v, hi_v = lo[valid], hi[valid]
    y = lo_v[:, None] + (np.arange(_LEVELS) + 0.5)[None, :] * (hi_v - lo_v)[:, None] / _LEVELS
    tc = b.closed.days[_reached(cl[valid], y - 1e-12)]
    to = b.open.days[_reached(ol[valid], y - 1e-12)]
    sel = (to >= start) & (to <= end)
    lags = (to - tc) / DAYS_PER_MONTH
    k = sel.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(sel, lags, 0.0).sum(axis=1) / k
    weight = (hi_v - lo_v) * k / 400.0
    good = (k > 0) & np.isfinite(weight) & (weight > 0)
    s, w = _none(n)
    s[valid] = np.where(good, weight * mean, np.nan)
    w[valid] = np.where(good, weight, np.nan)
    return s, w


def _lag(
    b: Bench, start: float, end: float, censoring: Censoring, cbest: np.ndarray, obest: np.ndarray
) -> TaskReplicates:
    """dtest.lag_evidence (censor.lag_data) for every replicate: the sum and count of the
    counted lags in the window, NaN where none is counted or a bound is (bounds need the
    censored fit, which has no task-level form)."""
    thr = thresholds_for(b)  # fixed on fraction scales
    nc, no = cbest.shape[1], obest.shape[1]
    ci, oi = _reached(cbest, thr - 1e-12), _reached(obest, thr - 1e-12)
    c_ok, o_ok = ci < nc, oi < no
    cday = np.where(c_ok, b.closed.days[np.minimum(ci, nc - 1)], np.nan)
    oday = np.where(o_ok, b.open.days[np.minimum(oi, no - 1)], np.nan)
    c_first = c_ok & (cday <= b.closed.days[0])
    o_first = o_ok & (oday <= b.open.days[0])
    both = c_ok & o_ok
    plain = ~(c_first | o_first)
    if censoring == "none":
        exact = both
    elif censoring == "both":
        exact = both & plain
    elif censoring == "closed":
        exact = both & ~c_first
    elif censoring == "open":
        exact = both & ~o_first
    else:  # bounds: first-model crossings and pending thresholds become one-sided bounds
        exact = both & plain
    bound = np.zeros_like(exact)
    if censoring == "bounds":
        bound = (both & (c_first ^ o_first)) | (c_ok ^ o_ok)
    counted = exact | bound
    # one datapoint per pair of frontier steps (release days, as censor.lag_data): equal
    # pairs are neighbours (crossing days grow with thr); NaN (not crossed) equals NaN
    same_c = (cday[:, 1:] == cday[:, :-1]) | (np.isnan(cday[:, 1:]) & np.isnan(cday[:, :-1]))
    same_o = (oday[:, 1:] == oday[:, :-1]) | (np.isnan(oday[:, 1:]) & np.isnan(oday[:, :-1]))
    repeat = np.zeros_like(counted)
    repeat[:, 1:] = same_c & same_o
    counted &= ~repeat
    od = np.where(np.isfinite(oday), oday, b.open.days[-1])
    sel = counted & (od >= start) & (od <= end)
    k = sel.sum(axis=1)
    has_bound = (sel & bound).any(axis=1)
    with np.errstate(invalid="ignore"):
        lags = (oday - cday) / DAYS_PER_MONTH
    total = np.where(sel, lags, 0.0).sum(axis=1)
    good = (k > 0) & ~has_bound
    return np.where(good, total, np.nan), np.where(good, k.astype(float), np.nan)
