"""Frontiers over release date and the score gap over time.

For a benchmark b and date t, C_b(t) is the best closed score among models released by t and
O_b(t) the best open score (DESIGN.md). Models without a release date cannot be placed on the
timeline and are left out (the caller flags them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, Scale, from_days, logit, scale_of, to_days
from harness.analysis.columns import FRONTIER_COLUMNS, GAP_COLUMNS, empty

GAP_EXTRA = ["scale"]
# where each frontier point came from ("own": gapbench ran it; "imported:epoch": published)
FRONTIER_EXTRA = ["source"]
SATURATED_HIGH = 0.9
SATURATED_LOW = 0.1


@dataclass(frozen=True)
class Side:
    """One side's models on one benchmark, sorted by release day.

    variants: per model, the id its score was published under (a provider copy or a
    reasoning-budget variant grouped under the model by measures.identity; else the model
    id). sources: per model, where its score came from ("own", "imported:epoch", ...): a
    frontier may mix rows gapbench ran with published ones. Both may be empty (unknown).
    """

    days: np.ndarray
    scores: np.ndarray
    models: tuple[str, ...]
    variants: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def variant(self, i: int) -> str:
        return self.variants[i] if self.variants else self.models[i]

    @property
    def best(self) -> np.ndarray:
        # fmax: a model whose resampled score is undefined (no task drawn) is skipped
        return np.fmax.accumulate(self.scores) if self.scores.size else self.scores

    def at(self, t: np.ndarray) -> np.ndarray:
        """Best score among models released on or before each day in t (NaN before the first)."""
        t = np.asarray(t, dtype=float)
        idx = np.searchsorted(self.days, t, side="right") - 1
        best = self.best
        out = np.full(t.shape, np.nan)
        ok = idx >= 0
        out[ok] = best[idx[ok]]
        return out

    def with_scores(self, scores: np.ndarray) -> Side:
        return Side(self.days, scores, self.models, self.variants, self.sources)

    def with_model(self, day: float, score: float, model: str, source: str) -> Side:
        """This side with one more model (in release order; after models of the same day)."""
        i = int(np.searchsorted(self.days, day, side="right"))

        def put(values: tuple[str, ...], value: str) -> tuple[str, ...]:
            return (*values[:i], value, *values[i:]) if values else ()

        return Side(
            np.insert(self.days, i, day),
            np.insert(self.scores, i, score),
            (*self.models[:i], model, *self.models[i:]),
            put(self.variants, model),
            put(self.sources, source),
        )


@dataclass(frozen=True)
class Bench:
    """A benchmark's placed models split by access; the numeric core of frontier, gap and lag."""

    name: str
    kind: str
    scale: Scale
    closed: Side
    open: Side

    @property
    def has_pair(self) -> bool:
        return self.closed.days.size > 0 and self.open.days.size > 0


def _side(rows: pd.DataFrame) -> Side:
    days = to_days(rows["release_date"])
    scores = rows["score"].to_numpy(dtype=float)
    # by day, and a day's best model first: it is that day's frontier step, whatever the
    # models are called (the first model to reach a level is then never a weaker one of
    # the same day)
    order = np.lexsort((-scores, days))

    def texts(col: str) -> tuple[str, ...]:
        return tuple(str(v) for v in rows[col].to_numpy()[order]) if col in rows else ()

    return Side(
        days=days[order],
        scores=scores[order],
        models=texts("model_id"),
        variants=texts("variant"),
        sources=texts("source"),
    )


def benches(scores: pd.DataFrame, scales: dict[str, str] | None = None) -> list[Bench]:
    """Split a model-scores table (one row per model and benchmark) into Bench cores.

    Rows without a score or release date, or with an access other than open/closed, are
    dropped here; `flags` reports them.
    """
    out: list[Bench] = []
    if scores.empty:
        return out
    ok = scores["score"].notna() & pd.to_datetime(scores["release_date"], errors="coerce").notna()
    ok &= scores["access"].isin(["open", "closed"])
    for name, g in scores.loc[ok].groupby("benchmark", sort=True):
        out.append(
            Bench(
                name=str(name),
                kind=str(g["kind"].iloc[0]),
                scale=scale_of(
                    g["unit"].iloc[0] if "unit" in g else None, (scales or {}).get(str(name))
                ),
                closed=_side(g[g["access"] == "closed"]),
                open=_side(g[g["access"] == "open"]),
            )
        )
    return out


def frontier_table(bench_list: list[Bench]) -> pd.DataFrame:
    """Step points of each side's frontier: a row each time the best score rises."""
    rows = []
    for b in bench_list:
        for access, side in (("closed", b.closed), ("open", b.open)):
            prev = -np.inf
            for i, (d, s, m) in enumerate(zip(side.days, side.scores, side.models, strict=True)):
                if s > prev:
                    rows.append(
                        {
                            "benchmark": b.name,
                            "kind": b.kind,
                            "access": access,
                            "date": from_days(d),
                            "score": float(s),
                            "model_id": m,
                            "source": side.sources[i] if side.sources else "",
                        }
                    )
                    prev = s
    cols = FRONTIER_COLUMNS + FRONTIER_EXTRA
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def gap_values(b: Bench, c: np.ndarray, o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if b.scale == "horizon":
        # minutes: the raw difference grows with the frontier itself, so the second measure
        # is the gap in doublings (log2 ratio) rather than a logit
        with np.errstate(divide="ignore", invalid="ignore"):
            return c - o, np.log2(c / o)
    return c - o, logit(c) - logit(o)


def gap_table(bench_list: list[Bench]) -> pd.DataFrame:
    """C(t), O(t) and the gap at every release date once both sides have a model.

    For fraction scores gap_logit is logit(C) - logit(O) (scores clipped to [0.001, 0.999]);
    for horizon scores (minutes) it is log2(C / O), the gap in doublings.
    """
    rows = []
    for b in bench_list:
        if not b.has_pair:
            continue
        start = max(b.closed.days[0], b.open.days[0])
        days = np.unique(np.concatenate([b.closed.days, b.open.days]))
        days = days[days >= start]
        c, o = b.closed.at(days), b.open.at(days)
        gap, gap2 = gap_values(b, c, o)
        for i, d in enumerate(days):
            rows.append(
                {
                    "benchmark": b.name,
                    "kind": b.kind,
                    "date": from_days(d),
                    "closed_best": float(c[i]),
                    "open_best": float(o[i]),
                    "gap": float(gap[i]),
                    "gap_logit": float(gap2[i]),
                    "scale": b.scale,
                }
            )
    cols = GAP_COLUMNS + GAP_EXTRA
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def window_gap(b: Bench, start: float, end: float, *, on_logit: bool = False) -> float:
    """Mean score gap over a monthly grid within [start, end] (days) where both sides exist.

    A time average (not a mean over release events) so that a burst of releases does not
    weigh a period more. NaN when the window holds no such date.
    """
    if not b.has_pair:
        return float("nan")
    lo = max(start, b.closed.days[0], b.open.days[0])
    hi = min(end, max(b.closed.days[-1], b.open.days[-1]))
    if hi < lo:
        return float("nan")
    grid = np.arange(lo, hi + 1e-9, DAYS_PER_MONTH)
    gap, gap2 = gap_values(b, b.closed.at(grid), b.open.at(grid))
    vals = gap2 if on_logit else gap
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def saturation(b: Bench) -> str | None:
    """Why a fraction-scale benchmark's score gap is not informative, or None."""
    if b.scale != "fraction":
        return None
    top = max(
        float(b.closed.best[-1]) if b.closed.scores.size else -np.inf,
        float(b.open.best[-1]) if b.open.scores.size else -np.inf,
    )
    if top > SATURATED_HIGH:
        return f"saturated: frontier {top:.2f} > {SATURATED_HIGH}"
    if top < SATURATED_LOW:
        return f"floor: frontier {top:.2f} < {SATURATED_LOW}"
    return None


def no_point_gaps(bench_list: list[Bench]) -> set[str]:
    """Benchmarks left out of the score-gap measures: saturated or floor (a ceiling
    compresses the gap) and horizon-scale ones (minutes are not points)."""
    return {b.name for b in bench_list if saturation(b) or b.scale == "horizon"}
