"""D = gap(agentic) - gap(standard) for one specification: evidence per benchmark, then the
bootstrap over benchmarks.

Each benchmark contributes *evidence* for a measure in a window: datapoints with bounds
[lo, hi] (equal when exact) and weights. Lag: one datapoint per counted threshold (bounds
under `censoring="bounds"`). Catch-up: the benchmark's mean over the levels whose open
crossing is in the window, weighted by that level range. Score gaps: the time average over
a monthly grid, weighted by the number of months.

gap(kind): with averaging "benchmark" the mean over the kind's benchmarks of each benchmark's
weighted mean (every benchmark one unit); with "pooled" the weighted mean over all the kind's
datapoints (Ihle's pooling). With bounds, the same weights enter the censored normal
likelihood (`censor.censored_normal_fit`).

CI: a stratified bootstrap over benchmarks (each kind resampled to its own size); each
kind's replicate spread is widened around its estimate by sqrt(n/(n-1)) t_{n-1}/z (the
expanded percentile interval, Hesterberg 2015), as the plain percentile interval is too
narrow with a few benchmarks. One-sided p for H0: D <= 0 is (1 + #{D* <= 0}) / (B + 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

from harness.analysis._common import DAYS_PER_MONTH, percentile_ci
from harness.analysis.censor import LagData, censored_normal_fit, lag_data
from harness.analysis.frontier import Bench, gap_values
from harness.analysis.lag import catchup_levels
from harness.analysis.spec import Averaging, Censoring

KINDS = ("agentic", "standard")
MIN_BENCHMARKS = 2  # per kind; fewer gives "insufficient"


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
    vals = gap2 if on_logit else gap
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


@cache
def expansion(n: int, level: float = 0.95) -> float:
    """Factor sqrt(n/(n-1)) * t_{n-1} / z that widens a percentile interval over n units."""
    if n < 2:
        return 1.0
    q = 0.5 + level / 2
    return float(np.sqrt(n / (n - 1)) * student_t.ppf(q, n - 1) / norm.ppf(q))


def resample_counts(rng: np.random.Generator, n: int, n_boot: int) -> np.ndarray:
    """(n_boot, n) counts: how often each of n units is drawn in each replicate."""
    idx = rng.integers(0, n, size=(n_boot, n)) + n * np.arange(n_boot)[:, None]
    return np.bincount(idx.ravel(), minlength=n_boot * n).reshape(n_boot, n).astype(float)


# task-level replicates of an own-run benchmark: (sum of w * value, sum of w), each (n_boot,)
TaskReplicates = tuple[np.ndarray, np.ndarray]


def kind_estimate(
    evs: Sequence[Evidence],
    averaging: Averaging,
    counts: np.ndarray,
    task_reps: Mapping[str, TaskReplicates] | None = None,
) -> tuple[float, np.ndarray]:
    """(estimate, replicates) of one kind's gap; counts: (n_boot, len(evs)) bootstrap draws."""
    task_reps = task_reps or {}
    if all(e.exact for e in evs):
        sums = np.array([e.sums for e in evs])  # (n, 2): sum of w * value, sum of w
        own = [i for i, e in enumerate(evs) if e.benchmark in task_reps]
        if averaging == "benchmark":
            v = sums[:, 0] / sums[:, 1]
            est = float(v.mean())
            if not own:
                return est, counts @ v / counts.sum(axis=1)
            vr = np.broadcast_to(v, counts.shape).copy()  # (n_boot, n)
            for i in own:
                s_r, w_r = task_reps[evs[i].benchmark]
                with np.errstate(invalid="ignore", divide="ignore"):
                    vr[:, i] = s_r / w_r  # NaN where a task draw lost the value
            c = np.where(np.isfinite(vr), counts, 0.0)
            with np.errstate(invalid="ignore", divide="ignore"):
                return est, (c * np.nan_to_num(vr)).sum(axis=1) / c.sum(axis=1)
        est = float(sums[:, 0].sum() / sums[:, 1].sum())
        if not own:
            return est, (counts @ sums[:, 0]) / (counts @ sums[:, 1])
        sr = np.broadcast_to(sums[:, 0], counts.shape).copy()
        wr = np.broadcast_to(sums[:, 1], counts.shape).copy()
        for i in own:
            sr[:, i], wr[:, i] = task_reps[evs[i].benchmark]
        ok = np.isfinite(sr) & np.isfinite(wr)
        with np.errstate(invalid="ignore", divide="ignore"):
            return est, (counts * np.where(ok, sr, 0)).sum(axis=1) / (
                counts * np.where(ok, wr, 0)
            ).sum(axis=1)
    lo = np.concatenate([e.lo for e in evs])
    hi = np.concatenate([e.hi for e in evs])
    base = np.concatenate([e.w / e.w.sum() if averaging == "benchmark" else e.w for e in evs])
    owner = np.concatenate([np.full(e.n, i) for i, e in enumerate(evs)])
    mu, sigma = censored_normal_fit(lo, hi, base)
    reps, _ = censored_normal_fit(
        lo, hi, counts[:, owner] * base, start=(float(mu[0]), float(sigma[0])), tol=1e-4
    )
    return float(mu[0]), reps


def d_row(
    evs: Sequence[Evidence],
    *,
    averaging: Averaging = "benchmark",
    n_boot: int = 2000,
    rng: np.random.Generator,
    level: float = 0.95,
    min_benchmarks: int = MIN_BENCHMARKS,
    task_reps: Mapping[str, TaskReplicates] | None = None,
    memo: dict[tuple[object, ...], tuple[float, np.ndarray]] | None = None,
) -> dict[str, object]:
    """agentic, standard, d, ci_low, ci_high, p_one_sided, n_agentic, n_standard, n_bounds,
    status, reason.

    memo: a cache of one kind's (estimate, widened replicates) by its benchmark set, for
    many specifications over the same evidence (the curve's leave-one-out sets change one
    kind at a time; the other kind's bootstrap is reused rather than refitted).
    """
    by_kind = {k: [e for e in evs if e.kind == k] for k in KINDS}
    na, ns = len(by_kind["agentic"]), len(by_kind["standard"])
    row: dict[str, object] = {
        "agentic": np.nan,
        "standard": np.nan,
        "d": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_one_sided": np.nan,
        "n_agentic": na,
        "n_standard": ns,
        "n_bounds": sum(e.n_bounds for e in evs),
        "status": "ok",
        "reason": "",
    }
    if na < min_benchmarks or ns < min_benchmarks:
        row.update(
            status="insufficient",
            reason=f"{na} agentic and {ns} standard benchmarks with a value in the window "
            f"(need {min_benchmarks} of each)",
        )
        return row
    est: dict[str, float] = {}
    reps: dict[str, np.ndarray] = {}
    for kind in KINDS:
        group = by_kind[kind]
        key = (kind, averaging, n_boot, level, tuple(sorted(e.benchmark for e in group)))
        if memo is not None and key in memo:
            est[kind], reps[kind] = memo[key]
            continue
        counts = resample_counts(rng, len(group), n_boot)
        e, r = kind_estimate(group, averaging, counts, task_reps)
        est[kind] = e
        reps[kind] = e + expansion(len(group), level) * (r - e)
        if memo is not None:
            memo[key] = (est[kind], reps[kind])
    if not (np.isfinite(est["agentic"]) and np.isfinite(est["standard"])):
        row.update(
            status="insufficient",
            reason="only bounds, no exact datapoint, on one side: the mean is not identified",
        )
        return row
    d_star = reps["agentic"] - reps["standard"]
    d_star = d_star[np.isfinite(d_star)]
    lo, hi = percentile_ci(d_star, level)
    p = (1 + np.count_nonzero(d_star <= 0)) / (d_star.size + 1)
    row.update(
        agentic=est["agentic"],
        standard=est["standard"],
        d=est["agentic"] - est["standard"],
        ci_low=lo,
        ci_high=hi,
        p_one_sided=float(p),
    )
    return row
