"""What the ladder's analysis makes of known-competence agents: horizon coverage and the
paired test's power, from store-shaped rows (real path or simulated) through the production
functions (`harness.analysis.horizons`, `harness.analysis.ladder`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import norm

from bench.fidelity.ladder_agents import KnownAgent
from harness.analysis.horizon import Method, horizons
from harness.analysis.intervals import wilson
from harness.analysis.ladder import ladder
from harness.suites.ladder import HORIZONS


def _ci(k: int, n: int) -> list[float]:
    lo, hi = wilson(k / n, n) if n else (math.nan, math.nan)
    return [round(lo, 4), round(hi, 4)]


def horizon_summary(
    samples: pd.DataFrame,
    agents: Mapping[str, KnownAgent],
    *,
    method: Method = "isotonic",
    n_boot: int = 500,
    seed: int = 0,
) -> dict[str, object]:
    """How often the horizon's CI covers each agent's true h50 (the agents share p)."""
    agentic = samples[samples["suite"] == "ladder_agentic"]  # the standard form has h too
    table = horizons(agentic, n_boot=n_boot, seed=seed, method=method)[0]
    table = table[table["model_id"].isin(list(agents))]
    truth = np.array([agents[m].true_h50() for m in table["model_id"]])
    lo = table["h50_ci_low"].to_numpy(dtype=float)
    hi = table["h50_ci_high"].to_numpy(dtype=float)
    status = table["status"].to_numpy(dtype=str)
    covered = (lo <= truth) & (truth <= hi)
    ok = status == "ok"
    h50 = table["h50"].to_numpy(dtype=float)
    n = len(table)
    width = np.log2(hi[ok]) - np.log2(np.maximum(lo[ok], 1e-300))
    finite = np.isfinite(width)
    t = float(np.unique(truth)[0]) if n else math.nan
    return {
        "replicates": n,
        "true_h50": round(t, 3),
        "inside_rungs": bool(min(HORIZONS) <= t <= max(HORIZONS)),
        "ok": int(ok.sum()),
        "censored_above": int(
            ((status == "censored") & table["reason"].str.startswith("h50 >")).sum()
        ),
        "censored_below": int(
            ((status == "censored") & table["reason"].str.startswith("h50 <")).sum()
        ),
        "insufficient": int((status == "insufficient").sum()),
        "covered": int(covered.sum()),
        "coverage": round(float(covered.mean()), 4) if n else None,
        "coverage_ci": _ci(int(covered.sum()), n),
        "miss_low": round(float(np.mean(truth < lo)), 4) if n else None,  # CI entirely above
        "miss_high": round(float(np.mean(truth > hi)), 4) if n else None,  # CI entirely below
        "median_h50": round(float(np.median(h50[ok])), 3) if ok.any() else None,
        "median_log2_bias": round(float(np.median(np.log2(h50[ok]) - np.log2(t))), 3)
        if ok.any()
        else None,
        "median_log2_width": round(float(np.median(width[finite])), 3) if finite.any() else None,
        "unbounded_ci": int((~finite).sum()),
        "median_lower_bound": round(float(np.median(lo[~ok & (status == "censored")])), 2)
        if ((status == "censored") & np.isfinite(lo)).any()
        else None,
    }


def pair_detected(
    samples: pd.DataFrame, closed: str, opened: str, *, n_boot: int = 2000, seed: int = 0
) -> tuple[bool, float]:
    """(CI of the pooled D entirely above 0, D) for one closed/open pair."""
    rows = samples[samples["model_id"].isin([closed, opened])]
    t = ladder(rows, n_boot=n_boot, seed=seed)
    pooled = t[t["h"].isna() & (t["closed_model"] == closed) & (t["open_model"] == opened)]
    if pooled.empty or pooled["status"].iloc[0] != "ok":
        return False, math.nan
    return bool(pooled["ci_low"].iloc[0] > 0), float(pooled["d"].iloc[0])


def power_summary(
    samples: pd.DataFrame, pairs: Sequence[tuple[str, str]], *, n_boot: int = 2000
) -> dict[str, object]:
    hits, ds = 0, []
    for i, (c, o) in enumerate(pairs):
        hit, d = pair_detected(samples, c, o, n_boot=n_boot, seed=i)
        hits += hit
        ds.append(d)
    n = len(pairs)
    return {
        "pairs": n,
        "detected": hits,
        "rate": round(hits / n, 4) if n else None,
        "rate_ci": _ci(hits, n),
        "mean_d": round(float(np.nanmean(ds)), 4) if n else None,
    }


def true_d(closed: KnownAgent, opened: KnownAgent) -> float:
    """E[D] over the rungs: the agentic gap minus the standard gap, rungs weighted equally."""
    return float(
        np.mean(
            [
                (closed.success_probability(h) - opened.success_probability(h))
                - (closed.standard_probability(h) - opened.standard_probability(h))
                for h in HORIZONS
            ]
        )
    )


def analytic_items_per_rung(
    closed: KnownAgent, opened: KnownAgent, power: float = 0.8, level: float = 0.95
) -> float:
    """Items per rung for `power` by the normal approximation of the pooled D over items
    (d_i independent across items, equal items per rung): n = (z_a + z_b)^2 var(d) / D^2."""
    means, variances = [], []
    for h in HORIZONS:
        probs = [
            closed.success_probability(h),
            opened.success_probability(h),
            closed.standard_probability(h),
            opened.standard_probability(h),
        ]
        a, b, c, o = probs
        means.append((a - b) - (c - o))
        variances.append(sum(q * (1 - q) for q in probs))
    d = float(np.mean(means))
    var = float(np.mean(variances) + np.var(means))  # items drawn across rungs
    z = norm.ppf(0.5 + level / 2) + norm.ppf(power)
    return float(z**2 * var / d**2 / len(HORIZONS))
