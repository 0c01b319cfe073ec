"""Realistic ReportTables built by hand (per harness/analysis/tables.py), so report tests do
not depend on the analysis code being written at the same time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from harness.analysis import tables as t
from harness.analysis.tables import ReportTables

EVIL = "<script>alert(1)</script>"
SLASHED = "meta-llama/Llama-3.1-8B-Instruct"
NAN = float("nan")


def _df(columns: list[str], rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# fmt: off
# (one row per line reads as a table; the formatter would put every cell on its own line)
def make_tables() -> ReportTables:
    scores = _df(t.SCORES_COLUMNS, [
        # model, access, released, suite, version, kind, source,
        # n_rows, n_scored, n_error, n_limit, error_rate, score, ci_low, ci_high, null_baseline
        ("gpt-4o", "closed", date(2024, 5, 13), "humaneval", "1", "standard", "own",
         164, 160, 4, 0, 4 / 164, 0.9125, 0.8688, 0.95, 0.0),
        ("gpt-4o", "closed", date(2024, 5, 13), "tau2-airline", "1", "agentic", "own",
         50, 47, 1, 2, 0.02, 0.5532, 0.4119, 0.6915, 0.36),
        ("claude-sonnet-4", "closed", date(2025, 5, 22), "humaneval", "1", "standard", "own",
         164, 164, 0, 0, 0.0, 0.9512, 0.9146, 0.9817, 0.0),
        ("claude-sonnet-4", "closed", date(2025, 5, 22), "tau2-airline", "1", "agentic", "own",
         50, 50, 0, 0, 0.0, 0.64, 0.5, 0.76, 0.36),
        (SLASHED, "open", date(2024, 7, 23), "humaneval", "1", "standard", "own",
         164, 150, 14, 0, 14 / 164, 0.62, 0.5467, 0.6933, 0.0),
        (SLASHED, "open", date(2024, 7, 23), "tau2-airline", "1", "agentic", "own",
         50, 40, 6, 4, 0.12, 0.275, 0.15, 0.425, 0.36),
        ("smollm2-135m-instruct", "open", date(2024, 11, 1), "humaneval", "1", "standard", "own",
         164, 164, 0, 0, 0.0, 0.0122, 0.0, 0.0305, 0.0),
        # every sample errored: no score, and the report must say so rather than print a number
        ("smollm2-135m-instruct", "open", date(2024, 11, 1), "tau2-airline", "1", "agentic", "own",
         50, 0, 50, 0, 1.0, NAN, NAN, NAN, 0.36),
        (EVIL, "open", None, "humaneval", "1", "standard", "imported:epoch",
         164, 164, 0, 0, 0.0, 0.3, 0.23, 0.37, None),
    ])
    frontier = _df(t.FRONTIER_COLUMNS, [
        ("humaneval", "standard", "closed", date(2024, 5, 13), 0.9125, "gpt-4o"),
        ("humaneval", "standard", "closed", date(2025, 5, 22), 0.9512, "claude-sonnet-4"),
        ("humaneval", "standard", "open", date(2024, 7, 23), 0.62, SLASHED),
        ("tau2-airline", "agentic", "closed", date(2024, 5, 13), 0.5532, "gpt-4o"),
        ("tau2-airline", "agentic", "closed", date(2025, 5, 22), 0.64, "claude-sonnet-4"),
        ("tau2-airline", "agentic", "open", date(2024, 7, 23), 0.275, SLASHED),
    ])
    gaps = _df(t.GAP_COLUMNS, [
        ("humaneval", "standard", date(2024, 7, 23), 0.9125, 0.62, 0.2925, 1.856),
        ("humaneval", "standard", date(2025, 5, 22), 0.9512, 0.62, 0.3312, 2.485),
        ("tau2-airline", "agentic", date(2024, 7, 23), 0.5532, 0.275, 0.2782, 1.183),
        ("tau2-airline", "agentic", date(2025, 5, 22), 0.64, 0.275, 0.365, 1.545),
    ])
    lags = _df(t.LAG_COLUMNS, [
        ("humaneval", "standard", 0.55, date(2023, 3, 14), date(2024, 7, 23), 16.3),
        ("humaneval", "standard", 0.6, date(2023, 3, 14), date(2024, 7, 23), 16.3),
        ("tau2-airline", "agentic", 0.25, date(2024, 5, 13), date(2024, 7, 23), 2.3),
    ])
    understatement = _df(t.UNDERSTATEMENT_COLUMNS, [
        ("score_gap", date(2024, 1, 1), date(2025, 12, 31), 0.3216, 0.3119, 0.0097,
         -0.0512, 0.0703, 0.4123, 1.031, 2, 2, "ok", None),
        ("lag_months", date(2024, 1, 1), date(2025, 12, 31), NAN, 16.3, NAN,
         NAN, NAN, NAN, NAN, 1, 2, "insufficient", "too few model pairs (1 < 3)"),
    ])
    horizons = _df(t.HORIZON_COLUMNS, [
        ("gpt-4o", "closed", "tau2-airline", 5.8, 3.9, 9.1, 0.887, 47, "ok", None),
        (SLASHED, "open", "tau2-airline", 1.6, 0.9, 2.8, 0.648, 40, "ok", None),
        ("smollm2-135m-instruct", "open", "tau2-airline", NAN, NAN, NAN, NAN, 0,
         "insufficient", "too few samples (0 < 20)"),
    ])
    passk = _df(t.PASSK_COLUMNS, [
        ("gpt-4o", "tau2-airline", 1, 0.5532, 0.5532, 50),
        ("gpt-4o", "tau2-airline", 2, 0.4211, 0.5532, 50),
        ("gpt-4o", "tau2-airline", 4, 0.3012, 0.5532, 50),
    ])
    ladder = _df(t.LADDER_COLUMNS, [
        ("gpt-4o", SLASHED, 4, 0.1, 0.25, 0.15, 0.05, 0.26, 40),
    ])
    flags = _df(t.FLAG_COLUMNS, [
        ("benchmark", "humaneval", "saturated: closed frontier above 0.9"),
        ("understatement", "lag_months", "too few model pairs (1 < 3)"),
    ])
    catchup = _df(t.CATCHUP_COLUMNS, [
        ("humaneval", "standard", "neglog_error", 0.5, 0.9, 14.2, "ok", None),
        ("tau2-airline", "agentic", "neglog_error", 0.3, 0.6, NAN, "insufficient",
         "open frontier never reached the upper level"),
    ])
    horizon_gap = _df(t.HORIZON_GAP_COLUMNS, [
        ("tau2-airline", "gpt-4o", SLASHED, 5.8, 1.6, 1.858, 1.1, 2.6, "ok", None),
    ])
    return ReportTables(
        scores=scores, frontier=frontier, gaps=gaps, lags=lags, understatement=understatement,
        horizons=horizons, passk=passk, ladder=ladder, flags=flags, catchup=catchup,
        horizon_gap=horizon_gap,
        generated_at=datetime(2026, 11, 22, 10, 30, tzinfo=UTC), title="gapbench gap report",
    )
# fmt: on


@pytest.fixture
def tables() -> ReportTables:
    return make_tables()
