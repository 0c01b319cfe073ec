"""What an answer and the report's tables are computed from: the samples as the analysis reads
them (canaries out, imported models grouped by identity, the spec's kind mapping applied),
every model's score, and the benchmarks (Bench cores) of the spec's set.

A frontier takes rows from every source the samples hold: imported (published) scores and
own runs alike enter `model_scores` and so `benches`, each model's row keeping its `source`
(Side.sources), so a frontier can tell which of its points gapbench measured itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from harness.analysis._common import analysis_frame, without_canaries
from harness.analysis.mapping import apply_mapping, load_kind_mapping
from harness.analysis.measures.calibration import calibration_table
from harness.analysis.measures.frontier import Bench, benches
from harness.analysis.measures.hub_links import HubLinks
from harness.analysis.measures.identity import grouped
from harness.analysis.measures.own_rows import OwnJoin, join_own
from harness.analysis.measures.scores import model_scores
from harness.analysis.spec import AnalysisSpec
from harness.errors import UserError


@dataclass(frozen=True)
class Prepared:
    """Canary-free, identity-grouped, kind-mapped samples, their scores and benchmarks."""

    samples: pd.DataFrame
    scores: pd.DataFrame
    benches: list[Bench]  # the spec's benchmark set (all, or the --benchmarks subset)
    borderline: set[str]
    n_canary: int
    n_read: int  # rows handed to the analysis (before canaries and excluded kinds)
    # own rows on the published frontiers (measures/own_rows.py): the decisions, the
    # calibration, and the benchmarks as the published rows alone make them
    own: OwnJoin | None = None
    published: list[Bench] = field(default_factory=list)


def prepare(
    samples: pd.DataFrame,
    spec: AnalysisSpec,
    *,
    null_baselines: Mapping[str, float] | None = None,
    scales: Mapping[str, str] | None = None,
    hub: HubLinks | None = None,
) -> Prepared:
    """Drop canaries, group imported models, apply the spec's kind mapping, score, and pick
    the benchmark set.

    Raises UserError naming --benchmarks for a name the data do not have.
    """
    samples = analysis_frame(samples)  # the columns read, text as categoricals (speed)
    clean = without_canaries(samples)
    mapping = load_kind_mapping(spec.mapping) if spec.mapping else None
    mapped = apply_mapping(grouped(clean), mapping)
    scores = model_scores(mapped, null_baselines=null_baselines, level=spec.ci)
    # own rows of hub suites join their published benchmark (hub: suite -> benchmark links)
    calibration = calibration_table(mapped, scores, hub, level=spec.ci)
    own = join_own(scores, hub, spec.own_rows, calibration, mapping=mapping)
    scores = own.scores
    ok = scores[(scores["status"] == "ok") & own.pooled]
    bench_list = benches(ok, dict(scales or {}))
    published = (
        benches(ok[own.published_mask()[ok.index]], dict(scales or {}))
        if own.own_pooled
        else bench_list
    )
    names = set(scores["benchmark"]) if not scores.empty else set()
    if spec.benchmarks is not None:
        unknown = sorted(set(spec.benchmarks) - names)
        if unknown:
            known = ", ".join(sorted(names)[:8]) + (", ..." if len(names) > 8 else "")
            raise UserError(
                f"--benchmarks: unknown benchmark {unknown[0]!r} (known: {known or 'none'})"
            )
        bench_list = [b for b in bench_list if b.name in spec.benchmarks]
        published = [b for b in published if b.name in spec.benchmarks]
    borderline = set()
    if not mapped.empty:
        flagged = mapped.loc[mapped["borderline"].astype(bool)]
        borderline = set(scores.loc[scores["suite"].isin(set(flagged["suite"])), "benchmark"])
    return Prepared(
        mapped,
        scores,
        bench_list,
        borderline,
        len(samples) - len(clean),
        len(samples),
        own=own,
        published=published,
    )
