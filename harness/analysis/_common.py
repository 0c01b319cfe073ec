"""Shared helpers for the analysis modules: column hygiene, scales, dates, resampling.

Everything here is pure numpy/pandas. Dates travel as float days since the Unix epoch inside
the numeric cores (fast, sortable) and as `datetime.date` in the returned tables.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

Scale = Literal["fraction", "horizon"]

DAYS_PER_MONTH = 365.25 / 12  # lag in months = days / this
AGGREGATE_ID = "__aggregate__"  # sample_id of an imported (published) per-model score
LOGIT_EPS = 1e-3  # scores are clipped to [eps, 1-eps] before the logit (0 and 1 are infinite)
_EPOCH = date(1970, 1, 1)


def to_days(values: pd.Series) -> np.ndarray:
    """Release dates (date, Timestamp or string) -> float days since 1970-01-01; NaN if missing."""
    ts = pd.to_datetime(values, errors="coerce")
    out = (ts - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype=float) / 86400.0
    return out


def from_days(d: float) -> date | None:
    if d is None or not np.isfinite(d):
        return None
    return _EPOCH + timedelta(days=round(float(d)))


def to_date(value: object) -> date | None:
    if value is None:
        return None
    ts = pd.to_datetime(value, errors="coerce")
    if ts is pd.NaT or pd.isna(ts):
        return None
    return ts.date()


def logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=float), LOGIT_EPS, 1 - LOGIT_EPS)
    return np.log(q / (1 - q))


def neg_log_error(p: np.ndarray | float) -> np.ndarray:
    """Epoch's -ln(error rate) ("nats"), clipped like the logit so that 100% stays finite."""
    q = np.clip(np.asarray(p, dtype=float), 0.0, 1 - LOGIT_EPS)
    return -np.log1p(-q)


def scale_of(unit: object, declared: str | None = None) -> Scale:
    """A benchmark's score scale from the unit recorded at import: "minutes" is a time
    horizon, anything else a 0-1 fraction. Never inferred from the values (a horizon whose
    minutes happen to be below 1, or a mis-scaled fraction, would change meaning);
    `declared` (a caller's explicit scale) wins."""
    if declared in ("fraction", "horizon"):
        return declared  # type: ignore[return-value]
    return "horizon" if unit == "minutes" else "fraction"


def extra_field(extra: object, key: str) -> str | None:
    """Read one key of the JSON `extra` column; None when absent or unparsable."""
    if not isinstance(extra, str) or not extra:
        return None
    try:
        obj = json.loads(extra)
    except ValueError:
        return None
    val = obj.get(key) if isinstance(obj, dict) else None
    return None if val is None else str(val)


def benchmark_names(df: pd.DataFrame) -> pd.Series:
    """Benchmark key per row: the suite, or suite@version where a suite has several versions.

    Results from different suite versions are never pooled (DESIGN: versions bump when the
    prompt, data or scoring changes), so each version is its own benchmark. Names are made
    once per (suite, version) pair, not per row (a million rows hold a few dozen pairs).
    """
    if df.empty:
        return pd.Series([], dtype=object, index=df.index)
    s_codes, suites = pd.factorize(df["suite"])
    v_codes, versions = pd.factorize(df["suite_version"])
    width = len(versions) + 1
    p_codes, pairs = pd.factorize((s_codes + 1) * width + (v_codes + 1))
    si, vi = pairs // width - 1, pairs % width - 1
    # distinct non-null versions per suite (a missing suite or version counts for none)
    n_versions = np.bincount(si[(si >= 0) & (vi >= 0)], minlength=len(suites))
    names = np.array(
        [
            f"{_text(suites, s)}@{_text(versions, v)}"
            if s >= 0 and n_versions[s] > 1
            else _text(suites, s)
            for s, v in zip(si, vi, strict=True)
        ],
        dtype=object,
    )
    return pd.Series(names[p_codes], index=df.index, dtype=object)


def _text(uniques: object, i: int) -> str:
    return "nan" if i < 0 else str(uniques[i])  # type: ignore[index]


def cluster_weights(rng: np.random.Generator, n_clusters: int, n_boot: int) -> np.ndarray:
    """Bootstrap weights (n_boot x n_clusters): how often each cluster is drawn when n_clusters
    are drawn with replacement, one resample per row (multinomial counts, drawn as uniform
    indices and counted: the same distribution as `rng.multinomial`, ~20x faster).

    Resampling clusters (sample ids) rather than rows keeps a sample's epochs together, so
    repeated epochs of one task are not treated as independent evidence.
    """
    idx = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    idx += n_clusters * np.arange(n_boot)[:, None]
    counts = np.bincount(idx.ravel(), minlength=n_boot * n_clusters)
    return counts.reshape(n_boot, n_clusters).astype(float)


def percentile_ci(reps: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    reps = np.asarray(reps, dtype=float)
    reps = reps[np.isfinite(reps)]
    if reps.size < 10:
        return (float("nan"), float("nan"))
    a = (1 - level) / 2
    lo, hi = np.quantile(reps, [a, 1 - a])
    return (float(lo), float(hi))


# The sample columns the analysis reads (a million rows of all 46 store columns are half a
# gigabyte of pandas; these are a third of it, and every row filter copies each column).
ANALYSIS_COLUMNS = (
    "run_id",
    "model_id",
    "access",
    "release_date",
    "suite",
    "suite_version",
    "kind",
    "sample_id",
    "epoch",
    "h",
    "score",
    "success",
    "status",
    "source",
    "extra",
    "canary",
    "deployment_id",
    "started_at",
    "finished_at",
    "model_snapshot",
    "engine_version",
)


# Text columns only compared, grouped and read: safe as categoricals. Not `kind` (a --mapping
# writes new kinds into it) nor `source` (the drift table fills its gaps with "own"): a
# categorical refuses a value outside its categories.
_TEXT_COLUMNS = frozenset(
    {
        "run_id",
        "model_id",
        "access",
        "suite",
        "suite_version",
        "sample_id",
        "status",
        "extra",
        "deployment_id",
        "model_snapshot",
        "engine_version",
    }
)


def compact(samples: pd.DataFrame) -> pd.DataFrame:
    """Text columns as categoricals (sorted categories, so grouping orders stay those of the
    strings): filtering a million rows of pyarrow-backed strings costs a second per mask,
    of categoricals a few milliseconds. Values, and so every result, are unchanged."""
    text = [
        c
        for c in samples.columns
        if c in _TEXT_COLUMNS and not isinstance(samples[c].dtype, pd.CategoricalDtype)
    ]
    if not text:
        return samples
    return samples.assign(**{c: samples[c].astype("category") for c in text})


def analysis_frame(samples: pd.DataFrame) -> pd.DataFrame:
    """The samples as the analysis reads them: ANALYSIS_COLUMNS (those present), compacted.
    The store reads every column; this halves the analysis of a million rows."""
    cols = [c for c in ANALYSIS_COLUMNS if c in samples.columns]
    return compact(samples[cols] if len(cols) < len(samples.columns) else samples)


def without_canaries(samples: pd.DataFrame) -> pd.DataFrame:
    """Samples without nightly canary rows: those feed only the drift table, never a score,
    frontier or gap. A store without the `canary` column has none."""
    if samples.empty or "canary" not in samples:
        return samples
    flag = samples["canary"].fillna(False).astype(bool)
    return samples[~flag] if flag.any() else samples


def clean(value: Any) -> Any:
    """JSON-ready: NaN/inf -> None, dates -> ISO strings, numpy scalars -> Python."""
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return [clean(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is pd.NaT or (not isinstance(value, str | bool | int) and pd.isna(value)):
        return None
    return value


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON-ready records (see `clean`)."""
    return [clean(r) for r in df.to_dict("records")]
