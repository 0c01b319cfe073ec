"""Per (model, suite) scores with bootstrap CIs, error rates and the null baseline.

Rows with status "scored" and "limit" enter a score (a sample stopped by its limits failed the
task; its scorer's verdict, usually 0, counts); error rows are counted and reported beside it
and never scored as wrong. A sample's epochs are averaged first
and samples are resampled as whole clusters, so epochs stay together in the bootstrap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

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
from harness.analysis.columns import SCORES_COLUMNS, empty

# Extra columns beyond the ReportTables contract's SCORES_COLUMNS (added by analysis).
SCORES_EXTRA = ["benchmark", "n_samples", "status", "reason", "unit"]
MIN_SAMPLES = 5  # fewer distinct scored samples than this: "insufficient", no number


def scored_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """Rows that carry a score: status scored or limit, and a non-null score."""
    if samples.empty:
        return samples
    mask = samples["status"].isin(["scored", "limit"]) & samples["score"].notna()
    return samples.loc[mask]


def sample_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """Scored per-sample rows: imported aggregates (one number per model) left out.

    pass^k, horizons and the ladder need per-sample outcomes; a published aggregate's
    several rows are variants of one model, not epochs.
    """
    sc = scored_rows(samples)
    return sc if sc.empty else sc[sc["sample_id"] != AGGREGATE_ID]


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


# a published standard error is converted from its own unit to the score's (units are data)
_SE_FACTOR = {
    ("fraction", "fraction"): 1.0,
    ("percent", "fraction"): 0.01,
    ("minutes", "minutes"): 1.0,
}


def _aggregate_ci(extra: object, score: float) -> tuple[float, float]:
    """CI of a published aggregate from its reported standard error (±1.96 se), when the
    importer kept one with its unit; no unit, or one that does not convert: no CI."""
    se = extra_field(extra, "stderr")
    unit = extra_field(extra, "stderr_unit")
    score_unit = extra_field(extra, "unit") or "fraction"
    factor = _SE_FACTOR.get((unit or "", score_unit))
    try:
        s = float(se) if se is not None and factor is not None else float("nan")
    except ValueError:
        s = float("nan")
    if not np.isfinite(s):
        return (float("nan"), float("nan"))
    s *= factor  # type: ignore[operator]
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
    their published value (the best, where a model has several rows), with a CI only when a
    standard error came with it.
    """
    cols = SCORES_COLUMNS + SCORES_EXTRA
    if samples.empty:
        return empty(cols)
    rng = np.random.default_rng(seed)
    keep = [
        c
        for c in (
            "model_id",
            "access",
            "release_date",
            "suite",
            "suite_version",
            "kind",
            "source",
            "sample_id",
            "status",
            "score",
            "extra",
        )
        if c in samples
    ]
    df = with_benchmark(samples[keep])
    keys = ["model_id", "suite", "suite_version"]
    grouped = df.groupby(keys, sort=True, dropna=False)
    meta = grouped.first()
    counts = grouped["status"].value_counts().unstack(fill_value=0)
    is_agg = (df["sample_id"] == AGGREGATE_ID).groupby([df[k] for k in keys], dropna=False).all()
    sc = scored_rows(df)
    per_task = task_scores(sc, keys)
    agg_rows = sc[sc["sample_id"] == AGGREGATE_ID]
    top = agg_rows.sort_values("score", ascending=False, kind="stable").drop_duplicates(keys)
    extras = top["extra"] if "extra" in top else pd.Series([None] * len(top), index=top.index)
    best = {
        tuple(k): (float(sc_), ex)
        for k, sc_, ex in zip(top[keys].itertuples(index=False), top["score"], extras, strict=True)
    }
    count_of = {
        k: dict(zip(counts.columns, v, strict=True))
        for k, v in zip(counts.index, counts.to_numpy(), strict=True)
    }
    agg_of = dict(zip(is_agg.index, is_agg.to_numpy(), strict=True))
    baselines = dict(null_baselines or {})
    draws = BootstrapDraws(rng, n_boot)
    out = []
    meta = meta.reset_index()
    for m in meta.to_dict("records"):
        key = (m["model_id"], m["suite"], m["suite_version"])
        c = count_of.get(key, {})
        n_scored, n_error, n_limit = (int(c.get(x, 0)) for x in ("scored", "error", "limit"))
        n_rows = int(sum(c.values()))
        score = ci_lo = ci_hi = float("nan")
        status, reason = "ok", ""
        if bool(agg_of.get(key)) and key in best:
            # several published rows for one model (agents, scaffolds, harness variants): the
            # best one, as a frontier is a best score; the others stay in n_rows
            score, extra = best[key]
            ci_lo, ci_hi = _aggregate_ci(extra, score)
            n_samples = 1
        elif key not in per_task:
            status, reason, n_samples = "insufficient", "no scored samples", 0
        else:
            tasks = per_task[key]
            n_samples = int(tasks.size)
            if n_samples < min_samples:
                status, reason = "insufficient", f"{n_samples} scored samples (< {min_samples})"
            else:
                score = float(tasks.mean())
                ci_lo, ci_hi = percentile_ci(draws.means(tasks), level)
        model, suite, version = key
        out.append(
            {
                "model_id": model,
                "access": m["access"],
                "release_date": to_date(m["release_date"]),
                "suite": suite,
                "suite_version": version,
                "kind": m["kind"],
                "source": m["source"],
                "n_rows": n_rows,
                "n_scored": n_scored,
                "n_error": n_error,
                "n_limit": n_limit,
                # share of rows that could not be scored (infrastructure errors), never counted as wrong
                "error_rate": n_error / n_rows if n_rows else float("nan"),
                "score": score,
                "ci_low": ci_lo,
                "ci_high": ci_hi,
                "null_baseline": baselines.get(str(suite), float("nan")),
                "benchmark": m["benchmark"],
                "n_samples": n_samples,
                "status": status,
                "reason": reason,
                "unit": "fraction",
            }
        )
    table = pd.DataFrame(out, columns=cols)
    # a time horizon in minutes is not a 0-1 score: the import says so (extra.unit), or,
    # for files without it, a benchmark whose scores exceed 1
    minutes = set(df.loc[minutes_rows(df), "benchmark"]) if "extra" in df else set()
    by_bench = table.groupby("benchmark")["score"].max()
    minutes |= set(by_bench[by_bench > 1.0 + 1e-9].index)
    table.loc[table["benchmark"].isin(minutes), "unit"] = "minutes"
    return table


def _is_minutes(extra: object) -> bool:
    return isinstance(extra, str) and '"unit": "minutes"' in extra


def minutes_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose import says the score is a time horizon in minutes (each distinct `extra`
    text is read once, not once per row)."""
    extra = df["extra"]
    hits = [e for e in pd.unique(extra.dropna()) if _is_minutes(e)]
    return extra.isin(hits) if hits else pd.Series(False, index=df.index)


def task_scores(rows: pd.DataFrame, keys: list[str]) -> dict[tuple[object, ...], np.ndarray]:
    """Per group of `keys`: each task's mean score over its epochs (sample ids in order),
    from scored rows; imported aggregates left out. One grouping over all rows rather than
    one per group (a million rows hold few groups but many tasks)."""
    own = rows[(rows["sample_id"] != AGGREGATE_ID) & rows["sample_id"].notna()]
    if own.empty:
        return {}
    means = own.groupby([*keys, "sample_id"], sort=True, dropna=False, observed=True)["score"]
    per = means.mean()
    index = per.index
    assert isinstance(index, pd.MultiIndex)
    codes = np.column_stack([index.codes[i] for i in range(len(keys))])
    starts = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]).any(axis=1)])
    ends = np.r_[starts[1:], len(per)]
    values = per.to_numpy(dtype=float)
    out: dict[tuple[object, ...], np.ndarray] = {}
    for a, b in zip(starts, ends, strict=True):
        key = tuple(
            index.levels[i][codes[a, i]] if codes[a, i] >= 0 else np.nan for i in range(len(keys))
        )
        out[key] = values[a:b]
    return out


class BootstrapDraws:
    """Cluster-bootstrap draws shared by every group with the same number of clusters (a
    million rows hold a few task counts many times over): each group's replicate means
    under the same weights. Marginally each group's bootstrap is unchanged; the cache is
    bounded, past which draws are made afresh."""

    MAX_CELLS = 10_000_000  # weights kept at most (80 MB)

    def __init__(self, rng: np.random.Generator, n_boot: int) -> None:
        self.rng, self.n_boot = rng, n_boot
        self._weights: dict[int, np.ndarray] = {}

    def weights(self, n: int) -> np.ndarray:
        w = self._weights.get(n)
        if w is None:
            w = cluster_weights(self.rng, n, self.n_boot)
            held = sum(x.size for x in self._weights.values())
            if held + w.size <= self.MAX_CELLS:
                self._weights[n] = w
        return w

    def means(self, values: np.ndarray) -> np.ndarray:
        """(n_boot,) bootstrap means of `values` (one per cluster)."""
        return self.weights(values.size) @ values / values.size


def own_task_matrices(samples: pd.DataFrame, scores: pd.DataFrame) -> dict[str, TaskMatrix]:
    """Task matrices for benchmarks gapbench ran itself (not imported aggregates), of the
    models whose score is "ok" on them."""
    if samples.empty or scores.empty:
        return {}
    ok = scores.loc[scores["status"] == "ok", ["model_id", "benchmark"]]
    wanted = {(str(m), str(b)) for m, b in ok.itertuples(index=False)}
    cols = ["model_id", "sample_id", "status", "score"]
    # benchmark names from every row (a version seen only in errors still splits a suite)
    df = samples[cols].assign(benchmark=benchmark_names(samples))
    sc = scored_rows(df)
    sc = sc[(sc["sample_id"] != AGGREGATE_ID) & sc["sample_id"].notna()]
    if sc.empty:
        return {}
    per = sc.groupby(["benchmark", "model_id", "sample_id"], observed=True)["score"].mean()
    out: dict[str, TaskMatrix] = {}
    for name, part in per.groupby(level="benchmark", sort=True):
        part = part.droplevel("benchmark")
        models = part.index.get_level_values("model_id").astype(object)
        keep = models.isin([m for m, b in wanted if b == name])
        if not keep.any():
            continue
        part = part[keep]
        part.index = cast(pd.MultiIndex, part.index).remove_unused_levels()
        table = part.unstack("sample_id").sort_index().sort_index(axis=1)
        out[str(name)] = TaskMatrix(
            models=tuple(str(m) for m in table.index),
            tasks=tuple(str(t) for t in table.columns),
            values=table.to_numpy(dtype=float),
        )
    return out
