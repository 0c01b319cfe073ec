"""Planted horizons and per-step reliability; the paired ladder comparison."""

import numpy as np
import pandas as pd
import pytest

from harness.analysis import horizon, horizons, ladder, passk
from harness.analysis.horizon import fit_p_step
from tests.analysis import synth


def test_planted_horizon_recovered(rng):
    rows = synth.horizon_samples(rng, "closed-m", "closed", 16.0) + synth.horizon_samples(
        rng, "open-m", "open", 4.0
    )
    table, gap = horizons(synth.frame(rows), n_boot=400)
    t = table.set_index("model_id")
    for m, h50 in (("closed-m", 16.0), ("open-m", 4.0)):
        assert t.loc[m, "status"] == "ok"
        assert t.loc[m, "h50_ci_low"] <= h50 <= t.loc[m, "h50_ci_high"]
    g = gap.iloc[0]
    assert (g["closed_model"], g["open_model"]) == ("closed-m", "open-m")
    assert g["ci_low"] <= 2.0 <= g["ci_high"]  # log2(16 / 4)


RUNGS = np.array([1, 2, 4, 8, 16, 32], dtype=float)


def ladder_draws(p: float, per_rung: int, seeds: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(log2 h, success) of a ladder whose every step succeeds with probability p (success =
    p^h, the shape of an agent whose per-step errors compound), one pair per seed."""
    h = np.repeat(RUNGS, per_rung)
    out = []
    for seed in range(seeds):
        g = np.random.default_rng(seed)
        out.append((np.log2(h), (g.random(h.size) < p**h).astype(float)))
    return out


def _production(x, y, g):
    est = horizon.estimate_h50(x, y, np.arange(x.size), n_boot=100, rng=g, level=0.95)
    return est.point, est.lo, est.hi


def _logistic(x, y, g):
    """The method shipped before: METR's logistic in log2 h, expanded percentile CI."""
    est = horizon.estimate_h50(
        x, y, np.arange(x.size), n_boot=100, rng=g, level=0.95, method="logistic"
    )
    return est.point, est.lo, est.hi


def _twice(x, y, g):
    point, lo, hi = _production(x, y, g)
    return point, point - 2 * (point - lo), point + 2 * (hi - point)


@pytest.mark.parametrize(
    ("method", "interval", "should_pass"),
    [
        ("isotonic crossing, expanded percentile (production)", _production, True),
        ("logistic in log2 h (the method before)", _logistic, False),
        ("twice too wide", _twice, False),
    ],
)
def test_horizon_ci_covers_a_compounding_agent_and_fails_for_the_wrong_methods(
    method, interval, should_pass
):
    # p = 0.9 per step, 20 items per rung: true h50 = ln 0.5 / ln 0.9 = 6.58. Measured (1000
    # seeds, bench/fidelity): production 0.957 with misses 0.010 below / 0.033 above;
    # logistic 0.82 (misses 0.002 / 0.175: its h50 is biased low, not just noisy); twice
    # too wide: coverage 1.0 at twice the width.
    truth = np.log2(np.log(0.5) / np.log(0.9))
    rows = [
        interval(x, y, np.random.default_rng(i))
        for i, (x, y) in enumerate(ladder_draws(0.9, 20, 300))
    ]
    point, lo, hi = (np.array(v) for v in zip(*rows, strict=True))
    cov = float(np.mean((lo <= truth) & (truth <= hi)))
    miss_low, miss_high = float(np.mean(truth < lo)), float(np.mean(truth > hi))
    spread = np.subtract(*np.quantile(point[np.isfinite(point)], [0.975, 0.025]))
    width = float(np.median(hi - lo)) / spread
    ok = bool(0.925 <= cov <= 0.975 and max(miss_low, miss_high) <= 0.045 and width <= 1.6)
    assert ok is should_pass, (method, cov, miss_low, miss_high, width)


def test_isotonic_success_is_pool_adjacent_violators(rng):
    def pava(y, w):  # the textbook algorithm, non-increasing
        blocks: list[list[float]] = []
        for v, wt in zip(y, w, strict=True):
            blocks.append([v, wt, 1])
            while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
                b2, b1 = blocks.pop(), blocks.pop()
                wt2 = b1[1] + b2[1]
                blocks.append([(b1[0] * b1[1] + b2[0] * b2[1]) / wt2, wt2, b1[2] + b2[2]])
        return np.concatenate([[v] * int(k) for v, _, k in blocks])

    for _ in range(300):
        r = int(rng.integers(1, 9))
        n = rng.integers(1, 6, size=r).astype(float)
        s = rng.binomial(n.astype(int), rng.random(r)).astype(float)
        got = horizon.monotone_success(s[None], n[None])[0]
        assert np.allclose(got, pava(s / n, n))


def test_crossing_interpolates_between_rungs_and_skips_empty_ones():
    xr = np.log2([1.0, 2, 4, 8])
    succ = np.array([[10, 10, 10, 10], [0, 0, 0, 0], [9, 6, 4, 1], [5, 5, 5, 5], [9, 0, 4, 1.0]])
    count = np.array([[10.0] * 4] * 4 + [[10, 0, 10, 10.0]])
    got = horizon.crossing(xr, succ, count)
    # all succeed: above the range; all fail: below it; 60% at h=2, 40% at h=4: halfway;
    # 50% everywhere: at the first rung; h=2 empty: between h=1 (90%) and h=4 (40%)
    assert list(got) == [np.inf, -np.inf, 1.5, 0.0, pytest.approx(1.6)]


def _ladder_frame(success_at: dict[float, float], per_rung: int = 10) -> pd.DataFrame:
    rows = []
    for h, rate in success_at.items():
        for i in range(per_rung):
            ok = i < round(rate * per_rung)
            rows.append(
                synth.row(
                    "m",
                    "open",
                    synth.month(0),
                    "ladder_agentic",
                    "agentic",
                    float(ok),
                    sample_id=f"h{h}-{i}",
                    h=int(h),
                    success=ok,
                )
            )
    return synth.frame(rows)


def test_all_fail_and_all_succeed_are_mirrored_bounds():
    # issue 22: failing everything gave status ok with h50 = 0.0097; succeeding everywhere
    # gave "insufficient". Both are bounds now, by one rule.
    fail = horizons(_ladder_frame(dict.fromkeys(RUNGS, 0.0)))[0].iloc[0]
    win = horizons(_ladder_frame(dict.fromkeys(RUNGS, 1.0)))[0].iloc[0]
    for t in (fail, win):
        assert t["status"] == "censored" and np.isnan(t["h50"])
        assert "a bound and not an estimate" in t["reason"]
    assert (fail["h50_ci_low"], fail["h50_ci_high"]) == (0.0, 1.0)
    assert (
        fail["reason"].startswith("h50 < 1") and "0 of 10 rows succeeded at h = 1" in fail["reason"]
    )
    assert (win["h50_ci_low"], win["h50_ci_high"]) == (32.0, np.inf)
    assert (
        win["reason"].startswith("h50 > 32")
        and "10 of 10 rows succeeded at h = 32" in win["reason"]
    )
    # one step inside the range on either side is a number again
    inside = horizons(_ladder_frame({1: 0.6, 2: 0.4, 4: 0.0, 8: 0.0, 16: 0.0, 32: 0.0}))[0].iloc[0]
    assert inside["status"] == "ok" and inside["h50"] == pytest.approx(2**0.5)


def test_a_horizon_beyond_the_largest_rung_is_a_lower_bound():
    # p = 0.99 per step: h50 = 69 > 32, the largest rung; the answer is a bound, not a number
    rng = np.random.default_rng(5)
    df = _ladder_frame(dict.fromkeys(RUNGS, 0.0), per_rung=30)
    df["success"] = [bool(rng.random() < 0.99**h) for h in df["h"]]
    df["score"] = df["success"].astype(float)
    t = horizons(df)[0].iloc[0]
    assert t["status"] == "censored" and np.isnan(t["h50"]) and t["h50_ci_high"] == np.inf
    assert 8 <= t["h50_ci_low"] <= 32  # a finite lower bound from the data


def test_horizon_gap_ci_keeps_unbounded_replicates():
    # 10% of the open model's replicates fall below the tested range (-inf): dropping them,
    # as a finite-only percentile does, would report a closed upper end of 2 doublings
    closed = np.full(200, 4.0)
    opened = np.concatenate([np.full(180, 2.0), np.full(20, -np.inf)])
    lo, hi = horizon._difference_ci(closed, opened, 0.95)
    assert lo == 2.0 and hi == np.inf
    both_above = np.full(200, np.inf)  # both beyond the same end: no information
    assert np.isnan(horizon._difference_ci(both_above, both_above, 0.95)[0])


def test_versions_are_not_pooled_for_horizons_or_pass_k(rng):
    # version 2 of the suite is much harder: pooled, its samples would count as extra epochs
    v1 = synth.horizon_samples(rng, "m", "open", 16.0, per_h=10, epochs=2)
    v2 = synth.horizon_samples(rng, "m", "open", 2.0, per_h=10, epochs=2)
    for r in v2:
        r["suite_version"] = "2"
    df = synth.frame(v1 + v2)
    table = horizons(df, n_boot=200)[0].set_index("suite")
    assert set(table.index) == {"ladder_agentic@1", "ladder_agentic@2"}
    assert table.loc["ladder_agentic@1", "h50"] > 4 * table.loc["ladder_agentic@2", "h50"]
    assert (table["n"] == 140).all()  # 7 h x 10 samples x 2 epochs each, not 280
    pk = passk(df)
    assert set(pk["suite"]) == {"ladder_agentic@1", "ladder_agentic@2"}
    assert pk["k"].max() == 2  # two epochs per version, not four pooled
    k2 = pk[pk["k"] == 2].set_index("suite")["pass_hat_k"]
    assert k2["ladder_agentic@1"] > k2["ladder_agentic@2"]


def test_no_horizon_when_success_does_not_fall(rng):
    # success rising with h: the monotone curve is flat, so no crossing inside the range
    rows = synth.horizon_samples(rng, "m", "open", 8.0, slope=+1.0)
    t = horizons(synth.frame(rows))[0].iloc[0]
    assert t["status"] == "censored" and np.isnan(t["h50"])


def test_per_step_reliability_recovered(rng):
    h = np.repeat([1, 2, 4, 8, 16], 400).astype(float)
    y = (rng.random(h.size) < 0.9**h).astype(float)
    assert fit_p_step(h, y) == pytest.approx(0.9, abs=0.01)


def ladder_rows(rng, p_closed: float, p_open: float, p_open_agentic: float, n_per_h: int = 60):
    """Standard form: one step (success p). Agentic form: h steps (success p^h)."""
    rows = []
    for h in (1, 2, 4, 8):
        for i in range(n_per_h):
            sid = f"h{h}-{i}"
            for model, access, ps, pa in (
                ("C", "closed", p_closed, p_closed),
                ("O", "open", p_open, p_open_agentic),
            ):
                rows.append(
                    synth.row(
                        model,
                        access,
                        synth.month(0),
                        "ladder_standard",
                        "standard",
                        float(rng.random() < ps),
                        sample_id=sid,
                        h=h,
                    )
                )
                rows.append(
                    synth.row(
                        model,
                        access,
                        synth.month(0),
                        "ladder_agentic",
                        "agentic",
                        float(rng.random() < pa**h),
                        sample_id=sid,
                        h=h,
                    )
                )
    return synth.frame(rows)


def true_d(pc: float, po: float, poa: float, hs=(1, 2, 4, 8)) -> float:
    return float(np.mean([(pc**h - poa**h) - (pc - po) for h in hs]))


@pytest.mark.parametrize(
    ("pc", "po", "poa"), [(0.95, 0.85, 0.85), (0.9, 0.9, 0.9), (0.85, 0.95, 0.95)]
)
def test_planted_ladder_d(rng, pc, po, poa):
    t = ladder(ladder_rows(rng, pc, po, poa), n_boot=1000)
    pooled = t[t["h"].isna()].iloc[0]
    d = true_d(pc, po, poa)
    assert pooled["ci_low"] <= d <= pooled["ci_high"]
    assert pooled["n_items"] == 240
    per_h = t[t["h"].notna()].set_index("h")
    assert list(per_h.index) == [1, 2, 4, 8]
    if d > 0:  # small per-step gaps compound: the gap widens with h
        assert pooled["ci_low"] > 0
        assert per_h.loc[8, "agentic_gap"] > per_h.loc[1, "agentic_gap"]
    elif d < 0:
        assert pooled["ci_high"] < 0


def test_ladder_needs_shared_items():
    df = pd.DataFrame(
        [
            synth.row("C", "closed", synth.month(0), s, "standard", 1.0, sample_id=f"{s}{i}")
            for s in ("ladder_standard", "ladder_agentic")
            for i in range(6)
        ]
        + [
            synth.row("O", "open", synth.month(0), s, "standard", 0.0, sample_id=f"{s}{i}")
            for s in ("ladder_standard", "ladder_agentic")
            for i in range(6)
        ]
    )
    t = ladder(df)
    assert (t["n_items"] == 0).all() and (t["status"] == "insufficient").all()
