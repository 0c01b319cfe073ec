"""Interval methods, in one place, each with the name a table or a page shows beside it.

- `expansion`: the factor sqrt(n/(n-1)) t_{n-1}/z that widens a percentile bootstrap
  interval over n units (the expanded percentile interval, Hesterberg 2015): the plain
  percentile interval is too narrow with few units (benchmarks, samples).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy.stats import norm
from scipy.stats import t as student_t


@cache
def expansion(n: int, level: float = 0.95) -> float:
    """Factor sqrt(n/(n-1)) * t_{n-1} / z that widens a percentile interval over n units."""
    if n < 2:
        return 1.0
    q = 0.5 + level / 2
    return float(np.sqrt(n / (n - 1)) * student_t.ppf(q, n - 1) / norm.ppf(q))
