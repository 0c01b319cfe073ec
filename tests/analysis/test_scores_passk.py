"""Per-model scores (errors excluded and counted, CI coverage) and hand-checked pass^k."""

import numpy as np
import pytest

from harness.analysis import model_scores, pass_hat_k, passk
from harness.analysis._common import AGGREGATE_ID
from tests.analysis import synth

Z95 = 1.959963984540054  # the 97.5% normal quantile


def test_errors_are_excluded_and_counted_limits_count_as_failed_tasks():
    rows = [
        synth.row("m", "open", synth.month(0), "s", "standard", float(i % 2), sample_id=f"t{i}")
        for i in range(10)
    ]
    rows += [
        synth.row(
            "m", "open", synth.month(0), "s", "standard", None, sample_id="t10", status="error"
        ),
        synth.row(
            "m", "open", synth.month(0), "s", "standard", 0.0, sample_id="t11", status="limit"
        ),
    ]
    s = model_scores(synth.frame(rows), null_baselines={"s": 0.2}).iloc[0]
    assert (s["n_rows"], s["n_scored"], s["n_error"], s["n_limit"]) == (12, 10, 1, 1)
    # 5 of 11: the error is not a wrong answer, but running out of budget is a failed task.
    assert s["score"] == pytest.approx(5 / 11)
    assert s["error_rate"] == pytest.approx(1 / 12)
    assert s["null_baseline"] == 0.2
    assert s["ci_low"] < 5 / 11 < s["ci_high"]


def test_too_few_samples_gives_no_number():
    rows = [
        synth.row("m", "open", synth.month(0), "s", "standard", 1.0, sample_id=f"t{i}")
        for i in range(3)
    ]
    s = model_scores(synth.frame(rows)).iloc[0]
    assert (
        s["status"] == "insufficient" and np.isnan(s["score"]) and "3 scored samples" in s["reason"]
    )


@pytest.mark.parametrize(
    ("extra", "half_width"),
    [
        ('{"stderr": "0.02", "stderr_unit": "fraction"}', Z95 * 0.02),
        # apex_agents: a fraction score whose SE is published in percentage points
        ('{"stderr": "3.6", "stderr_unit": "percent"}', Z95 * 0.036),
        # an SE without its unit (an import from before units were kept): no CI, not a guess
        ('{"stderr": "3.6"}', None),
    ],
)
def test_imported_aggregate_keeps_published_value_and_se_in_its_unit(extra, half_width):
    r = synth.row("m", "closed", synth.month(0), "gpqa", "standard", 0.62)
    r["extra"] = extra
    s = model_scores(synth.frame([r])).iloc[0]
    assert s["status"] == "ok" and s["score"] == 0.62 and s["n_samples"] == 1
    assert r["sample_id"] == AGGREGATE_ID
    if half_width is None:
        assert np.isnan(s["ci_low"]) and np.isnan(s["ci_high"])
    else:
        assert (s["ci_low"], s["ci_high"]) == pytest.approx((0.62 - half_width, 0.62 + half_width))
        assert 0 <= s["ci_low"] < s["ci_high"] <= 1


def test_versions_are_separate_benchmarks():
    rows = [
        synth.row("m", "open", synth.month(0), "s", "standard", 1.0, sample_id=f"t{i}", version=v)
        for v in ("1", "2")
        for i in range(5)
    ]
    assert sorted(model_scores(synth.frame(rows))["benchmark"]) == ["s@1", "s@2"]


def score_coverage(n_seeds: int) -> float:
    hits = 0
    for seed in range(n_seeds):
        g = np.random.default_rng(seed)
        p_task = g.beta(3, 2, size=80)  # task difficulty varies: epochs of a task correlate
        rows = [
            synth.row(
                "m",
                "open",
                synth.month(0),
                "s",
                "standard",
                float(g.random() < p),
                sample_id=f"t{i}",
                epoch=e,
            )
            for i, p in enumerate(p_task)
            for e in (1, 2, 3)
        ]
        s = model_scores(synth.frame(rows)).iloc[0]
        hits += s["ci_low"] <= 0.6 <= s["ci_high"]  # E[p] = 3/5
    return hits / n_seeds


def test_score_ci_coverage_near_nominal():
    assert 0.85 <= score_coverage(60) <= 1.0


@pytest.mark.slow
def test_score_ci_coverage_many_seeds():
    assert 0.91 <= score_coverage(400) <= 0.98


def test_pass_hat_k_hand_checked():
    n, c = np.array([4, 4, 2]), np.array([4, 2, 1])
    # k=2: C(4,2)/C(4,2) = 1, C(2,2)/C(4,2) = 1/6, C(1,2)/C(2,2) = 0
    assert pass_hat_k(n, c, 2) == pytest.approx((1 + 1 / 6 + 0) / 3)
    # k=3: the 2-epoch task drops out; C(4,3)/C(4,3) = 1, C(2,3) = 0
    assert pass_hat_k(n, c, 3) == pytest.approx(0.5)
    assert pass_hat_k(n, c, 1) == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert np.isnan(pass_hat_k(n, c, 5))


def test_passk_table():
    outcomes = {"a": [1, 1, 1, 1], "b": [1, 0, 1, 0], "c": [1, 0]}
    rows = [
        synth.row(
            "m",
            "open",
            synth.month(0),
            "tau",
            "agentic",
            float(y),
            sample_id=t,
            epoch=e + 1,
            success=bool(y),
        )
        for t, ys in outcomes.items()
        for e, y in enumerate(ys)
    ]
    rows.append(
        synth.row(
            "m",
            "open",
            synth.month(0),
            "tau",
            "agentic",
            None,
            sample_id="c",
            epoch=3,
            status="error",
        )
    )  # an error is not a failed try
    t = passk(synth.frame(rows)).set_index("k")
    assert list(t.index) == [1, 2, 3, 4]
    assert t.loc[2, "pass_hat_k"] == pytest.approx(7 / 18)
    assert t.loc[1, "pass_at_1"] == pytest.approx(2 / 3)
    assert t.loc[3, "n_tasks"] == 2


def test_imported_aggregates_give_no_pass_k():
    # several published rows of one model are variants, not epochs
    rows = [synth.row("m", "closed", synth.month(0), "tb", "agentic", s) for s in (0.2, 0.4, 0.3)]
    assert passk(synth.frame(rows)).empty
    assert model_scores(synth.frame(rows)).iloc[0]["score"] == 0.4  # the best row
