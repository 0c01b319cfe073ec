"""Interval methods, in one place, each with the name a table or a page shows beside it.

- Scores of own runs (a share of tasks passed, 0-1): the Wilson score interval with an
  effective sample size (`wilson_effective`). It stays inside [0, 1] and is sane at a few
  samples (0 of 6: 0 to 0.39), where a percentile bootstrap collapses to 0-0. Repeated
  epochs of one task are not independent: the effective n is p(1-p) / Var(mean) from the
  spread of the per-task means (Kish's design effect), between the number of tasks (epochs
  perfectly correlated) and the number of scored rows (epochs independent). Per-task means
  in [0, 1] never vary more than p(1-p), so n_eff is never below the number of tasks.
- Published scores with a standard error: score +- z se, clipped to the scale's range
  (`se_interval`): a normal interval can leave [0, 1]; the clipped end is marked.
- D over benchmarks: the expanded percentile bootstrap (`expansion` widens a percentile
  interval over n units by sqrt(n/(n-1)) t_{n-1}/z; Hesterberg 2015): the plain
  percentile interval is too narrow with few units (benchmarks, samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t

# the names tables and pages show beside an interval (`ci_method` columns); short, as a
# table column; docs/methods.md and the report's method page define each in full
WILSON = "Wilson (effective n over epochs)"
SE_NORMAL = "published SE, ± 1.96 se"
SE_CLIPPED = "published SE, ± 1.96 se, clipped to the scale"
NO_CI = "none (no SE published)"
D_BOOTSTRAP = "expanded percentile bootstrap over benchmarks, by kind"

ScoreUnit = Literal["fraction", "minutes"]


@cache
def expansion(n: int, level: float = 0.95) -> float:
    """Factor sqrt(n/(n-1)) * t_{n-1} / z that widens a percentile interval over n units."""
    if n < 2:
        return 1.0
    q = 0.5 + level / 2
    return float(np.sqrt(n / (n - 1)) * student_t.ppf(q, n - 1) / norm.ppf(q))


def wilson(p: float, n: float, level: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion p observed over n trials (n may be an
    effective, non-integer size). Inside [0, 1] for every p and n > 0."""
    if not (n > 0 and 0.0 <= p <= 1.0):
        return (float("nan"), float("nan"))
    z = float(norm.ppf(0.5 + level / 2))
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * np.sqrt(p * (1 - p) / n + z2n / (4 * n)) / (1 + z2n)
    # at p = 0 (1) the lower (upper) end is 0 (1) exactly; rounding would leave 1e-17
    lo = 0.0 if p == 0 else max(0.0, float(centre - half))
    hi = 1.0 if p == 1 else min(1.0, float(centre + half))
    return (lo, hi)


def effective_n(task_means: np.ndarray, n_rows: int) -> float:
    """Effective sample size of the mean of per-task means in [0, 1]: p(1-p) / Var(mean),
    between the number of tasks and the number of scored rows (see the module doc)."""
    x = np.asarray(task_means, dtype=float)
    n = x.size
    if n == 0:
        return 0.0
    p = float(x.mean())
    var = float(x.var())  # population variance of the task means: the bootstrap's
    upper = float(max(n_rows, n))
    if var <= 0 or not 0 < p < 1:
        # every task alike: all passed, all failed, or every task the same share. Nothing
        # measures how epochs correlate; count tasks (all passed/failed) or rows (a share)
        return float(n) if p in (0.0, 1.0) else upper
    return float(np.clip(n * p * (1 - p) / var, n, upper))


def wilson_effective(
    task_means: np.ndarray, n_rows: int, level: float = 0.95
) -> tuple[float, float]:
    """The Wilson interval of a score (the mean of per-task means) with the effective n."""
    x = np.asarray(task_means, dtype=float)
    if x.size == 0:
        return (float("nan"), float("nan"))
    n_eff = effective_n(x, n_rows)
    return wilson(float(np.clip(x.mean(), 0.0, 1.0)), n_eff, level)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str


def se_interval(score: float, se: float, unit: ScoreUnit, level: float = 0.95) -> Interval:
    """score +- z se from a published standard error, clipped to the unit's range (0-1 for
    fractions, >= 0 for minutes); the method says whether it was clipped."""
    if not (np.isfinite(score) and np.isfinite(se) and se >= 0):
        return Interval(float("nan"), float("nan"), NO_CI)
    z = float(norm.ppf(0.5 + level / 2))
    lo, hi = score - z * se, score + z * se
    top = 1.0 if unit == "fraction" else np.inf
    clipped = lo < 0 or hi > top
    method = (SE_CLIPPED if clipped else SE_NORMAL).replace("1.96", f"{z:.2f}")
    return Interval(max(lo, 0.0), min(hi, top), method)
