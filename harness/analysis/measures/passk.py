"""pass^k (tau-bench): the chance that k independent tries at a task all succeed.

pass^k = mean over tasks of C(c, k) / C(n, k), with n scored epochs and c successes per task
(Yao et al., "tau-bench", 2024), an unbiased estimate of E[p_task^k]. It sits beside pass@1
(the mean success rate) because a model can look fine on pass@1 while failing the same task
on a retry. Tasks with fewer than k scored epochs are left out at that k.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import comb

from harness.analysis._common import benchmark_names
from harness.analysis.columns import PASSK_COLUMNS, empty
from harness.analysis.horizon import success_of
from harness.analysis.measures.scores import sample_rows


def pass_hat_k(n: np.ndarray, c: np.ndarray, k: int) -> float:
    """Mean over tasks with n >= k of C(c, k) / C(n, k); NaN when no task has k epochs."""
    n, c = np.asarray(n), np.asarray(c)
    ok = n >= k
    if not ok.any():
        return float("nan")
    return float(np.mean(comb(c[ok], k, exact=False) / comb(n[ok], k, exact=False)))


def passk(samples: pd.DataFrame, *, max_k: int | None = None) -> pd.DataFrame:
    """Rows (model, suite, k) for k = 1 .. the largest epoch count, where any task has 2+ epochs."""
    if samples.empty:
        return empty(PASSK_COLUMNS)
    sc = sample_rows(samples)
    # two versions of a suite are two benchmarks (suite@version): their epochs never pool
    sc = sc[["model_id", "sample_id"]].assign(suite=benchmark_names(sc), _y=success_of(sc))
    per_task = sc.groupby(["model_id", "suite", "sample_id"])["_y"].agg(["size", "sum"])
    # one epoch everywhere: pass^k is pass@1, nothing to add (cheap filter before the loop)
    most = per_task["size"].groupby(level=["model_id", "suite"]).transform("max")
    per_task = per_task[most >= 2]
    rows = []
    for (model, suite), g in per_task.groupby(level=["model_id", "suite"], sort=True):
        n = g["size"].to_numpy()
        c = g["sum"].to_numpy()
        if n.max() < 2:
            continue  # one epoch: pass^k is pass@1, nothing to add
        pass1 = float(np.mean(c / n))
        top = int(n.max()) if max_k is None else min(int(n.max()), max_k)
        for k in range(1, top + 1):
            rows.append(
                {
                    "model_id": model,
                    "suite": suite,
                    "k": k,
                    "pass_hat_k": pass_hat_k(n, c, k),
                    "pass_at_1": pass1,
                    "n_tasks": int((n >= k).sum()),
                }
            )
    return pd.DataFrame(rows, columns=PASSK_COLUMNS) if rows else empty(PASSK_COLUMNS)
