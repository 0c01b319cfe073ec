"""How much gapbench's own runs move the answer, and why: D(lag) with the own rows the spec
pools and without any (the published rows alone, under the same window, censoring, averaging,
replicates and seed), and every own point on a frontier with whether it raised it.

An own point changes D only through the frontiers: it moves a threshold's first crossing
when it raises its side's best score (`raises_frontier`); a point below the frontier changes
nothing. The change is D(with) - D(without), both computed by the same test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.analysis._common import clean, records
from harness.analysis.columns import empty
from harness.analysis.inference.understatement import understatement
from harness.analysis.measures.frontier import Bench
from harness.analysis.measures.own_rows import (
    OWN_POINT_COLUMNS,
    OWN_SCORE_COLUMNS,
    OwnJoin,
    own_points,
    with_suites,
)
from harness.analysis.spec import MEASURE_UNITS, PRIMARY_MEASURE, AnalysisSpec
from harness.analysis.wording import num

# one row: D(lag) with and without own rows, the change, and the sentence saying why
OWN_EFFECT_COLUMNS = [
    "measure",
    "unit",
    "own_rows",
    "d_with",
    "ci_low_with",
    "ci_high_with",
    "status_with",
    "d_without",
    "ci_low_without",
    "ci_high_without",
    "status_without",
    "change",
    "n_own_points",
    "n_raising",
    "n_not_pooled",
    "sentence",
]
_ROW_KEYS = ("d", "ci_low", "ci_high", "status", "reason", "n_agentic", "n_standard")


@dataclass(frozen=True)
class OwnEffect:
    """D(lag) with and without own rows (`with_own`, `without_own`: understatement rows),
    the own points on frontiers (OWN_POINT_COLUMNS) and every own score's decision
    (OWN_SCORE_COLUMNS)."""

    own_rows: str
    with_own: Mapping[str, object]
    without_own: Mapping[str, object]
    points: pd.DataFrame = field(default_factory=lambda: empty(OWN_POINT_COLUMNS))
    scores: pd.DataFrame = field(default_factory=lambda: empty(OWN_SCORE_COLUMNS))
    sentence: str = ""

    @property
    def change(self) -> float:
        a, b = (float(r.get("d", np.nan)) for r in (self.with_own, self.without_own))  # type: ignore[arg-type]
        return a - b if np.isfinite(a) and np.isfinite(b) else float("nan")

    def table(self) -> pd.DataFrame:
        """One row (OWN_EFFECT_COLUMNS); none when there is no own score at all."""
        if self.scores.empty:
            return empty(OWN_EFFECT_COLUMNS)
        w, wo = self.with_own, self.without_own
        pooled = self.scores["pooled"].astype(bool) if not self.scores.empty else pd.Series()
        row = {
            "measure": PRIMARY_MEASURE,
            "unit": MEASURE_UNITS[PRIMARY_MEASURE],
            "own_rows": self.own_rows,
            "d_with": w.get("d"),
            "ci_low_with": w.get("ci_low"),
            "ci_high_with": w.get("ci_high"),
            "status_with": w.get("status"),
            "d_without": wo.get("d"),
            "ci_low_without": wo.get("ci_low"),
            "ci_high_without": wo.get("ci_high"),
            "status_without": wo.get("status"),
            "change": self.change,
            "n_own_points": len(self.points),
            "n_raising": int(self.points["raises_frontier"].astype(bool).sum()),
            "n_not_pooled": int((~pooled).sum()),
            "sentence": self.sentence,
        }
        return pd.DataFrame([row], columns=OWN_EFFECT_COLUMNS)

    def to_dict(self) -> dict[str, object]:
        return {
            "own_rows": self.own_rows,
            "measure": PRIMARY_MEASURE,
            "unit": MEASURE_UNITS[PRIMARY_MEASURE],
            "with_own": clean({k: self.with_own.get(k) for k in _ROW_KEYS}),
            "without_own": clean({k: self.without_own.get(k) for k in _ROW_KEYS}),
            "change": clean(self.change),
            "sentence": self.sentence,
            "points": records(self.points),
            "scores": records(self.scores),
        }


def d_without_own(published: Sequence[Bench], spec: AnalysisSpec) -> dict[str, object]:
    """The D(lag) row of the published rows alone, under the spec's method."""
    rows = understatement(
        published,
        window=spec.window if (spec.since or spec.until) else None,
        measures=(PRIMARY_MEASURE,),
        n_boot=spec.replicates,
        seed=spec.seed,
        level=spec.ci,
        censoring=spec.censoring,
        averaging=spec.averaging,
    )
    return rows.iloc[0].to_dict() if not rows.empty else {"status": "insufficient", "d": np.nan}


def own_effect(
    with_own: Mapping[str, object],
    bench_list: Sequence[Bench],
    published: Sequence[Bench],
    spec: AnalysisSpec,
    join: OwnJoin | None,
) -> OwnEffect:
    """The effect of own rows on D(lag). with_own: the answer's primary row; bench_list /
    published: the spec's benchmarks with own rows and of published rows alone
    (`Prepared.benches`, `Prepared.published`); join: the own rows' decisions. When no own
    row is pooled the two Ds are one computation (the same row)."""
    scores = join.own_scores if join is not None else empty(OWN_SCORE_COLUMNS)
    pooled = join is not None and join.own_pooled
    points = (
        with_suites(own_points(list(bench_list)), scores) if pooled else empty(OWN_POINT_COLUMNS)
    )
    without = d_without_own(published, spec) if pooled else dict(with_own)
    effect = OwnEffect(spec.own_rows, dict(with_own), without, points, scores)
    paired = {b.name for b in bench_list if b.has_pair}
    return OwnEffect(
        effect.own_rows,
        effect.with_own,
        effect.without_own,
        points,
        scores,
        _sentence(effect, paired),
    )


def _point_words(r: Mapping[str, object], paired: set[str]) -> str:
    before = r.get("previous_best")
    score, when = num(r["score"], "fraction"), r["date"]
    if isinstance(before, float) and np.isfinite(before):
        return (
            f"{r['model_id']} raises the {r['access']} frontier of {r['benchmark']} from "
            f"{num(before, 'fraction')} ({r.get('previous_model')}) to {score} on {when}"
        )
    first = (
        f"{r['model_id']} is the first {r['access']} point of {r['benchmark']} ({score}, {when})"
    )
    if str(r["benchmark"]) not in paired:  # a benchmark with one side only has no lag
        other = "closed" if r["access"] == "open" else "open"
        first += f"; no {other} model there, so no lag"
    return first


def _sentence(e: OwnEffect, paired: set[str]) -> str:
    unit = MEASURE_UNITS[PRIMARY_MEASURE]
    n_scores = len(e.scores)
    n_pooled = int(e.scores["pooled"].astype(bool).sum()) if n_scores else 0
    if not n_scores:
        return "No score of your own is here: D comes from published rows alone."
    if e.own_rows == "none":
        return (
            f"Your {n_scores} own scores are left out (--own-rows none): D comes from "
            "published rows alone."
        )
    if not n_pooled or e.points.empty:
        return (
            f"None of your {n_scores} own scores is on a frontier (see why in the table of "
            "own scores): D comes from published rows alone."
        )
    benches = e.points["benchmark"].nunique()
    raising = e.points[e.points["raises_frontier"].astype(bool)]
    head = (
        f"Your runs put {len(e.points)} point{'s' if len(e.points) != 1 else ''} on the "
        f"frontiers of {benches} benchmark{'s' if benches != 1 else ''}"
    )
    if raising.empty:
        why = "; none raises a frontier, so none moves a threshold's first crossing"
    else:
        shown = [_point_words(r, paired) for r in raising.head(3).to_dict("records")]
        more = f" and {len(raising) - 3} more" if len(raising) > 3 else ""
        verb = "raises a frontier" if len(raising) == 1 else "raise a frontier"
        why = f"; {len(raising)} {verb} ({'; '.join(shown)}{more})"
    w, wo = e.with_own, e.without_own
    if w.get("status") != "ok" or wo.get("status") != "ok":
        d = f"D({PRIMARY_MEASURE}) with them: {_d_words(w, unit)}; without: {_d_words(wo, unit)}"
    else:
        d = (
            f"D = {num(w['d'], unit, signed=True)} {unit} with them and "
            f"{num(wo['d'], unit, signed=True)} without (a change of "
            f"{num(e.change, unit, signed=True)} {unit})"
        )
    return f"{head}{why}. {d}."


def _d_words(row: Mapping[str, object], unit: str) -> str:
    if row.get("status") == "ok":
        return f"{num(row.get('d'), unit, signed=True)} {unit}"
    return f"insufficient ({row.get('reason') or 'no data'})"
