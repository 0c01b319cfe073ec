"""Per (model, suite) scores with bootstrap CIs, error rates and the null baseline.

Only rows with status "scored" enter a score; error and limit rows are counted and reported
beside it (an errored sample is never scored as wrong). A sample's epochs are averaged first
and samples are resampled as whole clusters, so epochs stay together in the bootstrap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import (
    AGGREGATE_ID,
    benchmark_names,
    cluster_weights,
    extra_field,
    percentile_ci,
    to_date,
)
from harness.analysis.tables import SCORES_COLUMNS, empty

# Extra columns beyond the ReportTables contract's SCORES_COLUMNS (added by analysis).
SCORES_EXTRA = ["benchmark", "n_samples", "status", "reason"]
MIN_SAMPLES = 5  # fewer distinct scored samples than this: "insufficient", no number


def scored_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry a score: status scored and a non-null score."""
    if samples.empty:
        return samples
    mask = (samples["status"] == "scored") & samples["score"].notna()
    return samples.loc[mask]


def with_benchmark(samples: pd.DataFrame) -> pd.DataFrame:
    out = samples.copy()
    out["benchmark"] = benchmark_names(out)
    return out


@dataclass(frozen=True)
class TaskMatrix:
    """Per-task mean scores of each model on one benchmark (NaN where a model has no score).

    Rows follow `models`; columns follow `tasks`. Resampling columns with shared weights
    gives a paired bootstrap: every model sees the same resampled task set.
    """

    models: tuple[str, ...]
    tasks: tuple[str, ...]
    values: np.ndarray  # (n_models, n_tasks)

    def boot_scores(self, weights: np.ndarray) -> np.ndarray:
        """(n_boot, n_models) model means under task weights (n_boot, n_tasks)."""
        mask = np.isfinite(self.values)
        filled = np.where(mask, self.values, 0.0)
        num = weights @ filled.T
        den = weights @ mask.T.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return num / den


def task_matrix(rows: pd.DataFrame) -> TaskMatrix:
    """Build a TaskMatrix from scored rows of one benchmark (epochs averaged per task)."""
    per_task = rows.groupby(["model_id", "sample_id"])["score"].mean().unstack("sample_id")
    return TaskMatrix(
        models=tuple(str(m) for m in per_task.index),
        tasks=tuple(str(t) for t in per_task.columns),
        values=per_task.to_numpy(dtype=float),
    )


def _aggregate_ci(group: pd.DataFrame, score: float) -> tuple[float, float]:
    """CI of a published aggregate from its reported standard error, when the importer kept one."""
    se = extra_field(group["extra"].iloc[0], "stderr") if "extra" in group else None
    try:
        s = float(se) if se is not None else float("nan")
    except ValueError:
        s = float("nan")
    if not np.isfinite(s):
        return (float("nan"), float("nan"))
    return (score - 1.96 * s, score + 1.96 * s)


def model_scores(
    samples: pd.DataFrame,
    *,
    null_baselines: Mapping[str, float] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
    min_samples: int = MIN_SAMPLES,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per (model, suite, suite_version): SCORES_COLUMNS + SCORES_EXTRA.

    score is the mean over samples of each sample's mean over its scored epochs; the CI is a
    percentile bootstrap over samples. Imported aggregates (sample_id "__aggregate__") keep
    their published value, with a CI only when a standard error came with it.
    """
    cols = SCORES_COLUMNS + SCORES_EXTRA
    if samples.empty:
        return empty(cols)
    rng = np.random.default_rng(seed)
    df = with_benchmark(samples)
    baselines = dict(null_baselines or {})
    out = []
    keys = ["model_id", "suite", "suite_version"]
    for (model, suite, version), g in df.groupby(keys, sort=True, dropna=False):
        status_counts = g["status"].value_counts()
        n_rows = len(g)
        n_scored = int(status_counts.get("scored", 0))
        n_error = int(status_counts.get("error", 0))
        n_limit = int(status_counts.get("limit", 0))
        sc = scored_rows(g)
        is_agg = bool((g["sample_id"] == AGGREGATE_ID).all())
        score = ci_lo = ci_hi = float("nan")
        status, reason = "ok", ""
        n_samples = int(sc["sample_id"].nunique())
        if sc.empty:
            status, reason = "insufficient", "no scored samples"
        elif is_agg:
            score = float(sc["score"].mean())
            ci_lo, ci_hi = _aggregate_ci(sc, score)
        elif n_samples < min_samples:
            status, reason = "insufficient", f"{n_samples} scored samples (< {min_samples})"
        else:
            per_task = sc.groupby("sample_id")["score"].mean().to_numpy(dtype=float)
            score = float(per_task.mean())
            w = cluster_weights(rng, per_task.size, n_boot)
            ci_lo, ci_hi = percentile_ci(w @ per_task / per_task.size, level)
        first = g.iloc[0]
        out.append(
            {
                "model_id": model,
                "access": first["access"],
                "release_date": to_date(first["release_date"]),
                "suite": suite,
                "suite_version": version,
                "kind": first["kind"],
                "source": first["source"],
                "n_rows": n_rows,
                "n_scored": n_scored,
                "n_error": n_error,
                "n_limit": n_limit,
                # share of rows that could not be scored (errors and limits), never counted as wrong
                "error_rate": (n_error + n_limit) / n_rows if n_rows else float("nan"),
                "score": score,
                "ci_low": ci_lo,
                "ci_high": ci_hi,
                "null_baseline": baselines.get(str(suite), float("nan")),
                "benchmark": first["benchmark"],
                "n_samples": n_samples,
                "status": status,
                "reason": reason,
            }
        )
    return pd.DataFrame(out, columns=cols)
