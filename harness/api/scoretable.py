"""The table a run ends with, as lm-eval and inspect end theirs: per (model, suite), the score
with a confidence interval, errors, limits and cost.

The interval is the analysis layer's method for scores of own runs
(harness/analysis/intervals.py, `wilson_effective`): a Wilson score interval over per-sample
means, with an effective sample size over repeated epochs. It stays in [0, 1] and is not of
zero width at 0 of 6 or 6 of 6, where a normal (Wald) interval or a percentile bootstrap
collapses, and it is defined for a handful of samples. It is computed here again from the
same formula with the standard library, because a finished rerun prints this table and must
not import the analysis stack (scipy, pandas: issue 14's fast start);
tests/cli/test_run_end.py holds the two equal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.api.results import Results
    from harness.store import Store
    from harness.sweep.outcome import SweepOutcome
    from harness.sweep.plan import PlannedRun

LEVEL = 0.95
INTERVAL_METHOD = (
    "Wilson score interval (effective n over repeated epochs), 95%; "
    "a sample's epochs averaged first"
)


def wilson_effective(
    task_means: Sequence[float], n_rows: int, level: float = LEVEL
) -> tuple[float, float]:
    """The Wilson interval of the mean of per-sample means in [0, 1], with the effective n of
    harness.analysis.intervals (between the number of samples and of scored rows)."""
    x = [min(1.0, max(0.0, float(v))) for v in task_means]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan)
    p = sum(x) / n
    var = sum((v - p) ** 2 for v in x) / n
    upper = float(max(n_rows, n))
    if var <= 0 or not 0 < p < 1:
        n_eff = float(n) if p in (0.0, 1.0) else upper
    else:
        n_eff = min(max(n * p * (1 - p) / var, float(n)), upper)
    z = NormalDist().inv_cdf(0.5 + level / 2)
    z2n = z * z / n_eff
    centre = (p + z2n / 2) / (1 + z2n)
    half = z * math.sqrt(p * (1 - p) / n_eff + z2n / (4 * n_eff)) / (1 + z2n)
    lo = 0.0 if p == 0 else max(0.0, centre - half)
    hi = 1.0 if p == 1 else min(1.0, centre + half)
    return (lo, hi)


@dataclass(frozen=True)
class ScoreRow:
    model_id: str
    deployment_id: str
    suite: str  # "name@version"
    status: str  # the run's status (complete | partial | failed | ... | stored)
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


@dataclass(frozen=True)
class _Rows:
    """What a run's stored rows say, however they were read."""

    per_sample: list[float]  # mean scored epoch per sample
    n_scored_rows: int
    n_error: int
    n_limit: int
    n_rows: int
    cost_usd: float | None


def _row(
    identity: tuple[str, str, str, str],
    status: str,
    message: str | None,
    baseline: float | None,
    rows: _Rows,
) -> ScoreRow:
    model_id, deployment_id, suite, version = identity
    n = len(rows.per_sample)
    score = lo = hi = None
    if n:
        score = sum(rows.per_sample) / n
        lo, hi = wilson_effective(rows.per_sample, rows.n_scored_rows)
    return ScoreRow(
        model_id=model_id,
        deployment_id=deployment_id,
        suite=f"{suite}@{version}",
        status=status,
        n_scored=n,
        score=score,
        ci_low=lo,
        ci_high=hi,
        n_error=rows.n_error,
        n_limit=rows.n_limit,
        n_rows=rows.n_rows,
        cost_usd=rows.cost_usd,
        null_baseline=baseline,
        message=message,
    )


def score_table(results: Results) -> ScoreTable:
    """Per run of `results` (model x deployment x suite version): score, interval, errors,
    limits and cost, in the order of `results.runs`. Scores are on 0-1."""
    import pandas as pd

    out = []
    samples = results.samples
    for _, run in results.runs.iterrows():
        group = samples[samples["run_id"] == run["run_id"]] if len(samples) else samples
        scored = group[group["status"].isin(["scored", "limit"]) & group["score"].notna()]
        means = scored.groupby("sample_id")["score"].mean().clip(0.0, 1.0)
        costs = group["cost_usd"] if "cost_usd" in group else pd.Series(dtype=float)
        baseline, message = run.get("null_baseline"), run.get("message")
        out.append(
            _row(
                (
                    str(run["model_id"]),
                    str(run.get("deployment_id") or ""),
                    str(run["suite"]),
                    str(run["suite_version"]),
                ),
                str(run["status"]),
                None if message is None or pd.isna(message) else str(message),
                None if baseline is None or pd.isna(baseline) else float(baseline),
                _Rows(
                    per_sample=[float(v) for v in means],
                    n_scored_rows=len(scored),
                    n_error=int((group["status"] == "error").sum()),
                    n_limit=int((group["status"] == "limit").sum()),
                    n_rows=len(group),
                    cost_usd=float(costs.sum()) if costs.notna().any() else None,
                ),
            )
        )
    return ScoreTable(tuple(out))


def _stored_rows(store: Store, run: PlannedRun) -> _Rows:
    """The run's planned samples as stored (newest attempt), by SQL: no pandas."""
    ids = list(run.sample_ids)
    if not ids:
        return _Rows([], 0, 0, 0, 0, None)
    marks = ", ".join("?" for _ in ids)
    where = f"run_id = ? AND epoch <= ? AND sample_id IN ({marks}) AND coalesce(canary, false) = ?"
    params = [run.run_id, run.epochs, *ids, run.canary]
    per_sample = store.query(
        f"""SELECT avg(least(greatest(score, 0), 1)) AS m, count(*) AS k FROM samples
            WHERE {where} AND status IN ('scored', 'limit') AND score IS NOT NULL
            GROUP BY sample_id ORDER BY sample_id""",
        params,
        suites=(run.suite.name,),
    ).to_pylist()
    (counts,) = store.query(
        f"""SELECT count(*) AS n_rows,
                   count(*) FILTER (WHERE status = 'error') AS n_error,
                   count(*) FILTER (WHERE status = 'limit') AS n_limit,
                   sum(cost_usd) AS cost
            FROM samples WHERE {where}""",
        params,
        suites=(run.suite.name,),
    ).to_pylist()
    cost = counts["cost"]
    return _Rows(
        per_sample=[float(r["m"]) for r in per_sample],
        n_scored_rows=int(sum(int(r["k"]) for r in per_sample)),
        n_error=int(counts["n_error"] or 0),
        n_limit=int(counts["n_limit"] or 0),
        n_rows=int(counts["n_rows"] or 0),
        cost_usd=None if cost is None else float(cost),
    )


def _stored_status(store: Store, run_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """run_id -> (status, message) of its current run record (runs not run now)."""
    if not run_ids:
        return {}
    marks = ", ".join("?" for _ in run_ids)
    rows = store.query(
        f"SELECT run_id, status, message FROM runs WHERE run_id IN ({marks})", run_ids
    ).to_pylist()
    return {str(r["run_id"]): (str(r["status"]), r["message"]) for r in rows}


def run_end_table(store: Store, outcome: SweepOutcome) -> ScoreTable:
    """The table of every run of an executed plan (run now or stored before), read from the
    store by SQL so that a finished rerun imports neither pandas nor scipy."""
    status = _stored_status(store, [r.run_id for r in outcome.plan.runs])
    status.update({r.run.run_id: (r.status, r.message) for r in outcome.runs})
    out = []
    for run in outcome.plan.runs:
        st, message = status.get(run.run_id, ("stored", None))
        out.append(
            _row(
                (run.card.id, run.deployment.id, run.suite.name, run.suite.version),
                f"{st} (canary)" if run.canary else st,
                message,
                run.suite.null_baseline,
                _stored_rows(store, run),
            )
        )
    return ScoreTable(tuple(out))
