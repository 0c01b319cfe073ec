"""Score intervals (issue 22.4): inside [0, 1], sane at a handful of samples, calibrated; a
published standard error's interval clipped to the scale and labelled so; every score row
names its interval's method."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analysis import model_scores
from harness.analysis.intervals import (
    NO_CI,
    SE_CLIPPED,
    SE_NORMAL,
    WILSON,
    effective_n,
    se_interval,
    wilson,
    wilson_effective,
)
from tests.analysis import synth


def test_wilson_at_six_samples_stays_in_range_and_is_not_a_point():
    # SmolLM2's 0 of 6 showed a CI of 0.000-0.000 from the percentile bootstrap
    lo, hi = wilson_effective(np.zeros(6), 6)
    assert lo == 0.0 and hi == pytest.approx(0.390, abs=0.001)
    lo, hi = wilson_effective(np.ones(6), 6)
    assert hi == 1.0 and lo == pytest.approx(0.610, abs=0.001)
    for p in np.linspace(0, 1, 11):
        for n in (1, 2, 6, 50, 1e4):
            a, b = wilson(float(p), n)
            assert 0.0 <= a <= p <= b <= 1.0


def test_effective_n_sits_between_tasks_and_rows():
    same = np.repeat([0.0, 1.0], 5)  # epochs agree: no more information than 10 tasks
    assert effective_n(same, n_rows=30) == 10
    mixed = np.full(10, 0.5)  # every task half passed: epochs disagree, all rows count
    assert effective_n(mixed, n_rows=30) == 30
    partial = np.array([0, 1 / 3, 2 / 3, 1, 1, 0, 1 / 3, 2 / 3, 1, 0])
    assert 10 < effective_n(partial, n_rows=30) < 30


def coverage(method: str, n: int, p: float, n_sets: int = 4000) -> float:
    """Share of data sets of n Bernoulli(p) tasks whose interval covers p."""
    rng = np.random.default_rng(7)
    x = (rng.random((n_sets, n)) < p).astype(float)
    if method == "wilson":
        ci = np.array([wilson_effective(row, n) for row in x])
    else:  # the percentile bootstrap over tasks the analysis used before
        idx = rng.integers(0, n, size=(n_sets, 500, n))
        means = np.take_along_axis(x[:, None, :], idx, axis=2).mean(axis=2)
        ci = np.quantile(means, [0.025, 0.975], axis=1).T
    return float(np.mean((ci[:, 0] <= p) & (p <= ci[:, 1])))


@pytest.mark.parametrize(("method", "ok"), [("wilson", True), ("percentile bootstrap", False)])
def test_interval_coverage_at_n_6_fails_for_the_percentile_bootstrap(method, ok):
    covered = min(coverage(method, 6, p) for p in (0.1, 0.3, 0.5))
    assert (covered >= 0.9) is ok, covered


def test_published_se_interval_is_clipped_and_says_so():
    inside = se_interval(0.5, 0.02, "fraction")
    assert inside.method == SE_NORMAL and 0 < inside.low < inside.high < 1
    top = se_interval(0.98, 0.02, "fraction")
    assert top.high == 1.0 and top.method == SE_CLIPPED
    assert se_interval(3.0, 2.0, "minutes").low == 0.0  # minutes are never negative
    assert se_interval(0.5, float("nan"), "fraction").method == NO_CI


def test_every_score_row_names_its_interval():
    rows = [
        synth.row("m", "open", synth.month(0), "s", "standard", 0.0, sample_id=f"t{i}")
        for i in range(6)
    ]
    pub = synth.row("c", "closed", synth.month(0), "s", "standard", 0.98)
    pub["extra"] = '{"stderr": "0.02", "stderr_unit": "fraction"}'
    bare = synth.row("d", "closed", synth.month(1), "s", "standard", 0.70)
    s = model_scores(synth.frame([*rows, pub, bare])).set_index("model_id")
    assert s.loc["m", "ci_method"] == WILSON
    assert (s.loc["m", "ci_low"], round(s.loc["m", "ci_high"], 3)) == (0.0, 0.39)
    assert s.loc["c", "ci_method"] == SE_CLIPPED and s.loc["c", "ci_high"] == 1.0
    assert s.loc["d", "ci_method"] == NO_CI and np.isnan(s.loc["d", "ci_low"])
