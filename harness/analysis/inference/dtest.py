"""D = gap(agentic) - gap(standard) for one specification: the bootstrap over benchmarks of
their evidence (`measures.evidence`).

gap(kind): with averaging "benchmark" the mean over the kind's benchmarks of each benchmark's
weighted mean (every benchmark one unit); with "pooled" the weighted mean over all the kind's
datapoints (Ihle's pooling). With bounds, the same weights enter the censored normal
likelihood (`inference.censored_fit.censored_normal_fit`).

CI: a stratified bootstrap over benchmarks (each kind resampled to its own size); each
kind's replicate spread is widened around its estimate by sqrt(n/(n-1)) t_{n-1}/z (the
expanded percentile interval, Hesterberg 2015; `intervals.expansion`), as the plain
percentile interval is too narrow with a few benchmarks. One-sided p for H0: D <= 0 is
(1 + #{D* <= 0}) / (B + 1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from harness.analysis._common import percentile_ci
from harness.analysis.inference.censored_fit import censored_normal_fit
from harness.analysis.intervals import D_BOOTSTRAP, expansion
from harness.analysis.measures.evidence import KINDS, Evidence
from harness.analysis.spec import MIN_BENCHMARKS_PER_KIND, Averaging


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


def weighted_estimates(
    evs: Sequence[Evidence],
    averaging: Averaging,
    counts: np.ndarray,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    chunk: int = 2048,
) -> tuple[np.ndarray, np.ndarray]:
    """One kind's gap under each row of benchmark weights `counts` ((rows, len(evs)): how
    often each benchmark is drawn), as `kind_estimate` computes a replicate, and the
    censored fit's sigma (NaN for exact data); NaN where a row leaves the mean unidentified.
    start: per-row (mu, sigma) for the censored fit's Newton steps. Rows are fitted in
    chunks (a power analysis fits tens of thousands; small chunks stay in cache)."""
    if all(e.exact for e in evs):
        sums = np.array([e.sums for e in evs])
        nan = np.full(counts.shape[0], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            if averaging == "benchmark":
                return counts @ (sums[:, 0] / sums[:, 1]) / counts.sum(axis=1), nan
            return (counts @ sums[:, 0]) / (counts @ sums[:, 1]), nan
    lo = np.concatenate([e.lo for e in evs])
    hi = np.concatenate([e.hi for e in evs])
    base = np.concatenate([e.w / e.w.sum() if averaging == "benchmark" else e.w for e in evs])
    owner = np.concatenate([np.full(e.n, i) for i, e in enumerate(evs)])
    mu, sigma = np.empty(counts.shape[0]), np.empty(counts.shape[0])
    for a in range(0, counts.shape[0], chunk):
        w = counts[a : a + chunk][:, owner] * base
        part = None if start is None else (start[0][a : a + chunk], start[1][a : a + chunk])
        mu[a : a + chunk], sigma[a : a + chunk] = censored_normal_fit(
            lo, hi, w, start=part, tol=1e-4
        )
    return mu, sigma


def d_row(
    evs: Sequence[Evidence],
    *,
    averaging: Averaging = "benchmark",
    n_boot: int = 2000,
    rng: np.random.Generator,
    level: float = 0.95,
    min_benchmarks: int = MIN_BENCHMARKS_PER_KIND,
    task_reps: Mapping[str, TaskReplicates] | None = None,
    memo: dict[tuple[object, ...], tuple[float, np.ndarray]] | None = None,
) -> dict[str, object]:
    """agentic, standard, d, ci_low, ci_high, p_one_sided, at_least, at_most, se_agentic,
    se_standard, n_agentic, n_standard, n_bounds, status, reason, ci_method.

    at_least / at_most: one-sided bounds at `level` (D >= at_least and D <= at_most, each
    at `level` confidence: the two-sided interval at 2 level - 1, from the same replicates).
    memo: a cache of one kind's (estimate, replicates) by its benchmark set, for many
    specifications over the same evidence (the influence table's leave-one-out sets change
    one kind at a time; the other kind's bootstrap is reused rather than refitted).
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
        "at_least": np.nan,
        "at_most": np.nan,
        "se_agentic": np.nan,
        "se_standard": np.nan,
        "n_agentic": na,
        "n_standard": ns,
        "n_bounds": sum(e.n_bounds for e in evs),
        "status": "ok",
        "reason": "",
        "ci_method": D_BOOTSTRAP,
    }
    if na < min_benchmarks or ns < min_benchmarks:
        row.update(
            status="insufficient",
            reason=f"{na} agentic and {ns} standard benchmarks with a value in the window "
            f"(a specification needs at least {min_benchmarks} of each)",
        )
        return row
    est: dict[str, float] = {}
    raw: dict[str, np.ndarray] = {}
    for kind in KINDS:
        group = by_kind[kind]
        key = (kind, averaging, n_boot, tuple(sorted(e.benchmark for e in group)))
        if memo is not None and key in memo:
            est[kind], raw[kind] = memo[key]
            continue
        counts = resample_counts(rng, len(group), n_boot)
        est[kind], raw[kind] = kind_estimate(group, averaging, counts, task_reps)
        if memo is not None:
            memo[key] = (est[kind], raw[kind])
    if not (np.isfinite(est["agentic"]) and np.isfinite(est["standard"])):
        row.update(
            status="insufficient",
            reason="only bounds, no exact datapoint, on one side: the mean is not identified",
        )
        return row
    sizes = {"agentic": na, "standard": ns}
    d_star = widened_d(est, raw, sizes, level)
    lo, hi = percentile_ci(d_star, level)
    p = (1 + np.count_nonzero(d_star <= 0)) / (d_star.size + 1)
    at_least, at_most = percentile_ci(widened_d(est, raw, sizes, 2 * level - 1), 2 * level - 1)
    row.update(
        agentic=est["agentic"],
        standard=est["standard"],
        d=est["agentic"] - est["standard"],
        ci_low=lo,
        ci_high=hi,
        p_one_sided=float(p),
        at_least=at_least,
        at_most=at_most,
        # each kind's bootstrap standard error (before widening): its spread between
        # benchmarks over sqrt(n), what a projection to more benchmarks scales
        se_agentic=_sd(raw["agentic"]),
        se_standard=_sd(raw["standard"]),
    )
    return row


def _sd(reps: np.ndarray) -> float:
    r = reps[np.isfinite(reps)]
    return float(r.std(ddof=1)) if r.size > 1 else float("nan")


def widened_d(
    est: Mapping[str, float],
    raw: Mapping[str, np.ndarray],
    sizes: Mapping[str, int],
    level: float,
) -> np.ndarray:
    """D replicates (finite ones) with each kind's spread widened around its estimate by
    `expansion(n, level)` for the interval at `level` (widening depends on the level: it is
    t_{n-1}/z at that level's quantile)."""
    a, s = (est[k] + expansion(sizes[k], level) * (raw[k] - est[k]) for k in KINDS)
    d = a - s
    return d[np.isfinite(d)]
