"""Pure pandas/numpy/scipy analysis over store tables. Reads only through harness.store.

Internal layers (imports point down only; tests/test_layers.py enforces it):

    assembly   answer.py, build.py, tables.py (ReportTables), publish_docs.py, this package:
               put the answer and the report's tables together
    inference  inference/: the censored fit, D and its bootstrap, task resampling, the
               specification curve, cross-checks
    measures   measures/ (and horizon.py, ladder.py): scores, frontiers, lags, catch-up,
               coverage, trends, pass^k, drift, substitutes, each benchmark's evidence for D
    base       _common.py, spec.py, columns.py, intervals.py, wording.py, mapping.py:
               the shared vocabulary (method choices, column lists, interval methods, words)

Public API (all return DataFrames with the columns in analysis/columns.py, plus extras):
    answer(samples, spec) -> Answer      the verdict, D with CI, curve, coverage, cross-checks
    AnalysisSpec, PRIMARY, spec_from_options   method choices as data (analysis/spec.py)
    build_report_tables(samples, *, spec, null_baselines, title, scales, eci, substitute)
    headline(tables) -> list[str]
    model_scores, benches, frontier_table, gap_table, lag_table, catchup_table,
    understatement, kind_trend, ladder, horizons, passk, pass_hat_k, drift_table, alerts_for
"""

from harness.analysis.answer import Answer, answer
from harness.analysis.build import build_report_tables, headline
from harness.analysis.horizon import horizons
from harness.analysis.inference.understatement import understatement
from harness.analysis.ladder import ladder
from harness.analysis.measures.drift import alerts_for, drift_table
from harness.analysis.measures.frontier import Bench, benches, frontier_table, gap_table
from harness.analysis.measures.lag import catchup_table, lag_data, lag_table
from harness.analysis.measures.passk import pass_hat_k, passk
from harness.analysis.measures.scores import model_scores
from harness.analysis.measures.trend import kind_trend
from harness.analysis.spec import PRIMARY, AnalysisSpec, spec_from_options

__all__ = [
    "PRIMARY",
    "AnalysisSpec",
    "Answer",
    "Bench",
    "alerts_for",
    "answer",
    "benches",
    "build_report_tables",
    "catchup_table",
    "drift_table",
    "frontier_table",
    "gap_table",
    "headline",
    "horizons",
    "kind_trend",
    "ladder",
    "lag_data",
    "lag_table",
    "model_scores",
    "pass_hat_k",
    "passk",
    "spec_from_options",
    "understatement",
]
