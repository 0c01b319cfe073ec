"""The table a run ends with, as lm-eval and inspect end theirs: per (model, suite), the score
with a confidence interval, errors, limits and cost.

The interval is the analysis layer's own method for scores of own runs
(harness/analysis/intervals.py: a Wilson score interval over per-sample means, with an
effective sample size over repeated epochs). It stays in [0, 1] and is not of zero width at 0
of 6 or 6 of 6, where a normal (Wald) interval or a percentile bootstrap collapses, and it is
defined for a handful of samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.analysis.intervals import WILSON, wilson_effective

if TYPE_CHECKING:
    import pandas as pd

    from harness.api.results import Results

INTERVAL_METHOD = f"{WILSON}, 95%; a sample's epochs averaged first"


@dataclass(frozen=True)
class ScoreRow:
    model_id: str
    deployment_id: str
    suite: str  # "name@version"
    status: str  # the run's status (complete | partial | failed | running | ... | stored)
    n_scored: int  # samples with a score (scored or limit), epochs averaged per sample
    score: float | None  # mean over those samples; None when there are none
    ci_low: float | None
    ci_high: float | None
    n_error: int  # rows (sample x epoch) that errored: never scored as wrong
    n_limit: int  # rows stopped by a limit (scored as the scorer saw them)
    n_rows: int  # rows stored for the run (sample x epoch)
    cost_usd: float | None  # cost of the stored rows; None when no row had a price
    null_baseline: float | None
    message: str | None


@dataclass(frozen=True)
class ScoreTable:
    rows: tuple[ScoreRow, ...]
    interval_method: str = INTERVAL_METHOD


def _row(run: pd.Series, group: pd.DataFrame) -> ScoreRow:
    import pandas as pd

    scored = group[group["status"].isin(["scored", "limit"]) & group["score"].notna()]
    per_sample = scored.groupby("sample_id")["score"].mean().clip(0.0, 1.0)
    n = int(per_sample.size)
    score = lo = hi = None
    if n:
        score = float(per_sample.mean())
        lo, hi = wilson_effective(per_sample.to_numpy(), len(scored))
    costs = group["cost_usd"] if "cost_usd" in group else pd.Series(dtype=float)
    baseline = run.get("null_baseline")
    message = run.get("message")
    return ScoreRow(
        model_id=str(run["model_id"]),
        deployment_id=str(run.get("deployment_id") or ""),
        suite=f"{run['suite']}@{run['suite_version']}",
        status=str(run["status"]),
        n_scored=n,
        score=score,
        ci_low=lo,
        ci_high=hi,
        n_error=int((group["status"] == "error").sum()),
        n_limit=int((group["status"] == "limit").sum()),
        n_rows=len(group),
        cost_usd=float(costs.sum()) if costs.notna().any() else None,
        null_baseline=None if baseline is None or pd.isna(baseline) else float(baseline),
        message=None if message is None or pd.isna(message) else str(message),
    )


def score_table(results: Results) -> ScoreTable:
    """Per run of `results` (model x deployment x suite version): score, Wilson interval,
    errors, limits and cost, in the order of `results.runs`. Scores are on 0-1."""
    rows = []
    samples = results.samples
    for _, run in results.runs.iterrows():
        group = samples[samples["run_id"] == run["run_id"]] if len(samples) else samples
        rows.append(_row(run, group))
    return ScoreTable(tuple(rows))
