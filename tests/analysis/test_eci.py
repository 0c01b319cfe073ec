"""The ECI lag with censoring (issue 22.5): levels the closed frontier reached and no open
model has yet are lower bounds, estimated like the threshold lag's `bounds` rule. Counting
only reached levels (Epoch's published method) is biased low when the data end before the
slow levels are reached; the bounds estimate is not."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from harness.analysis._common import DAYS_PER_MONTH
from harness.analysis.inference.crosscheck import eci_lag, eci_lag_bounds
from harness.analysis.measures.eci import eci_points

T0 = date(2024, 1, 1)
END = 40  # months: the data end


def day(m: float) -> date:
    return T0 + timedelta(days=round(m * DAYS_PER_MONTH))


def widening() -> pd.DataFrame:
    """A closed model each month m reaching ECI level m; the open frontier reaches level m
    at m + lag(m), lag(m) = 2 + 0.15 m months (the gap widens), if before the data end."""
    rows = [(f"closed-{m}", "closed", day(m), float(m)) for m in range(1, END + 1)]
    for m in range(1, END + 1):
        t_open = m + 2 + 0.15 * m
        if t_open <= END:
            rows.append((f"open-{m}", "open", day(t_open), float(m)))
    rows.append(("open-last", "open", day(END), 0.5))  # the data end: open still evaluated
    return pd.DataFrame(rows, columns=["model_id", "access", "release_date", "eci"])


def test_unreached_levels_are_bounds_and_move_the_estimate_toward_the_truth():
    eci = widening()
    truth = float(np.mean([2 + 0.15 * m for m in range(1, END + 1)]))  # every closed level
    v, n = eci_lag(eci, -np.inf, np.inf)
    vb, nb, n_bounds = eci_lag_bounds(eci, -np.inf, np.inf)
    # levels 34-40 are unreached at the end: lower bounds, counted and shown
    assert (n, n_bounds, nb) == (33, 7, 40)
    assert int(np.sum(~eci_points(eci).exact)) == 7
    # counting only reached levels misses the slowest ones: too low; the bounds pull it up
    assert v == pytest.approx(2 + 0.15 * 17, abs=0.05) and v < truth - 0.4
    assert v < vb <= truth + 0.2


def test_provider_copies_do_not_add_frontier_points():
    eci = pd.DataFrame(
        [
            ("c1", "closed", day(1), 10.0),
            ("c2", "closed", day(5), 20.0),
            ("Qwen/Q-1", "open", day(4), 10.0),
            ("chutes/Q-1", "open", day(6), 10.0),  # a later copy of the same open model
            ("o2", "open", day(9), 20.0),
        ],
        columns=["model_id", "access", "release_date", "eci"],
    )
    pts = eci_points(eci)
    assert pts.exact.all() and len(pts.lo) == 2
    assert sorted(np.round(pts.lo, 1)) == [3.0, 4.0]


@pytest.mark.parametrize("weak,strong", [("c-a", "c-b"), ("c-b", "c-a")])
def test_closed_models_of_one_day_are_one_rise(weak, strong):
    """Two closed models released the same day above every open level raise the closed
    frontier once: one lower bound, whichever sorts first (two were counted when the
    weaker came first)."""
    eci = pd.DataFrame(
        [
            ("c0", "closed", day(1), 10.0),
            ("o1", "open", day(2), 5.0),
            ("o2", "open", day(6), 10.0),
            (weak, "closed", day(3), 20.0),
            (strong, "closed", day(3), 25.0),
        ],
        columns=["model_id", "access", "release_date", "eci"],
    )
    pts = eci_points(eci)
    lower = pts.lo[np.isinf(pts.hi)]
    assert list(lower) == pytest.approx([(day(6) - day(3)).days / DAYS_PER_MONTH])
