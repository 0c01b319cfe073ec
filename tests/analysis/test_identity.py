"""Model identity (issue 22.8): provider copies of one open model are one model,
reasoning-budget variants are grouped under their base with the variant shown, and the
substitute finder says "its only benchmark" and "already available at release"."""

from __future__ import annotations

from datetime import date

import pytest

from harness.analysis.measures.identity import grouped, groups
from harness.analysis.measures.substitute import substitutes, substitutes_by_kind
from harness.analysis.prepare import prepare
from harness.analysis.spec import AnalysisSpec
from tests.analysis import synth


def test_provider_copies_and_budget_variants_are_one_model():
    g = groups(
        [
            "chutes/Qwen3-235B-A22B-Thinking-2507",
            "Qwen/Qwen3-235B-A22B-Thinking-2507",
            "qwen/qwen3-235b-a22b-thinking-2507",
            "deepseek/deepseek-v3.2",
            "fireworks/deepseek-v3p2",
            "parasail-qwen3-235b-a22b-instruct-2507",
            "Qwen3-235B-A22B-Instruct-2507",
            "claude-3-7-sonnet-20250219_1K",
            "claude-3-7-sonnet-20250219_64K",
            "o3-2025-04-16_high",
            "MiniCPM-V-2_6",  # "_6" is part of the name, not a budget
        ]
    )
    assert len({g[m] for m in g if "235B-A22B-Thinking" in m or "thinking-2507" in m}) == 1
    assert g["fireworks/deepseek-v3p2"] == g["deepseek/deepseek-v3.2"] == "deepseek-v3.2"
    assert g["parasail-qwen3-235b-a22b-instruct-2507"] == "Qwen3-235B-A22B-Instruct-2507"
    assert g["claude-3-7-sonnet-20250219_1K"] == g["claude-3-7-sonnet-20250219_64K"]
    assert g["claude-3-7-sonnet-20250219_64K"] == "claude-3-7-sonnet-20250219"
    assert g["o3-2025-04-16_high"] == "o3-2025-04-16"
    assert g["MiniCPM-V-2_6"] == "MiniCPM-V-2_6"


def imported(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{**r, "source": "imported:epoch"} for r in rows]


def test_grouping_keeps_the_variant_the_earliest_date_and_the_best_score():
    r = synth.row
    rows = imported(
        [
            r("Qwen/Qwen3-X", "open", date(2025, 7, 25), "b", "standard", 0.40),
            r("parasail-qwen3-x", "open", date(2025, 9, 1), "b", "standard", 0.55),
            r("claude-z_1K", "closed", date(2025, 2, 24), "b", "standard", 0.50),
            r("claude-z_64K", "closed", date(2025, 2, 24), "b", "standard", 0.70),
        ]
    )
    rows = [*rows, r("qwen/qwen3-x", "open", date(2025, 10, 1), "b", "standard", 0.9, source="own")]
    g = grouped(synth.frame(rows))
    imp = g[g["source"] == "imported:epoch"]
    assert set(imp["model_id"]) == {"Qwen3-X", "claude-z"}
    # a provider's copy is released later than the model: the group has the earliest date
    assert set(imp.loc[imp["model_id"] == "Qwen3-X", "release_date"]) == {date(2025, 7, 25)}
    own = g[g["source"] == "own"].iloc[0]  # an own run's id is a registry card: untouched
    assert own["model_id"] == own["variant"] == "qwen/qwen3-x"
    prep = prepare(synth.frame(rows[:4]), AnalysisSpec(since=None))
    s = prep.scores.set_index("model_id")
    assert s.loc["claude-z", "score"] == 0.70 and s.loc["claude-z", "variant"] == "claude-z_64K"
    assert s.loc["Qwen3-X", "score"] == 0.55 and s.loc["Qwen3-X", "n_rows"] == 2
    (b,) = prep.benches
    assert b.closed.models == ("claude-z",) and b.open.models == ("Qwen3-X",)


def test_substitutes_by_variant_name_only_benchmark_and_at_release():
    r = synth.row
    rows = imported(
        [
            r("X_1K", "closed", synth.month(10), "s", "standard", 0.50),
            r("X_32K", "closed", synth.month(10), "s", "standard", 0.60),
            r("O1", "open", synth.month(4), "s", "standard", 0.62),  # before X: at release
            r("X_1K", "closed", synth.month(10), "a", "agentic", 0.50),
            r("O2", "open", synth.month(16), "a", "agentic", 0.55),
        ]
    )
    bl = prepare(synth.frame(rows), AnalysisSpec(since=None)).benches
    summary, _ = substitutes(bl, "X_1K")  # a variant's id finds its base model
    s = summary.set_index("benchmark")
    assert set(summary["closed_model"]) == {"X"}
    assert s.loc["s", "variant"] == "X_32K"  # the best variant's score is the one used
    assert s.loc["s", "status"] == "already available at release"
    assert s.loc["s", "months_after_release"] == pytest.approx(-6.0, abs=0.05)
    assert s.loc["a", "status"] == "matched"
    kind = substitutes_by_kind(bl).set_index("kind")
    assert kind.loc["standard", "status"].startswith("already available at release")
    assert "its only benchmark" in kind.loc["standard", "status"]
    assert kind.loc["agentic", "status"] == "matched on its only benchmark"
    # the variants whose scores are used, each kind's benchmarks
    assert kind.loc["standard", "variants"] == "32K" and kind.loc["agentic", "variants"] == "1K"
