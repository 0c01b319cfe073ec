"""Drift statistics on canary history (pure pandas): alerts fire for real changes, stay
quiet for sampling noise, and fire for a changed snapshot name."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.analysis.measures.drift import alerts_for, drift_table, score_test
from harness.analysis.tables import DRIFT_COLUMNS

ITEMS = [f"c{i}" for i in range(8)]


def night_rows(
    night: int,
    scores: list[float],
    *,
    model: str = "gpt-x",
    snapshot: str | None = "gpt-x-2026-01-15",
    suite: str = "ladder_standard",
    status: list[str] | None = None,
    canary: bool = True,
) -> list[dict[str, object]]:
    when = pd.Timestamp("2026-12-01T02:00:00Z") + pd.Timedelta(days=night)
    out = []
    for i, s in enumerate(scores):
        st = status[i] if status else "scored"
        out.append(
            {
                "run_id": f"{model}-{suite}-n{night}",
                "sample_id": ITEMS[i],
                "model_id": model,
                "access": "closed",
                "deployment_id": f"{model}@api",
                "suite": suite,
                "suite_version": "1",
                "status": st,
                "score": None if st == "error" else s,
                "started_at": when + pd.Timedelta(seconds=i),
                "finished_at": when + pd.Timedelta(seconds=i + 1),
                "model_snapshot": snapshot,
                "source": "own",
                "canary": canary,
            }
        )
    return out


def frame(*nights: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([r for n in nights for r in n])


def test_no_canary_rows_gives_the_empty_table_with_its_columns() -> None:
    df = frame(night_rows(0, [1.0] * 8, canary=False))
    out = drift_table(df)
    assert out.empty and list(out.columns) == DRIFT_COLUMNS
    assert drift_table(df.drop(columns=["canary"])).empty
    assert list(drift_table(pd.DataFrame()).columns) == DRIFT_COLUMNS


def test_stable_history_does_not_alert_and_a_planted_drop_does() -> None:
    good = [1, 1, 1, 1, 1, 1, 0, 0]
    nights = [night_rows(i, list(map(float, good))) for i in range(5)]
    dropped = night_rows(5, [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    out = drift_table(frame(*nights, dropped))
    assert len(out) == 6
    assert not out["alert"].iloc[:5].any()
    assert out["baseline"].isna().iloc[0]  # the first night has no history
    last = out.iloc[-1]
    assert bool(last["alert"]) and last["kind"] == "score"
    assert last["score"] == pytest.approx(0.25) and last["baseline"] == pytest.approx(0.75)
    assert abs(last["score"] - last["baseline"]) > last["threshold"] > 0
    assert "0.250 vs 0.750" in last["reason"]
    assert list(alerts_for(out, {"gpt-x-ladder_standard-n5"})["run_id"]) == [last["run_id"]]
    assert alerts_for(out, {"gpt-x-ladder_standard-n4"}).empty


def test_one_item_flipping_is_within_noise() -> None:
    good = [1.0] * 6 + [0.0] * 2
    flipped = [1.0] * 5 + [0.0] * 3
    out = drift_table(frame(*[night_rows(i, good) for i in range(4)], night_rows(4, flipped)))
    assert not out["alert"].any()


def test_a_change_fires_once_then_becomes_the_new_baseline() -> None:
    high = [1.0] * 8
    low = [1.0, 1.0] + [0.0] * 6
    nights = [night_rows(i, high) for i in range(3)] + [night_rows(3 + i, low) for i in range(3)]
    out = drift_table(frame(*nights))
    assert out["alert"].tolist() == [False, False, False, True, False, False]
    assert out["baseline"].iloc[-1] == pytest.approx(0.25)


def test_changed_snapshot_name_alerts_even_with_the_same_scores() -> None:
    scores = [1.0] * 8
    out = drift_table(
        frame(
            night_rows(0, scores),
            night_rows(1, scores),
            night_rows(2, scores, snapshot="gpt-x-2026-03-01"),
        )
    )
    assert out["alert"].tolist() == [False, False, True]
    last = out.iloc[-1]
    assert last["kind"] == "snapshot"
    assert last["reason"] == "snapshot changed: gpt-x-2026-01-15 -> gpt-x-2026-03-01"


def test_a_snapshot_change_across_a_night_of_failed_calls_is_still_seen() -> None:
    scores = [1.0] * 8
    outage = night_rows(1, scores, status=["error"] * 8, snapshot=None)
    out = drift_table(
        frame(night_rows(0, scores), outage, night_rows(2, scores, snapshot="gpt-x-2026-03-01"))
    )
    assert out["alert"].tolist() == [False, False, True]
    assert out["n"].tolist() == [8, 0, 8]
    assert out["reason"].iloc[-1] == "snapshot changed: gpt-x-2026-01-15 -> gpt-x-2026-03-01"


def test_errored_canaries_drop_out_of_both_sides() -> None:
    # Tonight two items errored (an outage, not a change): the rest agree with history.
    base = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]
    status = ["scored"] * 6 + ["error", "error"]
    out = drift_table(
        frame(night_rows(0, base), night_rows(1, base), night_rows(2, base, status=status))
    )
    assert not out["alert"].any()
    assert out["n"].tolist() == [8, 8, 6]
    # With errors ignored the night's score is 4/6, the matched history on those items also 4/6.
    assert out["score"].iloc[-1] == pytest.approx(4 / 6)
    assert out["baseline"].iloc[-1] == pytest.approx(4 / 6)


def test_series_are_kept_apart_per_model_and_suite() -> None:
    a = [night_rows(i, [1.0] * 8, model="a") for i in range(3)]
    b = [night_rows(i, [0.0] * 8, model="b") for i in range(3)]
    out = drift_table(frame(*a, *b))
    assert not out["alert"].any()
    assert sorted(set(out["model_id"])) == ["a", "b"]


def _simulate(rng: np.random.Generator, p_hist: float, p_now: float, n: int, k: int) -> bool:
    history = [pd.Series(rng.binomial(1, p_hist, n).astype(float)) for _ in range(k)]
    tonight = pd.Series(rng.binomial(1, p_now, n).astype(float))
    test = score_test(tonight, history)
    assert test is not None
    return test.alert


@pytest.mark.parametrize("k", [1, 5])
def test_false_alarm_rate_is_near_five_percent_and_a_real_shift_is_caught(k: int) -> None:
    """Under no change (nights drawn from one Bernoulli model) the 2-SE rule alerts about 5%
    of nights; a drop from 0.8 to 0.3 on 20 canaries is caught most nights. A rule that ignored
    the history's own error (16% alarms at k=1) or used the SD instead of the SE (no power)
    fails."""
    rng = np.random.default_rng(20261130)
    trials = 1500
    null_rate = np.mean([_simulate(rng, 0.6, 0.6, 20, k) for _ in range(trials)])
    power = np.mean([_simulate(rng, 0.8, 0.3, 20, k) for _ in range(trials)])
    assert 0.01 < null_rate < 0.09, null_rate
    assert power > 0.8, power
