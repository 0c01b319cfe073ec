"""The paired ladder comparison: the same items in standard and agentic form.

Suites `ladder_standard` and `ladder_agentic` pose the same item ids, once as a single
question and once as a multi-step tool task with h required steps. For each (closed, open)
model pair and each h, the per-item difference
    d_i = (closed_agentic_i - open_agentic_i) - (closed_standard_i - open_standard_i)
isolates what the agentic form adds to the gap on identical content. D is the mean d_i; its
CI resamples items (epochs averaged per item first, so they stay together), the percentile
interval widened around D by sqrt(n/(n-1)) t_{n-1}/z over n items. Its power against a
planted agentic-only decay, and the items per rung that 80% power needs, are measured with
known-competence agents in docs/fidelity.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis._common import cluster_weights, percentile_ci
from harness.analysis.columns import LADDER_COLUMNS, empty
from harness.analysis.intervals import expansion
from harness.analysis.measures.scores import sample_rows

LADDER_EXTRA = ["status", "reason"]
MIN_ITEMS = 5


def ladder(
    samples: pd.DataFrame,
    *,
    standard_suite: str = "ladder_standard",
    agentic_suite: str = "ladder_agentic",
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_items: int = MIN_ITEMS,
) -> pd.DataFrame:
    """One row per (closed, open) pair and h, plus a pooled row per pair (h null)."""
    cols = LADDER_COLUMNS + LADDER_EXTRA
    if samples.empty:
        return empty(cols)
    sc = sample_rows(samples[samples["suite"].isin([standard_suite, agentic_suite])])
    if sc.empty:
        return empty(cols)
    per_item = sc.groupby(["suite", "model_id", "sample_id"])["score"].mean()
    h_of = sc.dropna(subset=["h"]).groupby("sample_id")["h"].first()
    access = sc.groupby("model_id")["access"].first()
    rng = np.random.default_rng(seed)
    both = set(sc.loc[sc["suite"] == standard_suite, "model_id"]) & set(
        sc.loc[sc["suite"] == agentic_suite, "model_id"]
    )
    closed = sorted(m for m in both if access[m] == "closed")
    opened = sorted(m for m in both if access[m] == "open")
    rows = []
    for c in closed:
        for o in opened:
            parts = [per_item.loc[(s, m)] for s in (standard_suite, agentic_suite) for m in (c, o)]
            frame = pd.concat(parts, axis=1, keys=["cs", "os", "ca", "oa"], join="inner")
            frame["h"] = h_of.reindex(frame.index)
            groups = [(np.nan, frame)] + [(h, g) for h, g in frame.groupby("h", sort=True)]
            for h, g in groups:
                rows.append(_row(c, o, h, g, rng, n_boot, level, min_items))
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def _row(
    c: str,
    o: str,
    h: float,
    g: pd.DataFrame,
    rng: np.random.Generator,
    n_boot: int,
    level: float,
    min_items: int,
) -> dict[str, object]:
    std = (g["cs"] - g["os"]).to_numpy(dtype=float)
    ag = (g["ca"] - g["oa"]).to_numpy(dtype=float)
    d = ag - std
    row: dict[str, object] = {
        "closed_model": c,
        "open_model": o,
        "h": h,
        "standard_gap": np.nan,
        "agentic_gap": np.nan,
        "d": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "n_items": int(d.size),
        "status": "ok",
        "reason": "",
    }
    if d.size < min_items:
        row.update(status="insufficient", reason=f"{d.size} shared items (< {min_items})")
        return row
    row.update(standard_gap=float(std.mean()), agentic_gap=float(ag.mean()), d=float(d.mean()))
    w = cluster_weights(rng, d.size, n_boot)
    lo, hi = percentile_ci(w @ d / d.size, level)
    # widened around D like every other bootstrap D: the plain percentile interval of a mean
    # over n items is too narrow (with known-competence agents at D = 0 it found a
    # difference more often than the nominal 2.5%; the rate now: docs/fidelity.md)
    f = expansion(int(d.size), level)
    mean = float(d.mean())
    row.update(ci_low=mean - f * (mean - lo), ci_high=mean + f * (hi - mean))
    return row
