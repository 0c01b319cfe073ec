"""The columns of every analysis table, declared once (and `empty`, a table with no rows).

Analysis builds the tables; report/ only renders them. Every table is a pandas DataFrame
with the columns listed here (empty DataFrames with these columns when there is no data).
Where the data cannot support a number, the row carries status="insufficient" and a
`reason` instead of a value. Analysis tables may carry extra columns after the ones listed.
"""

from __future__ import annotations

import pandas as pd

SCORES_COLUMNS = [
    "model_id",
    "access",
    "release_date",
    "suite",
    "suite_version",
    "kind",
    "source",
    "n_rows",
    "n_scored",
    "n_error",
    "n_limit",
    "error_rate",
    "score",
    "ci_low",
    "ci_high",
    "null_baseline",
]
FRONTIER_COLUMNS = ["benchmark", "kind", "access", "date", "score", "model_id"]
GAP_COLUMNS = ["benchmark", "kind", "date", "closed_best", "open_best", "gap", "gap_logit"]
LAG_COLUMNS = ["benchmark", "kind", "threshold", "closed_date", "open_date", "lag_months"]
UNDERSTATEMENT_COLUMNS = [
    "measure",
    "window_start",
    "window_end",
    "agentic",
    "standard",
    "d",
    "ci_low",
    "ci_high",
    "p_value",
    "ratio",
    "n_agentic",
    "n_standard",
    "status",
    "reason",
]
HORIZON_COLUMNS = [
    "model_id",
    "access",
    "suite",
    "h50",
    "h50_ci_low",
    "h50_ci_high",
    "p_step",
    "n",
    "status",
    "reason",
]
PASSK_COLUMNS = ["model_id", "suite", "k", "pass_hat_k", "pass_at_1", "n_tasks"]
LADDER_COLUMNS = [
    "closed_model",
    "open_model",
    "h",
    "standard_gap",
    "agentic_gap",
    "d",
    "ci_low",
    "ci_high",
    "n_items",
]
FLAG_COLUMNS = ["scope", "item", "reason"]
# Added by the analysis engineer (issue 6): Epoch-style catch-up times, the per-kind gap
# trend by quarter and the open-closed horizon gap. Analysis tables may also carry extra columns after the ones listed above
# (e.g. scores: benchmark, n_samples, status, reason; lags: closed_model, open_model, used).
CATCHUP_COLUMNS = [
    "benchmark",
    "kind",
    "scale",
    "level_low",
    "level_high",
    "catchup_months",
    "status",
    "reason",
]
TREND_COLUMNS = [
    "kind",
    "period_end",
    "n_benchmarks",
    "score_gap",
    "score_gap_logit",
    "lag_months",
    "n_lag_points",
]
HORIZON_GAP_COLUMNS = [
    "suite",
    "closed_model",
    "open_model",
    "closed_h50",
    "open_h50",
    "log2_ratio",
    "ci_low",
    "ci_high",
    "status",
    "reason",
]

# Canary history and drift alerts (nightly; harness/analysis/drift.py): one row per model,
# deployment, suite and canary night; `alert` marks the nights that raised one.
DRIFT_COLUMNS = [
    "model_id",
    "access",
    "deployment_id",
    "suite",
    "suite_version",
    "run_id",
    "ran_at",
    "n",
    "score",
    "se",
    "baseline",
    "threshold",
    "z",
    "snapshot",
    "alert",
    "kind",
    "reason",
]

# ---- the answer (issue 9): tables of `Answer`, the JSON of `gapbench analyze --format json`.
# Documented key by key in docs/analysis-json.md; a test checks the doc lists every column.
ANSWER_UNDERSTATEMENT_COLUMNS = [
    "measure",
    "unit",
    "window",
    "since",
    "until",
    "censoring",
    "averaging",
    "agentic",
    "standard",
    "d",
    "ci_low",
    "ci_high",
    "p_one_sided",
    "at_least",
    "at_most",
    "se_agentic",
    "se_standard",
    "ci_method",
    "n_agentic",
    "n_standard",
    "n_bounds",
    "status",
    "reason",
]
SENSITIVITY_COLUMNS = [
    "rank",
    "measure",
    "unit",
    "censoring",
    "window",
    "benchmark_set",
    "averaging",
    "agentic",
    "standard",
    "d",
    "ci_low",
    "ci_high",
    "p_one_sided",
    "n_agentic",
    "n_standard",
    "status",
    "reason",
    "is_primary",
]
# leaving one benchmark out in turn: how far each one moves D (per measure, under the spec)
INFLUENCE_COLUMNS = [
    "measure",
    "unit",
    "benchmark",
    "kind",
    "d_without",
    "ci_low",
    "ci_high",
    "shift",
    "n_agentic",
    "n_standard",
    "status",
    "reason",
]
# what to evaluate next (inference.settle): missing (model, benchmark) evaluations ranked by
# how much adding each (its score predicted from the model's capability) narrows D(lag)'s CI
NEXT_COLUMNS = [
    "rank",
    "model_id",
    "access",
    "release_date",
    "benchmark",
    "kind",
    "unit",
    "predicted_score",
    "ci_low_after",
    "ci_high_after",
    "width_gain",
]
COVERAGE_COLUMNS = [
    "benchmark",
    "kind",
    "borderline",
    "n_closed",
    "n_open",
    "first_closed",
    "first_open",
    "last_closed",
    "last_open",
    "closed_spacing_months",
    "open_spacing_months",
    "counted",
    "bounds",
    "dropped",
    "dropped_reasons",
    "note",
]
ANSWER_LAG_COLUMNS = ["suite", "kind", "mean_lag", "n", "n_lower", "n_upper"]
CROSSCHECK_COLUMNS = [
    "check",
    "origin",
    "kind",
    "value",
    "low",
    "high",
    "unit",
    "window",
    "n",
    "n_bounds",
    "source",
]
SUBSTITUTE_COLUMNS = [
    "closed_model",
    "variant",
    "benchmark",
    "kind",
    "unit",
    "closed_score",
    "closed_release",
    "best_open_model",
    "best_open_score",
    "gap",
    "matched_by",
    "matched_on",
    "months_after_release",
    "status",
]
# every closed model's substitute per kind (the kind rows of `substitutes`, report-wide)
SUBSTITUTE_KIND_COLUMNS = [
    "closed_model",
    "variants",
    "kind",
    "benchmarks",
    "closed_release",
    "matched_by",
    "matched_on",
    "months_after_release",
    "status",
]
SUBSTITUTE_TIMELINE_COLUMNS = [
    "closed_model",
    "benchmark",
    "unit",
    "date",
    "open_model",
    "open_best",
    "gap",
]

# Published time horizons (METR, minutes): never a 0-1 score, so never in `scores`,
# `frontier` or `gaps`; drawn on a log2 axis of minutes. `frontier`: the row raises its
# side's best horizon.
HORIZON_SCORE_COLUMNS = [
    "benchmark",
    "kind",
    "model_id",
    "access",
    "release_date",
    "minutes",
    "log2_minutes",
    "frontier",
]


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
