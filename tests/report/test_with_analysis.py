"""The report renders what harness.analysis really returns (extra columns, inf CIs, flags)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analysis import AnalysisSpec, build_report_tables, headline
from harness.analysis.wording import num
from harness.report import render_report
from tests.analysis import synth
from tests.report._html import read


@pytest.mark.slow
def test_render_real_analysis_tables(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    samples = synth.gap_benchmarks(rng, n_per_kind=2, lag_agentic=6, lag_standard=2, spread=0.0)
    rows = samples.to_dict("records")
    rows += synth.horizon_samples(rng, "C", "closed", 16.0, per_h=10, epochs=2)
    rows += synth.horizon_samples(rng, "O", "open", 4.0, per_h=10, epochs=2)
    # all dates, first-model crossings dropped (the default is the primary spec, since 2025)
    spec = AnalysisSpec(since=None, censoring="both", replicates=200, curve_replicates=100)
    tables = build_report_tables(synth.frame(rows), spec=spec, title="integration")

    site = tmp_path / "report"
    index = read(render_report(tables, site, headline=headline(tables)))

    # every understatement row is shown, in its unit with its interval's method: its D as a
    # number in analysis's own format, or its reason as a flag
    assert tables.answer is not None
    shown = index.table("Understatement test")
    words = {"lag_months": "threshold lag", "catchup_months": "catch-up time"}
    words |= {"score_gap": "score gap", "score_gap_logit": "logit score gap"}
    for r in tables.answer.understatement.to_dict("records"):
        cells = shown.row(words[str(r["measure"])])
        if r["status"] == "insufficient":
            assert f"insufficient data: {r['reason']}" in cells
        else:
            assert num(r["d"], str(r["unit"]), signed=True) in cells
            ci = f"{num(r['ci_low'], str(r['unit']))} to {num(r['ci_high'], str(r['unit']))}"
            assert ci in cells
            assert cells[-1] == r["ci_method"]
    # hundreds of imported models: the index keeps to a readable size
    assert len(tables.scores) > 200
    assert "no run of your own in this store" in index.text  # synthetic rows are not own runs
    assert len(index.table("Scores by model and suite").rows) == 200
    assert "Showing the first 200 of" in index.text
    assert "nan" not in index.text.lower().replace("nano", "")
    assert tables.answer is not None  # the answer comes first, in analysis's own words
    head = tables.answer.head
    rest = tables.answer.sentence.removeprefix(head)
    text = " ".join(index.text.split())
    assert head in text and " ".join(rest.split()) in text
    # every closed model's substitute per kind: the first rows on the index, all in data/
    subs = tables.substitutes_by_kind
    shown = index.table("Every closed model")
    assert len(subs) > 0 and len(shown.rows) == min(len(subs), 50)
    if len(subs) > 50:
        assert f"Showing the first 50 of {len(subs)} closed model and kind rows" in text
    first = subs.iloc[0]
    head = first["closed_model"] + (f" (variant {first['variants']})" if first["variants"] else "")
    assert shown.rows[0][:3] == [head, first["kind"], str(first["benchmarks"])]
    assert len(pd.read_csv(site / "data" / "substitutes_by_kind.csv")) == len(subs)
    # horizons fitted on the ladder suite appear on its page
    ladder = read(site / "suites" / "ladder_agentic.html")
    assert {r[0] for r in ladder.table("50% horizon").rows} == {"C", "O"}
    for page in site.rglob("*.html"):
        for href in read(page).links:
            if not href.startswith("#"):
                assert (page.parent / href.split("#")[0]).resolve().is_file(), (page, href)
