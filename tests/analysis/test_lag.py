"""Threshold-crossing lag and catch-up: a hand-checked case and planted lags."""

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from harness.analysis import (
    benches,
    catchup_table,
    frontier_table,
    gap_table,
    lag_table,
    model_scores,
)
from harness.analysis._common import DAYS_PER_MONTH
from harness.analysis.inference.understatement import window_days
from harness.analysis.measures.frontier import no_point_gaps
from harness.analysis.measures.lag import thresholds_for, window_lag
from tests.analysis import synth


def scores_of(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(benchmark=df["suite"])


def hand_case() -> pd.DataFrame:
    r = synth.row
    return synth.frame(
        [
            r("A", "closed", date(2023, 1, 1), "b", "standard", 0.30),
            r("B", "closed", date(2023, 7, 1), "b", "standard", 0.50),
            r("C", "closed", date(2024, 1, 1), "b", "standard", 0.70),
            r("X", "open", date(2023, 3, 1), "b", "standard", 0.20),
            r("Y", "open", date(2023, 10, 1), "b", "standard", 0.45),
            r("Z", "open", date(2024, 4, 1), "b", "standard", 0.72),
        ]
    )


def test_hand_checked_threshold_lag():
    lags = lag_table(benches(scores_of(hand_case())))
    by_thr = lags.set_index(lags["threshold"].round(2))
    # 0.75 was reached by no open model: left out; 0.05-0.30 are crossed by A, the first
    # closed model evaluated (censored), and 0.05-0.20 by X as well
    assert by_thr.index.max() == pytest.approx(0.70)
    assert not by_thr.loc[[0.05, 0.1, 0.2, 0.25, 0.3], "used"].any()
    used = lags[lags["used"]]
    assert list(used["threshold"].round(2)) == [0.35, 0.50, 0.55]
    # B (2023-07-01) -> Y (2023-10-01): 92 days; B -> Z (2024-04-01): 275; C -> Z: 91
    assert list(used["lag_months"]) == pytest.approx(
        [92 / DAYS_PER_MONTH, 275 / DAYS_PER_MONTH, 91 / DAYS_PER_MONTH]
    )
    assert list(used["open_model"]) == ["Y", "Z", "Z"]
    # 0.40 and 0.45 repeat the (B, Y) pair, counted once
    assert by_thr.loc[0.4, "note"] == "same model pair as a lower threshold"
    assert by_thr.loc[0.35, "open_date"] == date(2023, 10, 1)  # dated at the open crossing
    (b,) = benches(scores_of(hand_case()))
    assert window_lag(b, -np.inf, np.inf) == pytest.approx((92 + 275 + 91) / 3 / DAYS_PER_MONTH)
    # a window holding only the 2024-04-01 crossings
    s, e = window_days((date(2024, 1, 1), None))
    assert window_lag(b, s, e) == pytest.approx((275 + 91) / 2 / DAYS_PER_MONTH)


def test_frontier_and_gap_steps():
    (b,) = benches(scores_of(hand_case()))
    fr = frontier_table([b])
    assert list(fr[fr["access"] == "open"]["model_id"]) == ["X", "Y", "Z"]
    gaps = gap_table([b])
    # gap starts when both sides exist (2023-03-01: A 0.30 vs X 0.20)
    first = gaps.iloc[0]
    assert first["date"] == date(2023, 3, 1) and first["gap"] == pytest.approx(0.10)
    last = gaps.iloc[-1]
    assert last["date"] == date(2024, 4, 1) and last["gap"] == pytest.approx(-0.02)
    assert last["gap_logit"] == pytest.approx(np.log(0.7 / 0.3) - np.log(0.72 / 0.28))


@pytest.mark.parametrize("lag", [0.0, 2.5, 7.0, -3.0])
def test_planted_lag_is_recovered(lag):
    (b,) = benches(scores_of(synth.frame(synth.lagged_benchmark("p", "standard", lag))))
    lags = lag_table([b])
    used = lags[lags["used"]]
    assert len(used) >= 10
    # day rounding of release dates only
    assert used["lag_months"].to_numpy() == pytest.approx(lag, abs=0.05)
    cu = catchup_table([b])
    assert cu.loc[0, "catchup_months"] == pytest.approx(lag, abs=0.6)  # monthly release grid


def minutes_rows(scale: float = 1.0, unit: str | None = "minutes") -> list[dict[str, object]]:
    """A METR-like horizon benchmark: closed models double every 2 months, open ones 4 later."""
    rows = []
    for k in range(12):
        minutes = scale * 2.0 ** (k / 2)
        rows.append(synth.row(f"c{k}", "closed", synth.month(k), "metr", "agentic", minutes))
        rows.append(synth.row(f"o{k}", "open", synth.month(k + 4), "metr", "agentic", minutes))
    for r in rows:
        r["extra"] = None if unit is None else json.dumps({"unit": unit})
    return rows


def test_horizon_scale_uses_log_spaced_thresholds():
    (b,) = benches(model_scores(synth.frame(minutes_rows())))
    assert b.scale == "horizon"
    thr = thresholds_for(b)
    assert np.diff(np.log2(thr)) == pytest.approx(0.5)
    used = lag_table([b]).query("used")
    assert used["lag_months"].to_numpy() == pytest.approx(4.0, abs=0.05)
    gaps = gap_table([b])
    # once the open side has a model, it trails by 4 releases = 2 doublings (log2 ratio)
    assert gaps["gap_logit"].iloc[0] == pytest.approx(2.0)


def test_the_unit_recorded_at_import_decides_never_the_values():
    # the review's case: METR minutes divided by 1000 are all below 1; recorded as minutes,
    # they stay a horizon (log-spaced thresholds, no point gap), not a 0-1 score
    scores = model_scores(synth.frame(minutes_rows(scale=1 / 1000)))
    assert set(scores["unit"]) == {"minutes"}
    (b,) = benches(scores)
    assert b.scale == "horizon" and "metr" in no_point_gaps([b])
    # minutes with no unit recorded are not turned into a horizon because they exceed 1:
    # a 0-1 benchmark with values above 1 is a unit mix-up, each such score insufficient
    bad = model_scores(synth.frame(minutes_rows(unit=None)))
    assert set(bad["unit"]) == {"fraction"}
    over = bad[bad["status"] == "insufficient"]
    assert len(over) > 0 and over["reason"].str.contains("outside 0-1").all()
    assert bad.loc[bad["status"] == "ok", "score"].max() <= 1
    # a benchmark whose rows record two units gives no score at all
    mixed = minutes_rows()
    mixed[0]["extra"] = json.dumps({"unit": "fraction"})
    both = model_scores(synth.frame(mixed))
    assert (both["status"] == "insufficient").all()
    assert both["reason"].str.startswith("mixed units recorded at import").all()


def test_kind_trend_by_quarter():
    from harness.analysis.measures.trend import kind_trend

    df = synth.frame(
        synth.lagged_benchmark("a", "agentic", 6.0) + synth.lagged_benchmark("s", "standard", 2.0)
    )
    bl = benches(scores_of(df))
    t = kind_trend(bl, lag_table(bl))
    assert {d.month for d in t["period_end"]} <= {3, 6, 9, 12}
    used = t[t["n_lag_points"] > 0].groupby("kind")["lag_months"].mean()
    assert used["agentic"] == pytest.approx(6.0, abs=0.05)
    assert used["standard"] == pytest.approx(2.0, abs=0.05)
    # mid-curve the point gap is slope x lag: 0.8 / 60 per month
    mid = t[(t["period_end"] > synth.month(12)) & (t["period_end"] < synth.month(48))]
    gaps = mid.groupby("kind")["score_gap"].mean()
    # in points, the unit of every score-gap measure
    assert gaps["agentic"] == pytest.approx(100 * 0.8 / 60 * 6, abs=1)
    assert gaps["standard"] == pytest.approx(100 * 0.8 / 60 * 2, abs=1)


def test_same_day_first_models_are_censored_together():
    r = synth.row
    df = synth.frame(
        [
            r("A1", "closed", date(2023, 1, 1), "b", "standard", 0.20),
            r("A2", "closed", date(2023, 1, 1), "b", "standard", 0.40),  # same day as A1
            r("B", "closed", date(2023, 6, 1), "b", "standard", 0.60),
            r("X", "open", date(2023, 2, 1), "b", "standard", 0.10),
            r("Y", "open", date(2023, 9, 1), "b", "standard", 0.65),
        ]
    )
    lags = lag_table(benches(scores_of(df)))
    used = lags[lags["used"]]
    # 0.25-0.40 reached by A2 on the first day: censored like A1's thresholds
    assert list(used["threshold"].round(2)) == [0.45]
    assert used["closed_model"].iloc[0] == "B"
    cu = catchup_table(benches(scores_of(df)))
    assert cu.loc[0, "level_low"] == pytest.approx(-np.log(0.6))


def _same_day_case(small: str, big: str) -> pd.DataFrame:
    """Two closed models released the same day (not the first): one reaches 0.30, the
    other 0.50; one open model reaches 0.55 later, and two more closed ones pass it."""
    r = synth.row
    return synth.frame(
        [
            r("A", "closed", date(2023, 1, 1), "b", "standard", 0.10),
            r(small, "closed", date(2023, 6, 1), "b", "standard", 0.32),
            r(big, "closed", date(2023, 6, 1), "b", "standard", 0.52),
            r("C1", "closed", date(2023, 8, 1), "b", "standard", 0.62),
            r("C2", "closed", date(2023, 8, 1), "b", "standard", 0.72),
            r("X", "open", date(2023, 2, 1), "b", "standard", 0.05),
            r("Y", "open", date(2023, 9, 1), "b", "standard", 0.55),
        ]
    )


@pytest.mark.parametrize("small,big", [("a-mini", "b-pro"), ("b-mini", "a-pro")])
def test_models_released_the_same_day_are_one_frontier_step(small, big):
    """The frontier steps once on a day however many models it released: two models of one
    day are one datapoint (same dates, same lag), whichever of them sorts first by name.
    (The review found gsm8k, mmlu, arc_agi, frontiermath, ... counting a day's models as
    separate pairs: duplicated lags and bounds, and a D that moved with model names.)"""
    lags = lag_table(benches(scores_of(_same_day_case(small, big))), "bounds")
    used = lags[lags["used"]]
    exact = used[used["bound"] == ""]
    # 0.15-0.50 reached on 2023-06-01 and by Y on 2023-09-01: one exact lag of 92 days;
    # 0.55 reached by C1 (2023-08-01) and Y: 31 days
    assert list(exact["lag_months"]) == pytest.approx([92 / DAYS_PER_MONTH, 31 / DAYS_PER_MONTH])
    assert exact["closed_model"].iloc[0] == big  # the day's best model is its frontier step
    # 0.60-0.70 reached on 2023-08-01 and by no open model: one lower bound, not two
    pending = used[(used["bound"] == "lower bound") & used["open_date"].isna()]
    assert list(pending["lag_low"]) == pytest.approx([31 / DAYS_PER_MONTH])
