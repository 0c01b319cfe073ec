"""Power and the minimum detectable effect (issue 22.1), against a brute-force truth: many
data sets drawn from a known process and analysed by the real estimator. The simulation
from ONE data set must land near that truth; a normal approximation that ignores the
small-sample widening, and a power computation that treats censored lags as exact, must not.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from harness.analysis.inference import power
from harness.analysis.inference.dtest import d_row
from harness.analysis.measures.evidence import Evidence

N_PER_KIND = 4  # few benchmarks: the t widening is x1.9 here, which a z approximation misses
TAU = 1.0  # spread between benchmarks (months)
FAR = 10.0  # unreached thresholds: lower bounds far below the lag (censored, uninformative)


def benchmark(name: str, kind: str, lag: float, n_bounds: int, noise: np.ndarray) -> Evidence:
    exact = lag + 0.3 * noise
    lo = np.r_[exact, np.full(n_bounds, lag - FAR)]
    hi = np.r_[exact, np.full(n_bounds, np.inf)]
    return Evidence(name, kind, lo, hi, np.ones(lo.size))


def drawn(rng: np.random.Generator, d: float = 0.0) -> list[Evidence]:
    """The process: each benchmark's lag ~ N(5 (+ d on agentic), TAU), 4 exact datapoints
    near it and 0-6 lower bounds far below (how many varies by benchmark)."""
    return [
        benchmark(
            f"{kind[:3]}{i}",
            kind,
            5.0 + (d if kind == "agentic" else 0.0) + TAU * rng.standard_normal(),
            int(rng.integers(0, 7)),
            rng.standard_normal(4),
        )
        for kind in ("agentic", "standard")
        for i in range(N_PER_KIND)
    ]


def representative() -> list[Evidence]:
    """One data set with the process's spread exactly (lags at normal quantiles, sample sd
    TAU) and its spread of bounds, so that one simulation can be compared with the truth."""
    z = norm.ppf((np.arange(N_PER_KIND) + 0.5) / N_PER_KIND)
    z = z / z.std(ddof=1)
    noise = norm.ppf((np.arange(4) + 0.5) / 4)
    return [
        benchmark(f"{kind[:3]}{i}", kind, 5.0 + TAU * z[i], 2 * i, noise)
        for kind in ("agentic", "standard")
        for i in range(N_PER_KIND)
    ]


def mde_truth(n_sets: int = 200) -> float:
    """80th percentile of -(CI lower end) over data sets with D = 0: the smallest planted D
    found in 80% of them (the estimator moves with its data, so one set of draws does)."""
    rng = np.random.default_rng(11)
    lows = [
        d_row(drawn(rng), averaging="benchmark", n_boot=100, rng=rng)["ci_low"]
        for _ in range(n_sets)
    ]
    return float(np.quantile(-np.asarray(lows, dtype=float), 0.8))


def mde_by_simulation(evs: list[Evidence]) -> float:
    r = d_row(evs, averaging="benchmark", n_boot=400, rng=np.random.default_rng(0))
    p = power.simulate(
        evs, float(r["d"]), averaging="benchmark", level=0.95, n_sims=200, n_boot=100, seed=0
    )
    return p.mde


def test_the_estimate_moves_with_a_planted_d_so_one_simulation_gives_every_power():
    evs = drawn(np.random.default_rng(3))
    moved = [e.shifted(2.0) if e.kind == "agentic" else e for e in evs]
    a = d_row(evs, averaging="benchmark", n_boot=300, rng=np.random.default_rng(5))
    b = d_row(moved, averaging="benchmark", n_boot=300, rng=np.random.default_rng(5))
    for key in ("d", "ci_low", "ci_high", "at_least", "at_most"):
        assert b[key] == pytest.approx(a[key] + 2.0, abs=2e-3), key


def test_mde_from_one_data_set_matches_brute_force_and_the_wrong_methods_do_not():
    truth = mde_truth()
    evs = representative()
    ours = mde_by_simulation(evs)
    assert 0.8 * truth <= ours <= 1.25 * truth, (ours, truth)
    # a normal approximation, (z_0.975 + z_0.8) x the bootstrap SE: blind to the widening
    r = d_row(evs, averaging="benchmark", n_boot=400, rng=np.random.default_rng(0))
    normal = (norm.ppf(0.975) + norm.ppf(0.8)) * np.hypot(r["se_agentic"], r["se_standard"])
    assert normal < 0.75 * truth, (normal, truth)
    # ignoring censoring: the far bounds taken as exact lags
    as_exact = [Evidence(e.benchmark, e.kind, e.lo, e.lo, e.w) for e in evs]
    assert mde_by_simulation(as_exact) > 1.3 * truth


def test_power_curve_rises_through_the_target_and_rejects_little_at_zero():
    evs = representative()
    r = d_row(evs, averaging="benchmark", n_boot=400, rng=np.random.default_rng(0))
    p = power.simulate(
        evs, float(r["d"]), averaging="benchmark", level=0.95, n_sims=200, n_boot=100, seed=1
    )
    powers = [p.power_at(d) for d in (0.0, 0.5 * p.mde, p.mde + 1e-9, 2 * p.mde)]
    assert powers == sorted(powers)
    assert powers[0] <= 0.06  # a one-sided 2.5% test: a CI above 0 when D = 0 is rare
    assert powers[2] >= 0.8
    few = [e for e in evs if e.kind == "standard" or e.benchmark != "age0"]
    assert power.simulate(
        few, 0.0, averaging="benchmark", level=0.95, n_sims=50, n_boot=50, seed=0
    ).status == ("insufficient")
