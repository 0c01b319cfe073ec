"""Pure pandas/numpy/scipy analysis over store tables. Reads only through harness.store.

Public API (all return DataFrames with the columns in analysis/tables.py, plus extras):
    answer(samples, spec) -> Answer      the verdict, D with CI, curve, coverage, cross-checks
    AnalysisSpec, PRIMARY, spec_from_options   method choices as data (analysis/spec.py)
    build_report_tables(samples, *, spec, null_baselines, title, scales, eci, substitute)
    headline(tables) -> list[str]
    model_scores, benches, frontier_table, gap_table, lag_table, catchup_table,
    understatement, kind_trend, ladder, horizons, passk, pass_hat_k
"""

from harness.analysis.answer import Answer, answer
from harness.analysis.build import build_report_tables, headline
from harness.analysis.frontier import Bench, benches, frontier_table, gap_table
from harness.analysis.horizon import horizons
from harness.analysis.ladder import ladder
from harness.analysis.lag import catchup_table, lag_data, lag_table
from harness.analysis.passk import pass_hat_k, passk
from harness.analysis.scores import model_scores
from harness.analysis.spec import PRIMARY, AnalysisSpec, spec_from_options
from harness.analysis.trend import kind_trend
from harness.analysis.understatement import understatement

__all__ = [
    "PRIMARY",
    "AnalysisSpec",
    "Answer",
    "Bench",
    "answer",
    "benches",
    "build_report_tables",
    "catchup_table",
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
