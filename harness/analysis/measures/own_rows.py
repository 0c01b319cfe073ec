"""Own rows on the published timeline: which of gapbench's own scores join a published
benchmark's frontier, under which name, and why the others stay out.

A suite that measures a published benchmark says so in its suite.yaml (`hub_benchmark:`, the
Epoch AI hub's name, and `protocol:`, how its items, prompt, attempts and scorer differ). An
own run of such a suite scores the model on that benchmark, so its score is placed on the
benchmark's open or closed frontier next to the imported (published) scores: its row's
`benchmark` becomes the published benchmark's name and its kind the published rows' kind,
while `suite` and `source` ("own") keep saying where it came from.

Whether a hub suite's own rows are pooled (`AnalysisSpec.own_rows`):
- "comparable" (the default): the suite's items are the benchmark's (`same`) or part of them
  (`subset`), and no model's own score disagrees with its published one beyond their
  intervals (measures/calibration.py): a disagreement is a protocol difference to explain
  before the points are pooled;
- "calibrated": as "comparable", and at least one model was scored both ways and agrees;
- "all": every hub suite, whatever its protocol or calibration;
- "none": no own row at all (the frontiers of published rows alone).
Own rows of suites that are not published benchmarks (the ladder, tau2, ...) stay benchmarks
of their own, as before, except under "none". Only a suite's newest version is pooled (the
versions of one suite differ in prompt, data or scoring); a kind mapping that excludes the
benchmark excludes its own rows too. Imported rows are always pooled.

The API hands the analysis the links between suites and published benchmarks
(`measures.hub_links.HubLinks`, built from the suite and model registries).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import from_days
from harness.analysis.columns import FLAG_COLUMNS, empty
from harness.analysis.mapping import KindMapping
from harness.analysis.measures.calibration import benchmark_verdicts
from harness.analysis.measures.frontier import Bench
from harness.analysis.measures.hub_links import NO_LINKS, HubLinks, HubSuite, version_key
from harness.analysis.spec import OwnRows

OWN = "own"

# One row per own score that could join a published frontier (hub suites) or that forms a
# benchmark of its own; `pooled` says whether it entered the frontiers and `reason` why not.
OWN_SCORE_COLUMNS = [
    "model_id",
    "access",
    "release_date",
    "suite",
    "suite_version",
    "benchmark",
    "kind",
    "items",
    "score",
    "pooled",
    "reason",
]
# Every pooled own point, as its frontier sees it: does it raise its side's best score (a
# frontier step), and which point held the frontier before it.
OWN_POINT_COLUMNS = [
    "benchmark",
    "kind",
    "access",
    "model_id",
    "suite",
    "date",
    "score",
    "raises_frontier",
    "previous_best",
    "previous_model",
    "previous_source",
]


@dataclass(frozen=True)
class OwnJoin:
    """The scores with own hub rows placed on their published benchmark, and the decisions.

    scores: model_scores' table; pooled hub rows carry the published benchmark's name and
    kind. pooled: per scores row (same index), whether it enters the frontiers. own_scores:
    OWN_SCORE_COLUMNS, every own score with its decision. calibration: CALIBRATION_COLUMNS.
    """

    policy: OwnRows
    scores: pd.DataFrame
    pooled: pd.Series
    own_scores: pd.DataFrame
    calibration: pd.DataFrame

    @property
    def own_pooled(self) -> bool:
        """True when some own row entered a frontier (D then differs from published-only)."""
        own = self.scores["source"].astype(str) == OWN if not self.scores.empty else None
        return bool(own is not None and (own & self.pooled).any())

    def published_mask(self) -> pd.Series:
        """Rows of the frontiers of published rows alone (imported, pooled)."""
        if self.scores.empty:
            return self.pooled
        return self.pooled & (self.scores["source"].astype(str) != OWN)


def _target(scores: pd.DataFrame, imported: pd.Series, hub: HubSuite) -> tuple[str, str | None]:
    """(benchmark name, kind) the published rows of `hub.benchmark` carry in this analysis:
    the newest dump version's name when several versions are present; (the hub name, None)
    when no published row of it is here."""
    rows = scores[imported & (scores["suite"].astype(str) == hub.benchmark)]
    if rows.empty:
        return hub.benchmark, None
    newest = max(rows["suite_version"].astype(str).unique(), key=version_key)
    row = rows[rows["suite_version"].astype(str) == newest].iloc[0]
    return str(row["benchmark"]), str(row["kind"])


def join_own(
    scores: pd.DataFrame,
    links: HubLinks | None,
    policy: OwnRows,
    calibration: pd.DataFrame,
    *,
    mapping: KindMapping | None = None,
) -> OwnJoin:
    """Place own hub rows on their published benchmark and decide what is pooled (module doc).

    calibration: measures/calibration.py's table for these scores (its per-benchmark
    verdict decides "comparable" and "calibrated").
    """
    links = links or NO_LINKS
    if scores.empty:
        return OwnJoin(policy, scores, pd.Series(dtype=bool), empty(OWN_SCORE_COLUMNS), calibration)
    own = scores["source"].astype(str) == OWN
    if not own.any():  # published rows alone: the table as it was
        return OwnJoin(
            policy,
            scores,
            pd.Series(True, index=scores.index),
            empty(OWN_SCORE_COLUMNS),
            calibration,
        )
    out = scores.copy()
    out["benchmark"] = out["benchmark"].astype(object)
    out["kind"] = out["kind"].astype(object)
    source = out["source"].astype(str)
    imported = source.str.startswith("imported:")
    pooled = pd.Series(True, index=out.index)
    reason = pd.Series("", index=out.index, dtype=object)
    items = pd.Series("", index=out.index, dtype=object)
    verdicts = benchmark_verdicts(calibration)
    suites = out["suite"].astype(str)
    for name in sorted(set(suites[own])):
        rows = own & (suites == name)
        hub = links.suites.get(name)
        if hub is None:
            if policy == "none":
                pooled[rows], reason[rows] = False, "own rows left out (--own-rows none)"
            continue
        items[rows] = hub.items
        bench, kind = _target(out, imported, hub)
        newest = max(out.loc[rows, "suite_version"].astype(str).unique(), key=version_key)
        older = rows & (out["suite_version"].astype(str) != newest)
        current = rows & ~older
        why = _why_not(policy, hub, verdicts.get(hub.benchmark, "uncalibrated"), mapping)
        pooled[rows] = not why
        reason[current] = why
        pooled[older] = False
        reason[older] = why or f"an older version of {name} (version {newest} is pooled)"
        if not why:
            out.loc[current, "benchmark"] = bench
            if kind is not None:
                out.loc[current, "kind"] = kind
            elif mapping is not None and hub.benchmark in mapping.entries:
                out.loc[current, "kind"] = mapping.entries[hub.benchmark].kind
    # a score too thin to place (status insufficient) is on no frontier, pooled or not
    thin = own & (out["status"] != "ok")
    reason[thin] = "no score: " + out.loc[thin, "reason"].astype(str)
    shown = pooled & ~thin
    own_scores = out.loc[own].assign(items=items[own], pooled=shown[own], reason=reason[own])
    own_scores = own_scores[OWN_SCORE_COLUMNS].reset_index(drop=True)
    return OwnJoin(policy, out, pooled, own_scores, calibration)


def _why_not(policy: OwnRows, hub: HubSuite, verdict: str, mapping: KindMapping | None) -> str:
    """Why a hub suite's own rows stay off the published frontier ('' when they join it)."""
    if policy == "none":
        return "own rows left out (--own-rows none)"
    entry = mapping.entries.get(hub.benchmark) if mapping is not None else None
    if entry is not None and entry.kind == "exclude":
        return f"the kind mapping excludes {hub.benchmark}"
    if policy == "all":
        return ""
    if not hub.comparable:
        return (
            f"protocol items '{hub.items}': another item set than {hub.benchmark}'s "
            "(--own-rows all pools it)"
        )
    if verdict == "disagree":
        return (
            f"own and published scores on {hub.benchmark} disagree beyond their intervals: "
            "a protocol difference to explain first (see the calibration table; "
            "--own-rows all pools it)"
        )
    if policy == "calibrated" and verdict != "agree":
        return f"not calibrated: no model scored both here and in published {hub.benchmark}"
    return ""


def own_points(bench_list: list[Bench]) -> pd.DataFrame:
    """Every own point on a frontier (OWN_POINT_COLUMNS): whether it raises its side's best
    score at its release date, and the frontier point it passes: the best of the side's
    other points released on or before that day (a point of the same day counts, whatever
    the order the side keeps a day's models in)."""
    rows: list[dict[str, object]] = []
    for b in bench_list:
        for access, side in (("closed", b.closed), ("open", b.open)):
            if not side.sources or OWN not in side.sources:
                continue
            for i, (d, s) in enumerate(zip(side.days, side.scores, strict=True)):
                if side.sources[i] == OWN:
                    others = np.flatnonzero(side.days <= d)
                    others = others[(others != i) & np.isfinite(side.scores[others])]
                    best_i = int(others[np.argmax(side.scores[others])]) if others.size else -1
                    best = float(side.scores[best_i]) if best_i >= 0 else -np.inf
                    rows.append(
                        {
                            "benchmark": b.name,
                            "kind": b.kind,
                            "access": access,
                            "model_id": side.models[i],
                            "suite": "",
                            "date": from_days(d),
                            "score": float(s),
                            "raises_frontier": bool(s > best),
                            "previous_best": float(best) if best_i >= 0 else np.nan,
                            "previous_model": side.models[best_i] if best_i >= 0 else "",
                            "previous_source": side.sources[best_i] if best_i >= 0 else "",
                        }
                    )
    cols = OWN_POINT_COLUMNS
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def with_suites(points: pd.DataFrame, own_scores: pd.DataFrame) -> pd.DataFrame:
    """Own points with the suite each came from (a benchmark's own points may come from a
    hub suite or be the suite itself)."""
    if points.empty:
        return points
    pooled = own_scores[own_scores["pooled"].astype(bool)]
    suite_of = {
        (str(r.model_id), str(r.benchmark)): str(r.suite) for r in pooled.itertuples(index=False)
    }
    suites = [
        suite_of.get((str(m), str(b)), str(b))
        for m, b in zip(points["model_id"], points["benchmark"], strict=True)
    ]
    return points.assign(suite=suites)


def own_flags(join: OwnJoin | None) -> pd.DataFrame:
    """Flags (FLAG_COLUMNS) for own scores kept off the published frontiers (one per suite
    and reason) and for benchmarks whose own and published scores disagree."""
    rows: list[dict[str, str]] = []
    if join is not None and not join.own_scores.empty:
        out = join.own_scores[~join.own_scores["pooled"].astype(bool)]
        for (suite, why), part in out.groupby(["suite", "reason"], sort=True):
            if not why or str(why).startswith("no score:"):
                continue  # too few samples: the scores flags say so already
            models = ", ".join(sorted(set(part["model_id"].astype(str))))
            rows.append({"scope": "own rows", "item": str(suite), "reason": f"{why} ({models})"})
    if join is not None and not join.calibration.empty:
        cal = join.calibration
        for r in cal[cal["verdict"] == "disagree"].to_dict("records"):
            rows.append(
                {
                    "scope": "calibration",
                    "item": str(r["benchmark"]),
                    "reason": (
                        f"{r['model_id']}: own {r['suite']} score {r['own_score']:.3f} vs "
                        f"published {r['published_score']:.3f} ({r['published_model']}): "
                        f"difference {r['difference']:+.3f}, interval {r['diff_ci_low']:+.3f} "
                        f"to {r['diff_ci_high']:+.3f} excludes 0: a protocol difference to "
                        "explain before pooling"
                    ),
                }
            )
    return pd.DataFrame(rows, columns=FLAG_COLUMNS) if rows else empty(FLAG_COLUMNS)


def with_own_flags(flags: pd.DataFrame, join: OwnJoin | None) -> pd.DataFrame:
    """The flags table with `own_flags` appended (unchanged when there are none)."""
    extra = own_flags(join)
    if extra.empty:
        return flags
    return extra if flags.empty else pd.concat([flags, extra], ignore_index=True)
