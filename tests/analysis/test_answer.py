"""The answer: planted truths with the coverage bias that matters, the verdict rule, the
specification curve, canaries, kind mappings, the substitute finder and the JSON contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analysis import tables as T
from harness.analysis.answer import JSON_KEYS, SubstituteQuery, answer, run_tests
from harness.analysis.inference.curve import days, verdict
from harness.analysis.measures.coverage import coverage_bias, coverage_table
from harness.analysis.measures.substitute import substitutes, substitutes_by_kind
from harness.analysis.prepare import prepare
from harness.analysis.spec import PRIMARY, AnalysisSpec
from harness.errors import UserError
from tests.analysis import synth

ROOT = Path(__file__).resolve().parents[2]
FAST = AnalysisSpec(
    since=PRIMARY.since,
    censoring="bounds",
    replicates=300,
    curve_replicates=60,
    power_simulations=100,
)


def primary_and_bias(df: pd.DataFrame, spec: AnalysisSpec = FAST):
    """D(lag) under the spec and the coverage diagnostics' bias estimate (no curve: fast)."""
    prep = prepare(df, spec)
    row = run_tests(prep, spec).set_index("measure").loc["lag_months"]
    cov = coverage_table(
        prep.benches,
        censoring=spec.censoring,
        start=days(spec.since, -np.inf),
        end=days(spec.until, np.inf),
        borderline=set(),
    )
    return row, coverage_bias(cov, set(cov.loc[cov["counted"] > 0, "benchmark"]))


def test_planted_zero_with_thin_open_coverage_is_recovered_or_flagged():
    # agentic benchmarks launch late and evaluate open models half as often; true D = 0.
    # Sparse evaluation delays the observed open crossings by about a month, so D(lag) comes
    # out near +1: the coverage diagnostics must flag it (and size it) whenever the CI misses 0
    ok, flagged, bias = 0, 0, []
    for seed in range(12):
        df = synth.planted_gap(np.random.default_rng(seed), d_true=0.0, open_eval_share=0.5)
        row, b = primary_and_bias(df)
        ok += bool(row["ci_low"] <= 0 <= row["ci_high"]) or b.flagged
        flagged += b.flagged
        bias.append(b.bias_months)
    assert ok / 12 >= 0.9
    assert flagged == 12
    assert np.mean(bias) == pytest.approx(1.0, abs=0.3)  # Bernoulli(1/2) thinning: +1 month


def test_planted_zero_with_even_coverage_is_recovered_without_a_flag():
    hits, flags = 0, 0
    for seed in range(10):
        df = synth.planted_gap(np.random.default_rng(100 + seed), d_true=0.0, open_eval_share=1)
        row, b = primary_and_bias(df)
        hits += bool(row["ci_low"] <= 0 <= row["ci_high"])
        flags += b.flagged
    assert hits >= 9 and flags == 0


def test_planted_two_months_is_found():
    for seed in range(4):
        df = synth.planted_gap(np.random.default_rng(200 + seed), d_true=2.0, open_eval_share=0.5)
        row, b = primary_and_bias(df)
        assert row["status"] == "ok" and row["ci_low"] > 0, row.to_dict()
        # the estimate is the planted 2 months plus the flagged coverage shift
        assert row["d"] - b.bias_months == pytest.approx(2.0, abs=1.2)


@pytest.mark.parametrize(
    ("lo", "hi", "share_pos", "share_neg", "expected"),
    [
        (0.5, 3.0, 0.85, 0.15, "supported"),
        (0.5, 3.0, 0.75, 0.25, "inconclusive"),  # the curve does not agree enough
        (-0.5, 3.0, 0.95, 0.05, "inconclusive"),  # the primary CI includes 0
        (-3.0, -0.5, 0.1, 0.9, "contradicted"),
        (-3.0, -0.5, 0.3, 0.7, "inconclusive"),
    ],
)
def test_verdict_rule(lo, hi, share_pos, share_neg, expected):
    primary = {"status": "ok", "ci_low": lo, "ci_high": hi}
    summary = {"n_specs": 100, "share_d_positive": share_pos, "share_d_negative": share_neg}
    assert verdict(primary, summary) == expected
    assert verdict({"status": "insufficient"}, summary) == "inconclusive"


@pytest.fixture(scope="module")
def small_answer():
    df = synth.planted_gap(np.random.default_rng(7), d_true=3.0, open_eval_share=1, n_per_kind=5)
    df.loc[df["suite"] == "age0", "extra"] = '{"borderline_kind": "true"}'
    return df, answer(df, FAST)


def test_curve_covers_every_dimension_and_carries_the_primary(small_answer):
    _, a = small_answer
    c = a.sensitivity
    assert list(c.columns) == T.SENSITIVITY_COLUMNS
    assert set(c["measure"]) == {"lag_months", "catchup_months", "score_gap", "score_gap_logit"}
    lag = c[c["measure"] == "lag_months"]
    assert set(lag["censoring"]) == {"both", "none", "closed", "open", "bounds"}
    assert set(c.loc[c["measure"] == "catchup_months", "censoring"]) == {
        "both",
        "none",
        "closed",
        "open",
    }
    assert set(c["window"]) == {"all dates", "since 2024-01-01", "since 2025-01-01"}
    assert set(c["averaging"]) == {"benchmark", "pooled"}
    # full benchmark sets only: leaving one out is the influence table, not a specification
    assert set(c["benchmark_set"]) == {"all", "borderline kinds out"}
    inf = a.influence[a.influence["measure"] == "lag_months"]
    assert set(inf["benchmark"]) == {f"age{i}" for i in range(5)} | {f"sta{i}" for i in range(5)}
    shifts = inf["shift"].abs().to_numpy()
    assert list(shifts) == sorted(shifts, reverse=True)  # the benchmark that moves D most first
    (d_all,) = c.loc[c["is_primary"], "d"]
    assert inf["d_without"].to_numpy() - d_all == pytest.approx(inf["shift"].to_numpy())
    ok = c[c["status"] == "ok"]
    assert list(ok["d"]) == sorted(ok["d"])  # sorted by D
    (prim,) = c[c["is_primary"]].to_dict("records")
    assert prim["d"] == a.primary["d"] and prim["ci_low"] == a.primary["ci_low"]
    # planted +3 months on every agentic benchmark, even coverage: supported, and said so
    assert a.verdict == "supported" and a.sentence.startswith("Supported: ")
    # the verdict sentence alone, for a headline; the sentence goes on with D
    assert a.head == "Supported: standard benchmarks understate the agentic gap."
    assert a.sentence.startswith(a.head + " Under the primary specification")
    # the summary reads the primary measure's curve; each measure has its own, never pooled
    assert a.summary["measure"] == "lag_months"
    assert a.summary["share_d_positive"] >= 0.8
    assert a.summary["n_specs"] == len(ok[ok["measure"] == "lag_months"])
    by = a.summary["by_measure"]
    assert {m: b["n_specs"] for m, b in by.items()} == ok.groupby("measure").size().to_dict()
    assert by["score_gap"]["unit"] == "points" and "share_ci_excludes_zero" not in a.summary


def test_json_has_the_documented_keys_and_columns(small_answer):
    _, a = small_answer
    d = json.loads(a.to_json())
    assert tuple(d) == JSON_KEYS
    assert d["spec"] == FAST.to_dict() and d["is_primary_spec"] is True
    for key, cols in (
        ("understatement", T.ANSWER_UNDERSTATEMENT_COLUMNS),
        ("sensitivity", T.SENSITIVITY_COLUMNS),
        ("coverage", T.COVERAGE_COLUMNS),
        ("lags", T.ANSWER_LAG_COLUMNS),
        ("crosschecks", T.CROSSCHECK_COLUMNS),
        ("influence", T.INFLUENCE_COLUMNS),
        ("next_evaluations", T.NEXT_COLUMNS),
    ):
        assert d[key] and list(d[key][0]) == cols, key
    lag = next(r for r in d["understatement"] if r["measure"] == "lag_months")
    assert lag == d["primary"] and lag["unit"] == "months"
    # every key and every column is documented in docs/analysis-json.md
    doc = (ROOT / "docs" / "analysis-json.md").read_text()
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", doc, flags=re.M))
    every = set(JSON_KEYS) | {
        c
        for cols in (
            T.ANSWER_UNDERSTATEMENT_COLUMNS,
            T.SENSITIVITY_COLUMNS,
            T.COVERAGE_COLUMNS,
            T.ANSWER_LAG_COLUMNS,
            T.CROSSCHECK_COLUMNS,
            T.SUBSTITUTE_COLUMNS,
            T.SUBSTITUTE_TIMELINE_COLUMNS,
            T.INFLUENCE_COLUMNS,
            T.NEXT_COLUMNS,
        )
        for c in cols
    }
    for key in ("sensitivity_summary", "coverage_bias", "data", "ruled_out", "power", "settle"):
        every |= set(d[key])
    every |= set(d["statements"]) | set(d["sensitivity_summary"]["by_measure"]["lag_months"])
    every |= set(d["data"]["sources"][0]) | set(d["settle"]["ranked_added_in_order"])
    assert sorted(every - documented) == []


def test_canary_rows_stay_out_of_every_gap(small_answer):
    df, a = small_answer
    canary = df[df["suite"] == "sta0"].copy()
    canary["score"] = 0.0  # a canary night that collapsed: must not move any gap
    canary["model_id"] = canary["model_id"] + "-canary"
    both = pd.concat([df.assign(canary=False), canary.assign(canary=True)], ignore_index=True)
    b = answer(both, FAST)
    assert b.primary["d"] == a.primary["d"]
    assert b.data is not None and b.data["canary_rows_left_out"] == len(canary)
    assert not any(m.endswith("-canary") for m in b.coverage["benchmark"])


def test_mapping_file_changes_kinds_without_reimport(small_answer, tmp_path):
    df, _ = small_answer
    f = tmp_path / "kinds.yaml"
    f.write_text("age0: standard\nsta0: exclude\n")
    b = answer(df, FAST.model_copy(update={"mapping": str(f)}))
    assert (b.primary["n_agentic"], b.primary["n_standard"]) == (4, 5)
    assert "sta0" not in set(b.coverage["benchmark"])
    assert b.spec.mapping == str(f) and json.loads(b.to_json())["spec"]["mapping"] == str(f)
    f.write_text("benchmarks:\n  - {suite: age0, kind: tool-use}\n")
    with pytest.raises(UserError, match=r"^--mapping: .*age0: unknown kind 'tool-use'"):
        answer(df, FAST.model_copy(update={"mapping": str(f)}))


def test_benchmark_subset_and_unknown_name(small_answer):
    df, _ = small_answer
    sub = FAST.model_copy(update={"benchmarks": ("age0", "age1", "sta0", "sta1")})
    b = answer(df, sub)
    assert sorted(b.coverage["benchmark"]) == ["age0", "age1", "sta0", "sta1"]
    with pytest.raises(UserError, match=r"^--benchmarks: unknown benchmark 'nope'"):
        answer(df, FAST.model_copy(update={"benchmarks": ("age0", "nope")}))


def test_substitute_finder():
    r = synth.row
    df = synth.frame(
        [
            r("X", "closed", synth.month(10), "s", "standard", 0.60),
            r("C2", "closed", synth.month(0), "s", "standard", 0.30),
            r("O1", "open", synth.month(5), "s", "standard", 0.40),
            r("O2", "open", synth.month(16), "s", "standard", 0.62),
            r("X", "closed", synth.month(10), "a", "agentic", 0.50),
            r("O1", "open", synth.month(5), "a", "agentic", 0.20),
            r("O3", "open", synth.month(20), "a", "agentic", 0.45),
        ]
    )
    a = answer(df, FAST, substitute=SubstituteQuery("X"))
    assert a.substitutes is not None and a.substitute_timeline is not None
    s = a.substitutes.set_index("benchmark")
    assert s.loc["s", "status"] == "matched" and s.loc["s", "matched_by"] == "O2"
    assert str(s.loc["s", "matched_on"]) == str(synth.month(16))
    assert s.loc["s", "months_after_release"] == pytest.approx(6.0, abs=0.05)
    # in points: 0.50 against 0.45
    assert s.loc["a", "status"] == "not yet" and s.loc["a", "gap"] == pytest.approx(5.0)
    assert s.loc["all agentic benchmarks (1)", "status"].startswith("not yet (0 of 1")
    tl = a.substitute_timeline[a.substitute_timeline["benchmark"] == "s"]
    assert list(tl["open_model"]) == ["O1", "O2"]
    assert list(tl["gap"]) == pytest.approx([20.0, -2.0])
    with pytest.raises(UserError, match=r"^--substitute: 'O1' is an open model"):
        answer(df, FAST, substitute=SubstituteQuery("O1"))
    with pytest.raises(UserError, match=r"^--substitute: no closed model 'Y'"):
        answer(df, FAST, substitute=SubstituteQuery("Y"))
    only = answer(df, FAST, substitute=SubstituteQuery("X", kind="agentic")).substitutes
    assert only is not None and set(only["kind"]) == {"agentic"}
    # report-wide: every closed model, per kind
    by_kind = substitutes_by_kind(prepare(df, FAST).benches).set_index(["closed_model", "kind"])
    assert list(by_kind.index) == [("C2", "standard"), ("X", "agentic"), ("X", "standard")]
    c2 = by_kind.loc[("C2", "standard")]
    # one benchmark of that kind: said so, not "every benchmark"
    assert c2["matched_by"] == "O1" and c2["status"] == "matched on its only benchmark"
    assert c2["months_after_release"] == pytest.approx(5.0, abs=0.05)
    assert by_kind.loc[("X", "standard"), "matched_by"] == "O2"
    assert by_kind.loc[("X", "agentic"), "status"] == "not yet (0 of 1 benchmarks matched)"


def test_substitutes_by_kind_are_the_kind_rows_of_each_closed_models_finder(rng):
    df = synth.gap_benchmarks(rng, n_per_kind=4, lag_agentic=6.0, lag_standard=3.0, spread=2.0)
    bench_list = prepare(df, FAST).benches
    table = substitutes_by_kind(bench_list)
    closed = sorted({m for b in bench_list for m in b.closed.models})
    rows = [substitutes(bench_list, m)[0] for m in closed]
    want = pd.concat([r[r["unit"] == ""] for r in rows], ignore_index=True)
    assert len(table) == len(want) > 8
    assert table["status"].str.startswith("matched on its only benchmark").any()
    for got, exp in zip(table.to_dict("records"), want.to_dict("records"), strict=True):
        for col in ("closed_model", "kind", "closed_release", "matched_by", "matched_on", "status"):
            assert (got[col] or None) == (exp[col] or None) or (
                pd.isna(got[col]) and pd.isna(exp[col])
            ), (col, got, exp)
        assert got["months_after_release"] == pytest.approx(
            exp["months_after_release"], nan_ok=True
        )


def test_what_is_ruled_out_is_rounded_outward():
    """A one-sided bound is the edge of what the data exclude: rounding it to the nearest
    tenth claims more than the data do (at_most 1.849 printed as "more than 1.8 months
    longer is ruled out" excludes 1.80-1.85, which the data do not). Bounds round outward."""
    from harness.analysis import statements

    both = {"status": "ok", "at_least": -2.012, "at_most": 1.811}
    text = statements.ruled_out(both, 0.95)
    assert "more than 1.9 months longer" in text and "more than 2.1 months shorter" in text
    above = {"status": "ok", "at_least": 0.46, "at_most": 3.04}
    text = statements.ruled_out(above, 0.95)
    assert "at least 0.4 months longer" in text and "not more than 3.1 months longer" in text
    below = {"status": "ok", "at_least": -3.04, "at_most": -0.46}
    text = statements.ruled_out(below, 0.95)
    assert "at least 0.4 months shorter" in text and "not more than 3.1 months shorter" in text
    exact = {"status": "ok", "at_least": -2.0, "at_most": 1.8}  # on the grid: as it is
    assert "more than 1.8 months longer" in statements.ruled_out(exact, 0.95)
