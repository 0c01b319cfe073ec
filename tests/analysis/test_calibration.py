"""Calibration (issue 20.3): one model scored by gapbench and by the publisher on the same
benchmark, the difference with both intervals (methods named), a flag when they disagree
beyond their intervals, and the option that pools only calibrated benchmarks."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from harness.analysis.answer import Context
from harness.analysis.build import build_report_tables
from harness.analysis.intervals import NO_CI, SE_CLIPPED, SE_NORMAL, WILSON
from harness.analysis.measures.calibration import (
    CALIBRATION_COLUMNS,
    DIFF_MOVER,
    benchmark_verdicts,
    calibration_table,
)
from harness.analysis.measures.hub_links import HubLinks, HubSuite
from harness.analysis.measures.identity import grouped
from harness.analysis.measures.scores import model_scores
from harness.analysis.prepare import prepare
from harness.analysis.spec import spec_from_options
from tests.analysis.hub_synth import (
    AGENTIC_LAG_DAYS,
    CLOSED_DAY,
    HAND,
    LINKS,
    STANDARD_LAG_DAYS,
    frame,
    months,
    own_run,
    published,
    timeline,
)
from tests.analysis.test_own_rows import D_PUBLISHED, D_WITH_MY_OPEN, MY_OPEN, lag_d

Z = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """The Wilson score interval, written out (independent of harness.analysis.intervals)."""
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def table(own_k: int, own_n: int, pub: float, se: float | None) -> pd.DataFrame:
    """One model, gpt-x, scored own_k / own_n by gapbench and `pub` (+- se) by the publisher."""
    df = frame(
        [published("gpt-x-2025_medium", "closed", CLOSED_DAY, "gpqa_diamond", "standard", pub,
                   stderr=se)],
        own_run("gpt-x", "closed", CLOSED_DAY, "hub_gpqa_diamond", "standard", own_k, own_n),
    )  # fmt: skip
    samples = grouped(df)
    return calibration_table(samples, model_scores(samples), LINKS)


def test_the_difference_interval_is_mover_not_overlap_or_point_in_interval():
    # 240/400 = 0.60 (Wilson 0.551-0.647) vs 0.67 +- 1.96 x 0.015 (0.641-0.699): the two
    # intervals OVERLAP, yet the difference is clear: an overlap rule would miss it
    (r,) = table(240, 400, 0.67, 0.015).to_dict("records")
    lo1, hi1 = wilson(240, 400)
    lo2, hi2 = 0.67 - Z * 0.015, 0.67 + Z * 0.015
    assert hi1 > lo2  # overlapping intervals
    assert r["own_ci_low"] == pytest.approx(lo1, abs=1e-9)
    assert r["own_ci_high"] == pytest.approx(hi1, abs=1e-9)
    assert r["published_ci_low"] == pytest.approx(lo2, abs=1e-9)
    d = 0.60 - 0.67
    assert r["difference"] == pytest.approx(d, abs=1e-12)
    assert r["diff_ci_high"] == pytest.approx(d + math.hypot(hi1 - 0.60, 0.67 - lo2), abs=1e-9)
    assert r["diff_ci_low"] == pytest.approx(d - math.hypot(0.60 - lo1, hi2 - 0.67), abs=1e-9)
    assert r["diff_ci_high"] < 0 and r["verdict"] == "disagree"
    assert r["diff_ci_method"] == DIFF_MOVER
    assert (r["own_ci_method"], r["published_ci_method"]) == (WILSON, SE_NORMAL)
    assert (r["matched_by"], r["published_model"]) == (
        "card (published_names)",
        "gpt-x-2025_medium",
    )
    # 72/100 = 0.72 (Wilson 0.625-0.799) vs 0.80 +- 0.059: the own point lies outside the
    # published interval (a "point outside the other's interval" rule would flag it), but
    # the difference's interval holds 0: the two agree
    (r,) = table(72, 100, 0.80, 0.03).to_dict("records")
    assert not (0.80 - Z * 0.03 <= 0.72 <= 0.80 + Z * 0.03)
    assert r["diff_ci_low"] < 0 < r["diff_ci_high"] and r["verdict"] == "agree"


def test_a_published_score_without_standard_error_is_taken_as_exact_and_labelled():
    (r,) = table(50, 100, 0.70, None).to_dict("records")
    lo1, hi1 = wilson(50, 100)
    assert math.isnan(r["published_ci_low"]) and r["published_ci_method"] == NO_CI
    assert r["diff_ci_low"] == pytest.approx(lo1 - 0.70, abs=1e-9)
    assert r["diff_ci_high"] == pytest.approx(hi1 - 0.70, abs=1e-9)
    assert r["verdict"] == "disagree" and "taken as exact" in r["diff_ci_method"]


def test_the_published_interval_is_clipped_to_the_scale_and_says_so():
    (r,) = table(99, 100, 0.99, 0.02).to_dict("records")
    assert r["published_ci_high"] == 1.0 and r["published_ci_method"] == SE_CLIPPED


def test_a_card_names_its_variant_and_name_matching_is_the_fallback():
    df = frame(
        # the publisher's best variant (_high) is not the one gapbench runs (_medium)
        [published("gpt-x-2025_high", "closed", CLOSED_DAY, "gpqa_diamond", "standard", 0.9),
         published("gpt-x-2025_medium", "closed", CLOSED_DAY, "gpqa_diamond", "standard", 0.6),
         published("Open-Model-7B", "open", CLOSED_DAY, "gpqa_diamond", "standard", 0.3)],
        own_run("gpt-x", "closed", CLOSED_DAY, "hub_gpqa_diamond", "standard", 60, 100),
        own_run("open-model-7b", "open", CLOSED_DAY, "hub_gpqa_diamond", "standard", 30, 100),
        own_run("unknown-model", "open", CLOSED_DAY, "hub_gpqa_diamond", "standard", 30, 100),
    )  # fmt: skip
    samples = grouped(df)
    cal = calibration_table(samples, model_scores(samples), LINKS).set_index("model_id")
    assert list(cal.columns) == CALIBRATION_COLUMNS[:4] + CALIBRATION_COLUMNS[5:]
    assert cal.loc["gpt-x", "published_model"] == "gpt-x-2025_medium"
    assert cal.loc["gpt-x", "published_score"] == 0.6 and cal.loc["gpt-x", "verdict"] == "agree"
    assert cal.loc["open-model-7b", "matched_by"] == "name"
    assert "unknown-model" not in cal.index  # nothing published: no calibration row


def with_gpt_x(passed: int) -> pd.DataFrame:
    """The timeline with GPQA's closed model published as gpt-x-2025_medium (0.50 +- 0.03),
    gpt-x run by gapbench too (passed of 100), and my-open's point that moves D."""
    gpt_x = own_run("gpt-x", "closed", CLOSED_DAY, "hub_gpqa_diamond", "standard", passed, 100)
    return frame(timeline(closed_gpqa="gpt-x-2025_medium"), gpt_x, MY_OPEN)


def test_a_disagreement_is_flagged_and_keeps_the_benchmark_unpooled_by_default():
    df = with_gpt_x(30)  # 0.30 against a published 0.50: disagree
    tables = build_report_tables(df, spec=HAND, context=Context(hub=LINKS))
    (r,) = tables.calibration.to_dict("records")
    assert r["verdict"] == "disagree" and r["benchmark"] == "gpqa_diamond"
    flag = tables.flags[tables.flags["scope"] == "calibration"]
    assert list(flag["item"]) == ["gpqa_diamond"] and "excludes 0" in flag.iloc[0]["reason"]
    not_pooled = tables.own_scores[~tables.own_scores["pooled"].astype(bool)]
    assert set(not_pooled["model_id"]) == {"gpt-x", "my-open"}
    assert all("disagree" in why for why in not_pooled["reason"])
    assert lag_d(df) == pytest.approx(D_PUBLISHED, abs=1e-12)
    # pooled anyway when asked: my-open's point moves D as it does alone
    assert lag_d(df, spec_from_options(own_rows="all", base=HAND)) == pytest.approx(
        D_WITH_MY_OPEN, abs=1e-12
    )


def test_calibrated_pools_only_benchmarks_a_model_confirms():
    calibrated = spec_from_options(own_rows="calibrated", base=HAND)
    # gpt-x agrees (0.50 vs 0.50): GPQA is calibrated, my-open's point is pooled
    agree = with_gpt_x(50)
    prep = prepare(agree, calibrated, hub=LINKS)
    assert prep.own is not None and benchmark_verdicts(prep.own.calibration) == {
        "gpqa_diamond": "agree"
    }
    assert lag_d(agree, calibrated) == pytest.approx(D_WITH_MY_OPEN, abs=1e-12)
    # no model scored both ways: "comparable" pools my-open, "calibrated" does not
    alone = frame(timeline(), MY_OPEN)
    assert lag_d(alone) == pytest.approx(D_WITH_MY_OPEN, abs=1e-12)
    assert lag_d(alone, calibrated) == pytest.approx(D_PUBLISHED, abs=1e-12)
    prep = prepare(alone, calibrated, hub=LINKS)
    assert prep.own is not None and "not calibrated" in prep.own.own_scores.iloc[0]["reason"]


def test_a_subset_suite_pools_and_its_kind_follows_the_published_benchmark():
    links = HubLinks(suites={"hub_hle": HubSuite("hub_hle", "hle", "subset")})
    # an own run of hub_hle recorded as agentic by mistake still joins hle as standard
    own = own_run("my-open", "open", date(2025, 4, 1), "hub_hle", "agentic", 11, 20)
    prep = prepare(frame(timeline(), own), HAND, hub=links)
    hle = next(b for b in prep.benches if b.name == "hle")
    assert hle.kind == "standard" and "my-open" in hle.open.models
    expected = months(AGENTIC_LAG_DAYS) - (3 * months(STANDARD_LAG_DAYS) + months(90)) / 4
    row = prep.scores[prep.scores["model_id"] == "my-open"].iloc[0]
    assert row["kind"] == "standard"
    from harness.analysis.answer import run_tests

    d = run_tests(prep, HAND).set_index("measure").loc["lag_months", "d"]
    assert d == pytest.approx(expected, abs=1e-12)


def test_a_model_published_under_another_variant_is_named_not_hidden():
    """The card says which variant gapbench runs (gpt-x-2025_medium); the publisher scored
    only another one (_high) on this benchmark: no difference is computed (another reasoning
    budget is another protocol), but the row says so, instead of the report claiming that
    no model has both scores (the shipped gpt-oss-120b on GPQA Diamond: published only as
    openai/gpt-oss-120b_high). Such a row neither confirms nor flags the benchmark."""
    df = frame(
        [published("gpt-x-2025_high", "closed", CLOSED_DAY, "gpqa_diamond", "standard", 0.9)],
        own_run("gpt-x", "closed", CLOSED_DAY, "hub_gpqa_diamond", "standard", 30, 100),
    )
    samples = grouped(df)
    (r,) = calibration_table(samples, model_scores(samples), LINKS).to_dict("records")
    assert r["verdict"] == "uncalibrated" and r["published_model"] == "gpt-x-2025_high"
    assert "gpt-x-2025_medium" in r["matched_by"] and "not compared" in r["matched_by"]
    assert r["published_score"] == 0.9 and math.isnan(r["difference"])
    assert math.isnan(r["diff_ci_low"]) and math.isnan(r["diff_ci_high"])
    assert benchmark_verdicts(pd.DataFrame([r])) == {}
