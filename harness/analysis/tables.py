"""The tables a report draws (`ReportTables`): what analysis hands to report/.

The column lists are declared in `analysis/columns.py` and re-exported here, so report/
reads one module: `harness.analysis.tables`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from harness.analysis.columns import (
    ANSWER_LAG_COLUMNS,
    ANSWER_UNDERSTATEMENT_COLUMNS,
    CATCHUP_COLUMNS,
    COVERAGE_COLUMNS,
    CROSSCHECK_COLUMNS,
    DRIFT_COLUMNS,
    FLAG_COLUMNS,
    FRONTIER_COLUMNS,
    GAP_COLUMNS,
    HORIZON_COLUMNS,
    HORIZON_GAP_COLUMNS,
    HORIZON_SCORE_COLUMNS,
    INFLUENCE_COLUMNS,
    LADDER_COLUMNS,
    LAG_COLUMNS,
    NEXT_COLUMNS,
    PASSK_COLUMNS,
    SCORES_COLUMNS,
    SENSITIVITY_COLUMNS,
    SUBSTITUTE_COLUMNS,
    SUBSTITUTE_KIND_COLUMNS,
    SUBSTITUTE_TIMELINE_COLUMNS,
    TREND_COLUMNS,
    UNDERSTATEMENT_COLUMNS,
    empty,
)
from harness.analysis.history import HISTORY_COLUMNS
from harness.analysis.inference.own_effect import OWN_EFFECT_COLUMNS
from harness.analysis.measures.calibration import CALIBRATION_COLUMNS
from harness.analysis.measures.own_rows import OWN_POINT_COLUMNS, OWN_SCORE_COLUMNS

if TYPE_CHECKING:
    from harness.analysis.answer import Answer

__all__ = [
    "ANSWER_LAG_COLUMNS",
    "ANSWER_UNDERSTATEMENT_COLUMNS",
    "CATCHUP_COLUMNS",
    "COVERAGE_COLUMNS",
    "CROSSCHECK_COLUMNS",
    "DRIFT_COLUMNS",
    "FLAG_COLUMNS",
    "FRONTIER_COLUMNS",
    "GAP_COLUMNS",
    "HORIZON_COLUMNS",
    "HORIZON_GAP_COLUMNS",
    "HORIZON_SCORE_COLUMNS",
    "INFLUENCE_COLUMNS",
    "LADDER_COLUMNS",
    "LAG_COLUMNS",
    "NEXT_COLUMNS",
    "PASSK_COLUMNS",
    "SCORES_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "SUBSTITUTE_COLUMNS",
    "SUBSTITUTE_KIND_COLUMNS",
    "SUBSTITUTE_TIMELINE_COLUMNS",
    "TREND_COLUMNS",
    "UNDERSTATEMENT_COLUMNS",
    "ReportTables",
    "empty",
]


@dataclass(frozen=True)
class ReportTables:
    scores: pd.DataFrame = field(default_factory=lambda: empty(SCORES_COLUMNS))
    frontier: pd.DataFrame = field(default_factory=lambda: empty(FRONTIER_COLUMNS))
    gaps: pd.DataFrame = field(default_factory=lambda: empty(GAP_COLUMNS))
    lags: pd.DataFrame = field(default_factory=lambda: empty(LAG_COLUMNS))
    understatement: pd.DataFrame = field(default_factory=lambda: empty(UNDERSTATEMENT_COLUMNS))
    horizons: pd.DataFrame = field(default_factory=lambda: empty(HORIZON_COLUMNS))
    passk: pd.DataFrame = field(default_factory=lambda: empty(PASSK_COLUMNS))
    ladder: pd.DataFrame = field(default_factory=lambda: empty(LADDER_COLUMNS))
    flags: pd.DataFrame = field(default_factory=lambda: empty(FLAG_COLUMNS))
    catchup: pd.DataFrame = field(default_factory=lambda: empty(CATCHUP_COLUMNS))
    horizon_gap: pd.DataFrame = field(default_factory=lambda: empty(HORIZON_GAP_COLUMNS))
    trend: pd.DataFrame = field(default_factory=lambda: empty(TREND_COLUMNS))
    drift: pd.DataFrame = field(default_factory=lambda: empty(DRIFT_COLUMNS))
    published_horizons: pd.DataFrame = field(default_factory=lambda: empty(HORIZON_SCORE_COLUMNS))
    substitutes_by_kind: pd.DataFrame = field(
        default_factory=lambda: empty(SUBSTITUTE_KIND_COLUMNS)
    )
    # own runs on the published timeline: every own score's place (pooled or why not), own
    # points on frontiers, D with and without them, own vs published scores, D per snapshot
    own_scores: pd.DataFrame = field(default_factory=lambda: empty(OWN_SCORE_COLUMNS))
    own_points: pd.DataFrame = field(default_factory=lambda: empty(OWN_POINT_COLUMNS))
    own_effect: pd.DataFrame = field(default_factory=lambda: empty(OWN_EFFECT_COLUMNS))
    calibration: pd.DataFrame = field(default_factory=lambda: empty(CALIBRATION_COLUMNS))
    history: pd.DataFrame = field(default_factory=lambda: empty(HISTORY_COLUMNS))
    generated_at: datetime | None = None
    title: str = "gapbench report"
    # the answer under a specification (verdict, primary D, sensitivity, coverage, ...):
    # report/ draws it as given, so its numbers equal `gapbench analyze --format json`
    answer: Answer | None = None
