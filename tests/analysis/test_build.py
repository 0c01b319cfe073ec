"""build_report_tables over a real store round trip; flags; headline sentences."""

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from harness._types import DeploymentFacts, SampleRecord
from harness.analysis import build_report_tables, headline
from harness.analysis.spec import AnalysisSpec
from harness.analysis.tables import (
    FLAG_COLUMNS,
    FRONTIER_COLUMNS,
    GAP_COLUMNS,
    HORIZON_COLUMNS,
    LADDER_COLUMNS,
    LAG_COLUMNS,
    PASSK_COLUMNS,
    SCORES_COLUMNS,
    UNDERSTATEMENT_COLUMNS,
    ReportTables,
)
from harness.store.store import Store
from tests.analysis import synth

FACTS = DeploymentFacts(deployment_id="d", provider="openai-compatible")


def record(d: dict[str, object], i: int, *, canary: bool = False) -> SampleRecord:
    return SampleRecord(
        run_id=f"{d['model_id']}-{d['suite']}",
        sample_key=f"k{i}",
        sweep_id="",
        model_id=str(d["model_id"]),
        access=d["access"],
        release_date=d["release_date"],
        suite=str(d["suite"]),  # type: ignore[arg-type]
        suite_version="1",
        kind=d["kind"],
        task=str(d["suite"]),
        sample_id=str(d["sample_id"]),  # type: ignore[arg-type]
        epoch=int(d["epoch"]),
        status=d["status"],
        engine="inspect",
        engine_version="0",  # type: ignore[arg-type]
        harness_version="0",
        facts=FACTS,
        h=d["h"],
        score=d["score"],
        success=d["success"],  # type: ignore[arg-type]
        source="imported:synthetic",
        canary=canary,
    )


def synthetic_store(tmp_path, rng) -> pd.DataFrame:
    df = synth.gap_benchmarks(rng, n_per_kind=4, lag_agentic=6, lag_standard=2, spread=0.0)
    rows = df.to_dict("records")
    # a saturated benchmark, one with no open model, an undated model
    for k in range(6):
        rows.append(
            synth.row(f"sat-c{k}", "closed", synth.month(k), "sat", "standard", 0.8 + 0.03 * k)
        )
        rows.append(
            synth.row(f"sat-o{k}", "open", synth.month(k + 2), "sat", "standard", 0.8 + 0.03 * k)
        )
        rows.append(synth.row(f"lone-c{k}", "closed", synth.month(k), "lone", "agentic", 0.1 * k))
    rows.append(synth.row("undated", "open", None, "sta0", "standard", 0.5))
    # a little own-run ladder with h, epochs and an error
    for model, access, p in (("C", "closed", 0.95), ("O", "open", 0.85)):
        for h in (1, 2, 4, 8):
            for i in range(8):
                for e in (1, 2):
                    sid = f"h{h}-{i}"
                    y = bool(rng.random() < p**h)
                    rows.append(
                        synth.row(
                            model,
                            access,
                            synth.month(30),
                            "ladder_agentic",
                            "agentic",
                            float(y),
                            sample_id=sid,
                            h=h,
                            epoch=e,
                            success=y,
                        )
                    )
                    y = bool(rng.random() < p)
                    rows.append(
                        synth.row(
                            model,
                            access,
                            synth.month(30),
                            "ladder_standard",
                            "standard",
                            float(y),
                            sample_id=sid,
                            h=h,
                            epoch=e,
                            success=y,
                        )
                    )
    rows.append(
        synth.row(
            "O",
            "open",
            synth.month(30),
            "ladder_agentic",
            "agentic",
            None,
            sample_id="h1-0",
            h=1,
            epoch=3,
            status="error",
        )
    )
    # a nightly canary of a closed model that collapsed: it must not touch any gap or score
    canary = synth.row("sta0-closed-60", "closed", synth.month(60), "sta0", "standard", 0.0)
    canary["sample_id"] = "canary-1"
    store = Store(tmp_path / "results")
    store.append_samples(
        [record(r, i) for i, r in enumerate(rows)] + [record(canary, len(rows), canary=True)]
    )
    return store.samples()


def test_build_report_tables_round_trip(tmp_path, rng):
    samples = synthetic_store(tmp_path, rng)
    # all dates, first-model crossings dropped: the planted lags are exact here
    spec = AnalysisSpec(since=None, censoring="both", replicates=400, curve_replicates=100)
    t = build_report_tables(samples, spec=spec, title="t", null_baselines={"sat": 0.25})
    assert isinstance(t, ReportTables) and t.title == "t"
    for name, cols in (
        ("scores", SCORES_COLUMNS),
        ("frontier", FRONTIER_COLUMNS),
        ("gaps", GAP_COLUMNS),
        ("lags", LAG_COLUMNS),
        ("understatement", UNDERSTATEMENT_COLUMNS),
        ("horizons", HORIZON_COLUMNS),
        ("passk", PASSK_COLUMNS),
        ("ladder", LADDER_COLUMNS),
        ("flags", FLAG_COLUMNS),
    ):
        table = getattr(t, name)
        assert list(table.columns[: len(cols)]) == cols, name
    u = t.understatement.set_index("measure")
    # 4 agentic benchmarks with a lag (lone has no open model, ladder_agentic no release spread)
    assert u.loc["lag_months", "status"] == "ok"
    assert u.loc["lag_months", "d"] == pytest.approx(4.0, abs=0.05)
    # saturation leaves a lag intact (sat: 2 months), so it counts here but not for score gaps
    assert u.loc["lag_months", "n_agentic"] == 4 and u.loc["lag_months", "n_standard"] == 5
    assert u.loc["score_gap", "n_standard"] == 4
    # every interval names its method; fewer than 4 benchmarks of a kind is no number
    assert u["ci_method"].str.startswith("expanded percentile bootstrap").all()
    assert t.scores["ci_method"].notna().all()
    reasons = dict(zip(t.flags["item"], t.flags["reason"], strict=False))
    assert reasons["undated"].startswith("no release date")
    assert reasons["sat"].startswith("saturated")
    assert reasons["lone"].startswith("too few model pairs")
    assert t.scores.set_index("benchmark").loc["sat", "null_baseline"].iloc[0] == 0.25
    # the ladder's error row is counted, not scored
    o = t.scores[(t.scores["model_id"] == "O") & (t.scores["suite"] == "ladder_agentic")].iloc[0]
    assert (o["n_error"], o["n_scored"]) == (1, 64)
    assert set(t.passk["k"]) == {1, 2}
    hz = t.horizons[t.horizons["suite"] == "ladder_agentic"].set_index("model_id")
    assert set(hz.index) == {"C", "O"}  # fitted, or a bound beyond the tested h (horizon.py)
    assert t.generated_at is not None and not t.catchup.empty
    # the canary row stays out of the scores (its model's published 0.8 stands) and gaps
    sta0 = t.scores[(t.scores["benchmark"] == "sta0") & (t.scores["model_id"] == "sta0-closed-60")]
    assert list(sta0["n_rows"]) == [1] and list(sta0["score"]) == [pytest.approx(0.85)]
    assert t.answer is not None and t.answer.data["canary_rows_left_out"] == 1
    lines = headline(t)
    # the verdict leads (planted D = +4 months on every benchmark: supported), then the measures
    assert t.answer is not None and t.answer.verdict == "supported"
    assert lines[0] == t.answer.sentence and lines[0].startswith("Supported: ")
    assert lines[1].startswith("Agentic lag (") and "D = " in lines[1] and "p = " in lines[1]
    assert any(line.startswith("Ladder, C vs O") for line in lines)


def test_empty_store_gives_empty_tables(tmp_path):
    t = build_report_tables(Store(tmp_path / "none").samples(), spec=AnalysisSpec(since=None))
    for f in fields(ReportTables):
        v = getattr(t, f.name)
        if isinstance(v, pd.DataFrame) and f.name not in ("understatement", "flags"):
            assert v.empty, f.name
    assert (t.understatement["status"] == "insufficient").all()
    assert headline(t)[0].startswith("Inconclusive: ")
    assert headline(t)[1].startswith("Lag test (all dates): insufficient data")
    assert np.isnan(t.understatement["d"]).all()
