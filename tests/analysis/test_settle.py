"""What would settle it (issue 22.2): the projection to more benchmarks, and the ranked missing
evaluations: each one's stated CI is what adding it gives, and predicted scores never enter
the reported D."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.analysis.answer import answer
from harness.analysis.inference.settle import Candidate, _added, _Scorer, more_benchmarks, settled
from harness.analysis.prepare import prepare
from harness.analysis.spec import PRIMARY, AnalysisSpec
from tests.analysis import synth

SPEC = AnalysisSpec(
    since=PRIMARY.since, censoring="bounds", replicates=300, curve_replicates=60,
    power_simulations=50,
)  # fmt: skip


def test_more_benchmarks_projects_the_interval_at_the_current_spread():
    row = {"d": 0.3, "se_agentic": 1.0, "se_standard": 1.0, "n_agentic": 5, "n_standard": 5}
    m, ci = more_benchmarks(row, 0.95)
    assert m is not None and ci is not None and settled(*ci)
    # one fewer would not: the smallest number that does
    spread = np.sqrt(5.0)  # se x sqrt(n)
    widen = more_benchmarks.__globals__["expansion"]
    half = 1.959964 * np.sqrt(2 * (widen(5 + m - 1) * spread) ** 2 / (5 + m - 1))
    assert not settled(0.3 - half, 0.3 + half)
    # a CI already above 0 needs none; a noisier kind needs more
    assert more_benchmarks({**row, "d": 5.0}, 0.95)[0] == 0
    assert more_benchmarks({**row, "se_agentic": 2.0}, 0.95)[0] > m


def planted() -> pd.DataFrame:
    """Planted D = 0 on 5 + 5 benchmarks, each model evaluated on one benchmark only: every
    other benchmark is a missing evaluation."""
    return synth.planted_gap(np.random.default_rng(4), d_true=0.0, open_eval_share=1, n_per_kind=5)


def test_ranked_evaluations_are_what_adding_them_gives_and_never_enter_d():
    df = planted()
    a = answer(df, SPEC)
    ranked = a.settle.ranked
    assert len(ranked) > 0 and list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert (np.diff(ranked["width_gain"].to_numpy()) <= 1e-12).all()
    # the stated CI after an evaluation is D(lag)'s CI with that model added at its
    # predicted score, on the same bootstrap draws
    prep = prepare(df, SPEC)
    benches = {b.name: b for b in prep.benches}
    top = ranked.iloc[0]
    scorer = _Scorer(SPEC, float(pd.Timestamp(SPEC.since).timestamp() / 86400), np.inf)
    day = float((pd.Timestamp(top["release_date"]) - pd.Timestamp("1970-01-01")).days)
    cand = Candidate(str(top["model_id"]), str(top["access"]), day, np.nan)
    added = dict(benches)
    added[str(top["benchmark"])] = _added(
        benches[str(top["benchmark"])], cand, top["predicted_score"]
    )
    evs = [e for e in (scorer.evidence(b) for b in added.values()) if e is not None]
    assert scorer.ci(evs) == pytest.approx((top["ci_low_after"], top["ci_high_after"]))
    # every ranked pair is one the data lack, and a prediction only ranks: no predicted
    # score is in a frontier the reported D comes from
    have = {(m, b.name) for b in prep.benches for m in (*b.closed.models, *b.open.models)}
    assert not {(r["model_id"], r["benchmark"]) for r in ranked.to_dict("records")} & have
    assert all("predicted" not in (b.closed.sources + b.open.sources) for b in prep.benches)
    assert (ranked["width_gain"] > 0).all()
