"""What the data can detect: the power of the D test and its minimum detectable effect, by
simulation from the data's own structure.

A simulated data set keeps what the real one has: as many benchmarks per kind, each with its
own datapoints (as many as its models gave), its bounds where crossings were censored, and
its weights. It is drawn from the observed benchmarks (each kind resampled with
replacement to its own size, the bootstrap's model of "another set of benchmarks like
these"; each benchmark first moved away from its kind's estimate by sqrt(n/(n-1)) - 1 of its
distance, so that the simulated world's spread between benchmarks is the unbiased sample
spread, not the (n-1)/n of it a plain bootstrap draws), after moving every agentic
datapoint (exact values and bounds alike) by -D_hat, so that the true D of the simulated
world is 0. Each simulated set is analysed exactly as the
real one (`dtest.d_row`: the censored fit under bounds, the expanded percentile interval),
and its CI's lower end L is kept.

A planted D moves every agentic datapoint by D. The estimator, its bootstrap and its
widening are location-equivariant (the censored normal fit moves with its data), so the
simulated set's CI moves by exactly D: it lies above 0 when L + D > 0. One set of
simulations therefore gives the power at every D: power(D) = share of simulations with
-L < D, and the minimum detectable effect at 80% power is the 80th percentile of -L.

This is what a normal approximation (MDE = (z_0.975 + z_0.8) x SE) gets wrong with few
benchmarks: the interval the verdict reads is widened for small samples (t, not z), and
bounds carry less information than exact lags; both widen the MDE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from harness.analysis.inference.dtest import weighted_estimates
from harness.analysis.intervals import expansion
from harness.analysis.measures.evidence import KINDS, Evidence
from harness.analysis.spec import MIN_BENCHMARKS_PER_KIND, Averaging

TARGET_POWER = 0.8
METHOD = (
    "simulation: benchmarks resampled within kind from the data (their datapoints, bounds "
    "and weights kept), agentic datapoints shifted so the true D is 0, each set analysed as "
    "the data are; power(D) = share of sets whose CI lower end + D > 0"
)


@dataclass(frozen=True)
class Power:
    """Power of the D test under one specification (months for D(lag))."""

    status: str  # ok | insufficient
    reason: str
    n_sims: int
    inner_replicates: int
    target: float
    mde: float  # smallest planted D with power >= target (NaN when insufficient)
    thresholds: np.ndarray  # -L per simulation, sorted: power(D) = share below D

    def power_at(self, d: float) -> float:
        """Share of simulated data sets whose CI lies above 0 when the true D is `d`."""
        if self.status != "ok" or not self.thresholds.size:
            return float("nan")
        return float(np.searchsorted(self.thresholds, d, side="left") / self.n_sims)

    def curve(self, grid: Sequence[float]) -> list[tuple[float, float]]:
        return [(float(d), self.power_at(d)) for d in grid]

    def to_dict(self, grid: Sequence[float] = ()) -> dict[str, object]:
        return {
            "status": self.status,
            "reason": self.reason,
            "target_power": self.target,
            "mde": self.mde if np.isfinite(self.mde) else None,
            "n_simulations": self.n_sims,
            "inner_replicates": self.inner_replicates,
            "method": METHOD,
            "power": [{"d": d, "power": p} for d, p in self.curve(grid)],
        }


def simulate(
    evs: Sequence[Evidence],
    d_hat: float,
    *,
    averaging: Averaging,
    level: float,
    n_sims: int,
    n_boot: int,
    seed: int,
    target: float = TARGET_POWER,
    min_benchmarks: int = MIN_BENCHMARKS_PER_KIND,
) -> Power:
    """The power of the D test on data like `evs` (see the module doc).

    Every simulated set and every bootstrap replicate of it is a weighting of the observed
    benchmarks (how often each was drawn), so all n_sims x n_boot fits run as one
    vectorised censored fit per kind (`dtest.weighted_estimates`) rather than n_sims
    separate analyses; the arithmetic per set is `dtest.d_row`'s.
    """
    by_kind = {k: [e for e in evs if e.kind == k] for k in KINDS}
    sizes = {k: len(v) for k, v in by_kind.items()}
    if min(sizes.values()) < min_benchmarks or not np.isfinite(d_hat):
        return Power(
            "insufficient",
            f"{sizes['agentic']} agentic and {sizes['standard']} standard benchmarks with a "
            f"value (a specification needs at least {min_benchmarks} of each)",
            0,
            n_boot,
            target,
            float("nan"),
            np.empty(0),
        )
    rng = np.random.default_rng(seed + 3)
    est: dict[str, np.ndarray] = {}
    raw: dict[str, np.ndarray] = {}
    for k in KINDS:
        group = _spread_corrected(by_kind[k], averaging)
        if k == "agentic":
            group = [e.shifted(-d_hat) for e in group]
        n = sizes[k]
        drawn = rng.integers(0, n, size=(n_sims, n))  # each simulated set's benchmarks
        picks = rng.integers(0, n, size=(n_sims, n_boot, n))  # its bootstrap replicates
        boot = np.take_along_axis(drawn[:, None, :], picks, axis=2).reshape(-1, n)
        mu, sd = weighted_estimates(group, averaging, np.ones((1, n)))
        first = (np.full(n_sims, mu[0]), np.full(n_sims, sd[0]))
        est[k], sd_k = weighted_estimates(group, averaging, _counts(drawn, n), first)
        # each set's replicates start from that set's own fit: a few Newton steps away
        start = (np.repeat(est[k], n_boot), np.repeat(sd_k, n_boot))
        raw[k] = weighted_estimates(group, averaging, _counts(boot, n), start)[0].reshape(
            n_sims, n_boot
        )
    a, s = (
        est[k][:, None] + expansion(sizes[k], level) * (raw[k] - est[k][:, None]) for k in KINDS
    )
    d_star = a - s
    ok = np.isfinite(est["agentic"] - est["standard"]) & (np.isfinite(d_star).sum(axis=1) >= 10)
    thresholds = np.full(n_sims, np.inf)  # a set with no interval never detects anything
    if ok.any():
        with np.errstate(all="ignore"):
            low = np.nanquantile(d_star[ok], (1 - level) / 2, axis=1)
        thresholds[ok] = -low
    thresholds.sort()
    at = float(thresholds[int(np.ceil(target * n_sims)) - 1])
    mde = max(at, 0.0) if np.isfinite(at) else float("nan")
    return Power("ok", "", n_sims, n_boot, target, mde, thresholds)


def _spread_corrected(group: Sequence[Evidence], averaging: Averaging) -> list[Evidence]:
    """The kind's benchmarks moved away from the kind's estimate by sqrt(n/(n-1)) - 1 of
    their distance: drawn with replacement, n benchmarks spread by (n-1)/n of their sample
    variance (the bootstrap's known shrinkage); this makes the simulated world's spread the
    unbiased one. A benchmark's place is the mean of its exact datapoints (one with only
    bounds stays where it is); all its datapoints, bounds too, move together."""
    n = len(group)
    if n < 2:
        return list(group)
    centre = float(weighted_estimates(group, averaging, np.ones((1, n)))[0][0])
    if not np.isfinite(centre):
        return list(group)
    grow = float(np.sqrt(n / (n - 1))) - 1.0
    out = []
    for e in group:
        exact = e.lo == e.hi
        place = float(np.average(e.lo[exact], weights=e.w[exact])) if exact.any() else centre
        out.append(e.shifted(grow * (place - centre)))
    return out


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """(rows, n) how often each of n benchmarks appears in each row of indices."""
    rows = idx.shape[0]
    flat = (idx + n * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(float)
