"""Per (model, suite) scores with their intervals, error rates and the null baseline.

Rows with status "scored" and "limit" enter a score (a sample stopped by its limits failed the
task; its scorer's verdict, usually 0, counts); error rows are counted and reported beside it
and never scored as wrong. A sample's epochs are averaged first. The interval of an own
run's score is the Wilson interval with an effective n over repeated epochs; of a published
score, the publisher's standard error, clipped to the scale (`intervals`; `ci_method` names
it on every row). The unit recorded at import (`extra.unit`: minutes, else a 0-1 fraction)
decides how a benchmark is used; it is never inferred from the values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from harness.analysis._common import AGGREGATE_ID, benchmark_names, extra_field, to_date
from harness.analysis.columns import SCORES_COLUMNS, empty
from harness.analysis.intervals import NO_CI, WILSON, ScoreUnit, se_interval, wilson_effective

# Extra columns beyond the ReportTables contract's SCORES_COLUMNS (added by analysis).
# variant: the model id the score came from (a provider copy or reasoning-budget variant
# grouped under model_id by measures.identity; the model id itself otherwise)
SCORES_EXTRA = ["benchmark", "n_samples", "status", "reason", "unit", "ci_method", "variant"]
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


def _aggregate_ci(
    extra: object, score: float, unit: ScoreUnit, level: float
) -> tuple[float, float, str]:
    """(low, high, method) of a published aggregate from its reported standard error, when
    the importer kept one with its unit; clipped to the scale's range and labelled so. No
    unit, or one that does not convert: no CI."""
    se = extra_field(extra, "stderr")
    se_unit = extra_field(extra, "stderr_unit")
    factor = _SE_FACTOR.get((se_unit or "", unit))
    try:
        s = float(se) if se is not None and factor is not None else float("nan")
    except ValueError:
        s = float("nan")
    if not np.isfinite(s):
        return (float("nan"), float("nan"), NO_CI)
    ci = se_interval(score, s * factor, unit, level)  # type: ignore[operator]
    return (ci.low, ci.high, ci.method)


_RANGE: dict[str, tuple[float, float]] = {"fraction": (0.0, 1.0), "minutes": (0.0, np.inf)}


def _out_of_range(score: float, unit: str) -> str:
    lo, hi = _RANGE[unit]
    if lo - 1e-9 <= score <= hi + 1e-9:
        return ""
    span = "0-1" if unit == "fraction" else ">= 0"
    return f"score {score:g} outside {span} for a {unit}-unit benchmark (a unit mix-up?)"


def model_scores(
    samples: pd.DataFrame,
    *,
    null_baselines: Mapping[str, float] | None = None,
    min_samples: int = MIN_SAMPLES,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per (model, suite, suite_version): SCORES_COLUMNS + SCORES_EXTRA.

    score is the mean over samples of each sample's mean over its scored epochs; the CI is
    the Wilson interval with an effective n over repeated epochs (`intervals`). Imported
    aggregates (sample_id "__aggregate__") keep their published value (the best, where a
    model has several rows), with a CI only when a standard error came with it (clipped to
    the scale). `unit` is the unit recorded at import; a benchmark whose rows record two
    units, or a score outside its unit's range, is "insufficient" with the reason.
    """
    cols = SCORES_COLUMNS + SCORES_EXTRA
    if samples.empty:
        return empty(cols)
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
            "variant",
        )
        if c in samples
    ]
    df = with_benchmark(samples[keep])
    if "variant" not in df:
        df["variant"] = df["model_id"]
    df["unit"] = _units(df)
    bench_units = df.groupby("benchmark", observed=True)["unit"].agg(lambda u: sorted(set(u)))
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
        tuple(k): (float(sc_), ex, str(var))
        for k, sc_, ex, var in zip(
            top[keys].itertuples(index=False), top["score"], extras, top["variant"], strict=True
        )
    }
    n_task_rows = sc[sc["sample_id"] != AGGREGATE_ID].groupby(keys, dropna=False).size()
    rows_of = dict(zip(n_task_rows.index, n_task_rows.to_numpy(), strict=True))
    count_of = {
        k: dict(zip(counts.columns, v, strict=True))
        for k, v in zip(counts.index, counts.to_numpy(), strict=True)
    }
    agg_of = dict(zip(is_agg.index, is_agg.to_numpy(), strict=True))
    baselines = dict(null_baselines or {})
    out = []
    meta = meta.reset_index()
    for m in meta.to_dict("records"):
        key = (m["model_id"], m["suite"], m["suite_version"])
        c = count_of.get(key, {})
        n_scored, n_error, n_limit = (int(c.get(x, 0)) for x in ("scored", "error", "limit"))
        n_rows = int(sum(c.values()))
        score = ci_lo = ci_hi = float("nan")
        status, reason, method, variant = "ok", "", NO_CI, str(m["variant"])
        units = bench_units.get(m["benchmark"], ["fraction"])
        unit: ScoreUnit = units[0] if len(units) == 1 else "fraction"
        if len(units) > 1:
            status, reason, n_samples = (
                "insufficient",
                "mixed units recorded at import: " + (" and ".join(units)),
                0,
            )
        elif bool(agg_of.get(key)) and key in best:
            # several published rows for one model (agents, scaffolds, harness variants,
            # provider copies, reasoning budgets): the best one, as a frontier is a best
            # score; the others stay in n_rows, and `variant` names the one used
            score, extra, variant = best[key]
            ci_lo, ci_hi, method = _aggregate_ci(extra, score, unit, level)
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
                ci_lo, ci_hi = wilson_effective(tasks, int(rows_of.get(key, tasks.size)), level)
                method = WILSON
        why = _out_of_range(score, unit) if np.isfinite(score) else ""
        if why:  # a value its unit cannot hold is a unit mix-up, not a data point
            status, reason, score, ci_lo, ci_hi, method = "insufficient", why, *[np.nan] * 3, NO_CI
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
                "unit": unit,
                "ci_method": method,
                "variant": variant,
            }
        )
    return pd.DataFrame(out, columns=cols)


def _units(df: pd.DataFrame) -> pd.Series:
    """Per row, the unit its import recorded (each distinct `extra` text read once)."""
    if "extra" not in df:
        return pd.Series("fraction", index=df.index, dtype=object)
    minutes = minutes_rows(df)
    return pd.Series(np.where(minutes.to_numpy(), "minutes", "fraction"), index=df.index)


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
