"""Planted horizons and per-step reliability; the paired ladder comparison."""

import numpy as np
import pandas as pd
import pytest

from harness.analysis import horizons, ladder
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


def test_horizon_ci_coverage_near_nominal():
    assert 0.8 <= horizon_coverage(30) <= 1.0


@pytest.mark.slow
def test_horizon_ci_coverage_many_seeds():
    assert 0.9 <= horizon_coverage(200) <= 0.99


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
