from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from harness.report import _format as fmt


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA, pd.NaT, math.inf])
def test_missing_values_never_print_as_numbers(missing: object) -> None:
    for f in (fmt.num, fmt.signed, fmt.pct, fmt.integer, fmt.pvalue, fmt.months):
        assert f(missing) == "—"
    if missing is not math.inf:
        assert fmt.ci(missing, 0.5) == "—"


def test_unbounded_ci_shows_infinity() -> None:
    assert fmt.ci(19.396, math.inf, 1) == "19.4 – ∞"


def test_numbers() -> None:
    assert fmt.num(0.95121) == "0.951"
    assert fmt.num(0.5, 1) == "0.5"
    assert fmt.signed(0.0097) == "+0.010"
    assert fmt.signed(-0.05) == "−0.050"
    assert fmt.ci(-0.0512, 0.0703) == "−0.051 – 0.070"
    assert fmt.pct(14 / 164) == "8.5%"
    assert fmt.integer(164.0) == "164"
    assert fmt.pvalue(0.0004) == "< 0.001"
    assert fmt.pvalue(0.4123) == "0.412"
    assert fmt.months(-2.25) == "−2.2"


def test_dates_of_every_type() -> None:
    for d in (
        date(2024, 7, 23),
        datetime(2024, 7, 23, 5),
        pd.Timestamp("2024-07-23"),
        "2024-07-23",
    ):
        assert fmt.day(d) == "2024-07-23"
    assert fmt.day(None) == "—"


def test_slug_is_safe_and_collision_free() -> None:
    assert fmt.slug("gpt-4o") == "gpt-4o"
    assert fmt.slug("claude-3.5_sonnet") == "claude-3.5_sonnet"
    slashed, underscored = fmt.slug("a/b"), fmt.slug("a_b")
    assert slashed != underscored and "/" not in slashed
    for nasty in ("../../etc/passwd", "<script>alert(1)</script>", "..", "", "x" * 300, "é/ü"):
        s = fmt.slug(nasty)
        assert s and len(s) <= 100
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in s)
        assert not s.startswith(".")


def test_gap_measures_get_their_own_precision() -> None:
    assert fmt.signed(3.9989, fmt.digits_for("lag_months")) == "+4.0"
    assert fmt.signed(0.43154, fmt.digits_for("score_gap_logit")) == "+0.43"
    assert fmt.signed(0.0896, fmt.digits_for("score_gap")) == "+0.090"
