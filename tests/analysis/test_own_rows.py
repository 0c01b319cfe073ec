"""Own runs join the published frontier (issue 20.2): an own run of a hub suite adds a point to
its benchmark's frontier, D moves by exactly the amount computed by hand, the point is marked
as own in the tables, and the switch and the protocol rule decide what is pooled."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest

from harness.analysis.answer import Context, answer, run_tests
from harness.analysis.build import build_report_tables
from harness.analysis.measures.frontier import frontier_table
from harness.analysis.prepare import prepare
from harness.analysis.spec import AnalysisSpec, spec_from_options
from harness.errors import UserError
from tests.analysis.hub_synth import (
    AGENTIC_LAG_DAYS,
    HAND,
    LINKS,
    STANDARD_LAG_DAYS,
    frame,
    months,
    own_run,
    timeline,
)

# the published D: every benchmark one lag, agentic 273 days, standard 181 days
D_PUBLISHED = months(AGENTIC_LAG_DAYS) - months(STANDARD_LAG_DAYS)
# my-open (open, released 2025-04-01, 11 of 20 = 0.55 on hub_gpqa_diamond) crosses every
# threshold up to 0.50 first on the open side: GPQA's one lag becomes 90 days (2025-01-01 to
# 2025-04-01) instead of 181, the standard mean (3 x 181 + 90) / 4 days
MY_OPEN = own_run("my-open", "open", date(2025, 4, 1), "hub_gpqa_diamond", "standard", 11, 20)
D_WITH_MY_OPEN = months(AGENTIC_LAG_DAYS) - (3 * months(STANDARD_LAG_DAYS) + months(90)) / 4
# the same model on hub_math (math_level_5 with another item set), released 2025-03-01: its
# lag would be 59 days
ON_MATH = own_run("my-open", "open", date(2025, 3, 1), "hub_math", "standard", 11, 20)


def lag_d(df: pd.DataFrame, spec: AnalysisSpec = HAND) -> float:
    prep = prepare(df, spec, hub=LINKS)
    row = run_tests(prep, spec).set_index("measure").loc["lag_months"]
    assert row["status"] == "ok", row["reason"]
    return float(row["d"])


def test_an_own_point_moves_d_by_exactly_the_amount_computed_by_hand():
    assert lag_d(frame(timeline())) == pytest.approx(D_PUBLISHED, abs=1e-12)
    moved = lag_d(frame(timeline(), MY_OPEN))
    assert moved == pytest.approx(D_WITH_MY_OPEN, abs=1e-12)
    assert moved - D_PUBLISHED == pytest.approx(months(181 - 90) / 4, abs=1e-12)  # +0.75 months
    # the switch: published rows alone
    none = spec_from_options(own_rows="none", base=HAND)
    assert lag_d(frame(timeline(), MY_OPEN), none) == pytest.approx(D_PUBLISHED, abs=1e-12)


def test_the_own_point_is_on_the_published_frontier_marked_as_own():
    prep = prepare(frame(timeline(), MY_OPEN), HAND, hub=LINKS)
    # one benchmark named as the hub names it, not a separate "hub_gpqa_diamond"
    names = {b.name for b in prep.benches}
    assert "gpqa_diamond" in names and "hub_gpqa_diamond" not in names
    front = frontier_table(prep.benches)
    gpqa = front[front["benchmark"] == "gpqa_diamond"].set_index("model_id")
    assert gpqa.loc["my-open", "source"] == "own" and gpqa.loc["my-open", "access"] == "open"
    assert gpqa.loc["closed-gpqa_diamond", "source"] == "imported:epoch"
    assert "open-gpqa_diamond" not in gpqa.index  # 0.50 after my-open's 0.55: no longer a step
    row = prep.scores[prep.scores["model_id"] == "my-open"].iloc[0]
    assert (row["suite"], row["benchmark"], row["source"]) == (
        "hub_gpqa_diamond",
        "gpqa_diamond",
        "own",
    )


def test_the_report_says_by_how_much_and_why():
    tables = build_report_tables(frame(timeline(), MY_OPEN), spec=HAND, context=Context(hub=LINKS))
    effect = tables.own_effect.iloc[0]
    assert effect["d_with"] == pytest.approx(D_WITH_MY_OPEN, abs=1e-12)
    assert effect["d_without"] == pytest.approx(D_PUBLISHED, abs=1e-12)
    assert effect["change"] == pytest.approx(D_WITH_MY_OPEN - D_PUBLISHED, abs=1e-12)
    assert (effect["n_own_points"], effect["n_raising"]) == (1, 1)
    assert "my-open is the first open point of gpqa_diamond" in effect["sentence"]
    assert "a change of +0.7 months" in effect["sentence"]
    (point,) = tables.own_points.to_dict("records")
    assert point["suite"] == "hub_gpqa_diamond" and point["raises_frontier"]
    assert tables.answer is not None and tables.answer.primary["d"] == pytest.approx(
        D_WITH_MY_OPEN, abs=1e-12
    )
    own = tables.frontier[tables.frontier["source"] == "own"]
    assert list(own["model_id"]) == ["my-open"]
    # the same numbers in the analysis JSON
    doc = json.loads(answer(frame(timeline(), MY_OPEN), HAND, context=Context(hub=LINKS)).to_json())
    assert doc["spec"]["own_rows"] == "comparable"
    assert doc["own_rows"]["change"] == pytest.approx(D_WITH_MY_OPEN - D_PUBLISHED, abs=1e-12)
    assert doc["own_rows"]["without_own"]["d"] == pytest.approx(D_PUBLISHED, abs=1e-12)


def test_a_point_below_the_frontier_changes_nothing_and_says_so():
    # released after the open model that already holds 0.50, scoring 0.40: no new crossing
    late = own_run("my-late", "open", date(2025, 9, 1), "hub_gpqa_diamond", "standard", 8, 20)
    tables = build_report_tables(frame(timeline(), late), spec=HAND, context=Context(hub=LINKS))
    effect = tables.own_effect.iloc[0]
    assert effect["change"] == pytest.approx(0.0, abs=1e-12)
    assert (effect["n_own_points"], effect["n_raising"]) == (1, 0)
    assert "none raises a frontier" in effect["sentence"]
    (point,) = tables.own_points.to_dict("records")
    assert point["previous_best"] == 0.5 and point["previous_model"] == "open-gpqa_diamond"


def test_another_item_set_is_not_pooled_unless_asked():
    df = frame(timeline(), ON_MATH)
    assert lag_d(df) == pytest.approx(D_PUBLISHED, abs=1e-12)
    tables = build_report_tables(df, spec=HAND, context=Context(hub=LINKS))
    (row,) = tables.own_scores.to_dict("records")
    assert row["pooled"] is False and "items 'different'" in row["reason"]
    assert row["benchmark"] == "hub_math"  # kept under its own name, off every frontier
    assert "hub_math" not in set(tables.frontier["benchmark"])
    flags = tables.flags[tables.flags["scope"] == "own rows"]
    assert list(flags["item"]) == ["hub_math"]
    # --own-rows all pools it: math_level_5's lag becomes 59 days
    every = spec_from_options(own_rows="all", base=HAND)
    expected = months(AGENTIC_LAG_DAYS) - (3 * months(STANDARD_LAG_DAYS) + months(59)) / 4
    assert lag_d(df, every) == pytest.approx(expected, abs=1e-12)


def test_without_links_or_own_rows_nothing_changes():
    df = frame(timeline(), MY_OPEN)
    # no links: the own suite stays a benchmark of its own (one open model: no pair)
    prep = prepare(df, HAND)
    assert "hub_gpqa_diamond" in {b.name for b in prep.benches}
    row = run_tests(prep, HAND).set_index("measure").loc["lag_months"]
    assert row["d"] == pytest.approx(D_PUBLISHED, abs=1e-12)
    # published rows alone: the scores table is the one computed before own rows existed
    alone = prepare(frame(timeline()), HAND, hub=LINKS)
    assert alone.own is not None and alone.own.own_scores.empty
    assert alone.published is alone.benches


def test_the_option_is_recorded_and_checked():
    spec = spec_from_options(own_rows="calibrated")
    assert spec.to_dict()["own_rows"] == "calibrated"
    assert not spec.same_method(spec_from_options())
    with pytest.raises(UserError, match="--own-rows: unknown choice 'some'"):
        spec_from_options(own_rows="some")


def test_every_key_and_column_is_documented():
    import re
    from pathlib import Path

    from harness.analysis.history import HISTORY_COLUMNS
    from harness.analysis.measures.calibration import CALIBRATION_COLUMNS
    from harness.analysis.measures.own_rows import OWN_POINT_COLUMNS, OWN_SCORE_COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "analysis-json.md").read_text()
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", doc, flags=re.M))
    documented |= set(re.findall(r"`([a-z0-9_]+)`", doc.split("## history")[1]))
    effect = answer(frame(timeline(), MY_OPEN), HAND, context=Context(hub=LINKS)).own_rows
    assert effect is not None
    every = set(effect.to_dict()) | set(OWN_POINT_COLUMNS) | set(OWN_SCORE_COLUMNS)
    every |= set(CALIBRATION_COLUMNS) | set(HISTORY_COLUMNS)
    assert sorted(every - documented) == []


def test_the_shipped_cards_published_names_are_in_the_shipped_dump():
    import csv
    import io
    import zipfile

    from harness.config import BUNDLED_EPOCH_DUMP
    from harness.models import SHIPPED_REGISTRY, load_registry

    with zipfile.ZipFile(BUNDLED_EPOCH_DUMP) as zf:
        (index,) = [n for n in zf.namelist() if n.endswith("epoch_capabilities_index.csv")]
        versions = {
            r["Model version"] for r in csv.DictReader(io.StringIO(zf.read(index).decode()))
        }
    named = {n for c in load_registry(SHIPPED_REGISTRY).cards for n in c.published_names}
    assert named and named <= versions


def test_a_point_on_a_benchmark_without_the_other_side_says_it_cannot_move_d():
    """A suite that is no published benchmark (the ladder) is a benchmark of its own: an open
    model's run is its first open point, which "raises a frontier" with no closed model to
    lag behind. The sentence said only that, beside "a change of 0.0 months"; it must say
    why nothing moved."""
    ladder = own_run("my-open", "open", date(2025, 4, 1), "ladder_agentic", "agentic", 5, 20)
    tables = build_report_tables(frame(timeline(), ladder), spec=HAND, context=Context(hub=LINKS))
    effect = tables.own_effect.iloc[0]
    assert effect["change"] == pytest.approx(0.0, abs=1e-12)
    assert "first open point of ladder_agentic" in effect["sentence"]
    assert "no closed model there, so no lag" in effect["sentence"]
