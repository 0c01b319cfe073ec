"""Planted horizons and per-step reliability; the paired ladder comparison."""

import numpy as np
import pandas as pd
import pytest

from harness.analysis import horizon, horizons, ladder, passk
from harness.analysis._common import percentile_ci
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


def horizon_coverage(n_seeds: int) -> float:
    hits = 0
    for seed in range(n_seeds):
        g = np.random.default_rng(seed)
        t = horizons(
            synth.frame(synth.horizon_samples(g, "m", "open", 8.0, per_h=20)), n_boot=300, seed=seed
        )[0].iloc[0]
        hits += t["h50_ci_low"] <= 8.0 <= t["h50_ci_high"]
    return hits / n_seeds


@pytest.fixture(scope="module")
def small_sample_fits() -> list[tuple[float, np.ndarray, int]]:
    """(log2 h50, bootstrap replicates, samples) for 600 seeds of a 14-sample model (2 per
    h, h = 1..64, true h50 = 8, slope -1.5): the regime where a plain percentile interval
    is too narrow."""
    x = np.log2(np.repeat([1.0, 2, 4, 8, 16, 32, 64], 2))
    p = 1 / (1 + np.exp(1.5 * (x - 3.0)))
    out = []
    for seed in range(600):
        g = np.random.default_rng(seed)
        y = (g.random(x.size) < p).astype(float)
        beta = horizon.fit_logistic(x, y, np.ones((1, x.size)))
        point, _, _, reps = horizon.h50_with_ci(
            x, y, np.arange(x.size), beta, n_boot=300, rng=g, level=0.95
        )
        out.append((point, reps, x.size))
    return out


def _plain(point, reps, n, level):
    return percentile_ci(reps, level)


def _twice(point, reps, n, level):
    lo, hi = horizon.h50_interval(point, reps, n, level)
    return point - 2 * (point - lo), point + 2 * (hi - point)


@pytest.mark.parametrize(
    ("method", "interval", "should_pass"),
    [
        ("expanded percentile (production)", horizon.h50_interval, True),
        ("plain percentile", _plain, False),
        ("twice too wide", _twice, False),
    ],
)
def test_horizon_ci_coverage_fails_for_the_wrong_methods(
    small_sample_fits, method, interval, should_pass
):
    # measured (1000 seeds): production 0.95 at 1.17x the spread of the estimates; plain
    # percentile 0.90; twice too wide 0.99 at 2.3x
    hits, widths, points = 0, [], []
    for point, reps, n in small_sample_fits:
        lo, hi = interval(point, reps, n, 0.95)
        hits += lo <= 3.0 <= hi
        widths.append(hi - lo)
        points.append(point)
    cov = hits / len(small_sample_fits)
    spread = np.subtract(*np.quantile(points, [0.975, 0.025]))
    ok = bool(0.925 <= cov <= 0.985 and np.median(widths) / spread <= 1.6)
    assert ok is should_pass, (method, cov, np.median(widths) / spread)


@pytest.mark.slow
def test_horizon_ci_coverage_many_seeds():
    assert 0.9 <= horizon_coverage(200) <= 0.99


def test_weak_model_gets_a_finite_horizon_ci(rng):
    # about 20% success at h = 1 falling slowly to 10% at h = 64: many bootstrap replicates
    # fit a flat or rising curve; those are "no horizon", not an infinite one (the old rule
    # counted them as +infinity and gave this model an infinite upper CI)
    rows = synth.horizon_samples(rng, "weak", "open", 2.0**-12, slope=-0.1, per_h=10)
    t = horizons(synth.frame(rows), n_boot=400)[0].iloc[0]
    assert t["status"] == "ok" and t["h50"] < 1
    assert np.isfinite(t["h50_ci_high"]) and t["h50_ci_high"] < 4
    assert "extrapolated below the smallest h" in t["reason"]


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
    rows = synth.horizon_samples(rng, "m", "open", 8.0, slope=+1.0)
    t = horizons(synth.frame(rows))[0].iloc[0]
    assert t["status"] == "insufficient" and np.isnan(t["h50"])


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
