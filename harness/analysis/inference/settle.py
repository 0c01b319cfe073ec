"""What data would settle the answer, and what to evaluate next.

"Settled" means the CI of D(lag) says something either way: it lies above 0, below 0, or
inside +-1 month (any difference between the kinds is then under a month). Three answers:

- more benchmarks: how many more per kind, at the current spread between benchmarks and the
  current estimate, would settle it. Each kind's spread is its bootstrap standard error times
  sqrt(n); with n + m benchmarks the CI's half-width is about
  z sqrt(sum over kinds of (widening(n + m) spread / sqrt(n + m))^2), the widening being the
  same small-sample factor the interval uses (`intervals.expansion`).
- more evaluations: every (model, benchmark) pair the data lack, with the model's score on
  the benchmark predicted from its capability (the Epoch Capabilities Index when the data
  have it, else its mean rank across benchmarks) by a linear fit on that benchmark's
  evaluated models (logit of the score; log2 minutes for horizons). A pair is a candidate
  only if adding it can change the benchmark's lag evidence (a new frontier point, a new
  first model, or a later last model, which moves the bounds of unreached thresholds) and
  adds at least one exact lag (a bound alone, e.g. on a saturated benchmark, would add a
  benchmark to the count without evidence, narrowing the CI for nothing). Each
  candidate is added alone and D(lag) recomputed with the same bootstrap draws (common
  random numbers, so the change is the data's, not the resampling's, and each benchmark
  keeps its column of the draws); they are ranked by how much they narrow the CI (those
  that would widen it are left out). Many models change a benchmark alike (every open model
  after the last one extends the same bounds): per benchmark only the PER_BENCHMARK that
  add the most exact lags, then datapoints, are tried; models released the same day with
  the same capability count once (API aliases of one model).
- in order: the ranked evaluations added one after another (up to GREEDY_MAX), and how
  many settle it (often none do: more evaluations on the same benchmarks narrow the
  bounds, not the spread between benchmarks).

Predicted scores only rank what to run; they never enter a reported D.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import norm

from harness.analysis._common import from_days, logit, percentile_ci, to_days
from harness.analysis.columns import NEXT_COLUMNS, empty
from harness.analysis.inference.dtest import kind_estimate, resample_counts, widened_d
from harness.analysis.intervals import expansion
from harness.analysis.measures.eci import grouped_eci
from harness.analysis.measures.evidence import KINDS, Evidence, evidence
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.spec import MIN_BENCHMARKS_PER_KIND, AnalysisSpec

_EPOCH = date(1970, 1, 1)
TARGET_MONTHS = 1.0  # settled: CI above 0, below 0, or within +-TARGET_MONTHS
MAX_MORE = 2000  # benchmarks per kind tried before "not within reach"
GREEDY_MAX = 40  # ranked evaluations added in order, at most
PER_BENCHMARK = 6  # candidates per benchmark whose CI is computed
MIN_FIT = 4  # evaluated models with a capability value a benchmark needs for a prediction


def settled(lo: float, hi: float, target: float = TARGET_MONTHS) -> bool:
    return bool(lo > 0 or hi < 0 or (lo > -target and hi < target))


@dataclass(frozen=True)
class Candidate:
    model_id: str
    access: str
    day: float
    capability: float


@dataclass(frozen=True)
class Settle:
    """What would settle D(lag) under a specification (see the module doc)."""

    status: str
    reason: str
    target: float
    ci: tuple[float, float]
    more_benchmarks_per_kind: int | None
    projected_ci: tuple[float, float] | None
    capability: str  # what predicted the missing scores
    ranked: pd.DataFrame  # NEXT_COLUMNS, best first
    in_order: dict[str, object]  # the ranked evaluations added in order: how many, the CI
    evaluations_to_settle: int | None

    @property
    def width(self) -> float:
        return self.ci[1] - self.ci[0]

    def to_dict(self) -> dict[str, object]:
        def f(x: float | None) -> float | None:
            return float(x) if x is not None and np.isfinite(x) else None

        return {
            "status": self.status,
            "reason": self.reason,
            "target_months": self.target,
            "ci": [f(self.ci[0]), f(self.ci[1])],
            "more_benchmarks_per_kind": self.more_benchmarks_per_kind,
            "projected_ci": None
            if self.projected_ci is None
            else [f(self.projected_ci[0]), f(self.projected_ci[1])],
            "capability": self.capability,
            "ranked_added_in_order": self.in_order,
            "evaluations_to_settle": self.evaluations_to_settle,
        }


def more_benchmarks(
    row: Mapping[str, object], level: float, target: float = TARGET_MONTHS
) -> tuple[int | None, tuple[float, float] | None]:
    """(m, projected CI): the fewest extra benchmarks per kind that settle D at the current
    estimate and spread; (None, None) when even MAX_MORE would not."""
    d = float(row["d"])  # type: ignore[arg-type]
    spread = {
        k: float(row[f"se_{k}"]) * np.sqrt(float(row[f"n_{k}"]))  # type: ignore[arg-type]
        for k in KINDS
    }
    n = {k: int(row[f"n_{k}"]) for k in KINDS}  # type: ignore[call-overload]
    if not all(np.isfinite(v) for v in (d, *spread.values())):
        return None, None
    z = float(norm.ppf(0.5 + level / 2))
    for m in range(MAX_MORE + 1):
        var = sum((expansion(n[k] + m, level) * spread[k]) ** 2 / (n[k] + m) for k in KINDS)
        half = z * float(np.sqrt(var))
        if settled(d - half, d + half, target):
            return m, (d - half, d + half)
    return None, None


def capabilities(
    scores: pd.DataFrame, eci: pd.DataFrame | None
) -> tuple[dict[str, float], str, list[Candidate]]:
    """(model -> capability, what it is, every model with a release date and access): the
    ECI where the data carry it (grouped like the scores), else the model's mean percentile
    rank over the benchmarks it has a 0-1 score on."""
    ok = scores[(scores["status"] == "ok") & scores["access"].isin(["open", "closed"])]
    models: dict[str, Candidate] = {}
    days = to_days(ok["release_date"])
    for m, a, d in zip(ok["model_id"], ok["access"], days, strict=True):
        if np.isfinite(d):
            models.setdefault(str(m), Candidate(str(m), str(a), float(d), np.nan))
    if eci is not None and not eci.empty:
        g = grouped_eci(eci)  # the same model identity as the scores
        cap = dict(zip(g["model_id"].astype(str), g["eci"].astype(float), strict=True))
        for m, a, d in zip(g["model_id"], g["access"], g["day"], strict=True):
            if str(m) not in models and a in ("open", "closed") and np.isfinite(d):
                models[str(m)] = Candidate(str(m), str(a), float(d), np.nan)
        label = "the Epoch Capabilities Index"
    else:
        frac = ok[ok["unit"] == "fraction"]
        ranks = frac.groupby("benchmark")["score"].rank(pct=True)
        cap = ranks.groupby(frac["model_id"]).mean().astype(float).to_dict()
        label = "the model's mean percentile rank over its benchmarks"
    out = [
        Candidate(c.model_id, c.access, c.day, float(cap[c.model_id]))
        for c in models.values()
        if c.model_id in cap and np.isfinite(cap[c.model_id])
    ]
    return {str(k): float(v) for k, v in cap.items()}, label, out


def _predictor(b: Bench, cap: Mapping[str, float]) -> tuple[float, float] | None:
    """(intercept, slope) of transformed score on capability over b's evaluated models."""
    x, y = [], []
    for side in (b.closed, b.open):
        for m, s in zip(side.models, side.scores, strict=True):
            if m in cap and np.isfinite(s):
                x.append(cap[m])
                y.append(_to_line(b, float(s)))
    xa, ya = np.array(x), np.array(y)
    good = np.isfinite(ya)
    if good.sum() < MIN_FIT or np.ptp(xa[good]) <= 0:
        return None
    slope, intercept = np.polyfit(xa[good], ya[good], 1)
    return float(intercept), float(slope)


def _to_line(b: Bench, s: float) -> float:
    if b.scale == "horizon":
        return float(np.log2(s)) if s > 0 else np.nan
    return float(logit(s))


def _from_line(b: Bench, v: float) -> float:
    return float(2.0**v) if b.scale == "horizon" else float(1 / (1 + np.exp(-v)))


def _information(new: Evidence, old: Evidence | None, day: float) -> tuple[int, int, float]:
    """How much more a benchmark's evidence says: exact lags gained, datapoints gained, and
    (to break ties) the most recent model."""
    n_exact = int(np.sum(new.lo == new.hi)) - (int(np.sum(old.lo == old.hi)) if old else 0)
    return (n_exact, new.n - (old.n if old else 0), day)


def _aliases_once(
    found: list[tuple[tuple[int, int, float], Candidate, float, Evidence]],
) -> list[tuple[tuple[int, int, float], Candidate, float, Evidence]]:
    """One candidate per (release day, capability, access): models released the same day
    with the same capability are one model under several API names (deepseek-chat,
    deepseek-reasoner, deepseek-v3.2), which identity grouping cannot see from the names."""
    seen: set[tuple[float, float, str]] = set()
    out = []
    for item in sorted(found, key=lambda x: (-x[0][0], -x[0][1], -x[0][2], x[1].model_id)):
        c = item[1]
        key = (c.day, round(c.capability, 6), c.access)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _changes_evidence(side: Side, day: float, score: float) -> bool:
    """Could one more model on this side move the benchmark's lag datapoints?"""
    if not side.days.size or day < side.days[0] or day > side.days[-1]:
        return True  # a new first model (censoring) or a later last one (pending bounds)
    best = side.at(np.array([day]))[0]
    return bool(score > best)


def _added(b: Bench, c: Candidate, score: float) -> Bench:
    side = b.closed if c.access == "closed" else b.open
    new = side.with_model(c.day, score, c.model_id, "predicted")
    if c.access == "closed":
        return Bench(b.name, b.kind, b.scale, new, b.open)
    return Bench(b.name, b.kind, b.scale, b.closed, new)


class _Scorer:
    """D(lag)'s CI with one set of bootstrap draws per kind (common random numbers, so two
    evidence sets differ only by their data), the unchanged kind's fit reused."""

    def __init__(self, spec: AnalysisSpec, start: float, end: float) -> None:
        self.spec, self.start, self.end = spec, start, end
        self._counts: dict[tuple[str, int], np.ndarray] = {}
        # fits by the identity of the evidence objects; each entry holds its group, so an id
        # is never reused while its fit is cached
        self._fits: dict[tuple[str, tuple[int, ...]], tuple[list[Evidence], float, np.ndarray]]
        self._fits = {}

    def evidence(self, b: Bench) -> Evidence | None:
        if b.kind not in KINDS or not b.has_pair:
            return None
        return evidence(b, "lag_months", self.start, self.end, self.spec.censoring)

    def _fit(self, kind: str, group: list[Evidence]) -> tuple[float, np.ndarray]:
        key = (kind, tuple(id(e) for e in group))
        if key not in self._fits:
            n = len(group)
            if (kind, n) not in self._counts:
                rng = np.random.default_rng([self.spec.seed + 4, KINDS.index(kind), n])
                self._counts[(kind, n)] = resample_counts(rng, n, self.spec.curve_replicates)
            e, r = kind_estimate(group, self.spec.averaging, self._counts[(kind, n)])
            self._fits[key] = (group, e, r)
        _, e, r = self._fits[key]
        return e, r

    def ci(self, evs: Sequence[Evidence]) -> tuple[float, float]:
        by_kind = {k: [e for e in evs if e.kind == k] for k in KINDS}
        if min(len(v) for v in by_kind.values()) < MIN_BENCHMARKS_PER_KIND:
            return (float("nan"), float("nan"))
        est, raw, sizes = {}, {}, {}
        for k, group in by_kind.items():
            est[k], raw[k] = self._fit(k, group)
            sizes[k] = len(group)
        if not all(np.isfinite(v) for v in est.values()):
            return (float("nan"), float("nan"))
        return percentile_ci(widened_d(est, raw, sizes, self.spec.ci), self.spec.ci)


def what_would_settle(
    bench_list: Sequence[Bench],
    spec: AnalysisSpec,
    primary: Mapping[str, object],
    *,
    scores: pd.DataFrame,
    eci: pd.DataFrame | None = None,
    today: date | None = None,
    top: int | None = None,
) -> Settle:
    """What would settle D(lag) under `spec` (see the module doc); `primary` is the spec's
    D(lag) row (with se_agentic / se_standard)."""
    level = spec.ci
    if primary.get("status") != "ok":
        return Settle(
            "insufficient",
            str(primary.get("reason") or "no primary D"),
            TARGET_MONTHS,
            (float("nan"), float("nan")),
            None,
            None,
            "",
            empty(NEXT_COLUMNS),
            {},
            None,
        )
    lo, hi = float(primary["ci_low"]), float(primary["ci_high"])  # type: ignore[arg-type]
    m, projected = more_benchmarks(primary, level)
    start = float(to_days(pd.Series([spec.since]))[0]) if spec.since else -np.inf
    end = float(to_days(pd.Series([spec.until]))[0]) if spec.until else np.inf
    last = float(to_days(pd.Series([today]))[0]) if today else np.inf
    scorer = _Scorer(spec, start, end)
    benches = {b.name: b for b in bench_list if b.kind in KINDS and b.has_pair}
    base_ev = {n: scorer.evidence(b) for n, b in benches.items()}
    evs = [e for e in base_ev.values() if e is not None]
    base = scorer.ci(evs)
    cap, label, cands = capabilities(scores, eci)
    rows: list[dict[str, object]] = []
    for name, b in benches.items():
        fit = _predictor(b, cap)
        if fit is None:
            continue
        have = set(b.closed.models) | set(b.open.models)
        old = base_ev[name]
        found: list[tuple[tuple[int, int, float], Candidate, float, Evidence]] = []
        for c in cands:
            if c.model_id in have or not (start <= c.day <= min(end, last)):
                continue
            pred = _from_line(b, fit[0] + fit[1] * c.capability)
            side = b.closed if c.access == "closed" else b.open
            if not _changes_evidence(side, c.day, pred):
                continue
            ev = scorer.evidence(_added(b, c, pred))
            if ev is None or (
                old is not None and np.array_equal(ev.lo, old.lo) and np.array_equal(ev.hi, old.hi)
            ):
                continue
            info = _information(ev, old, c.day)
            if info[0] <= 0:
                # no new exact lag: a bound alone (a saturated benchmark's vacuous "the open
                # side leads by at most 30 months") adds a benchmark to count, not evidence
                continue
            found.append((info, c, pred, ev))
        # the CI only for the candidates that add most to what the benchmark says (exact
        # lags, then datapoints, then the most recent): many models change it alike
        found.sort(key=lambda x: x[0], reverse=True)
        found = _aliases_once(found)
        for _, c, pred, ev in found[:PER_BENCHMARK]:
            # in place: each benchmark keeps its column of the bootstrap draws
            new = scorer.ci(
                [e for e in (ev if n == name else x for n, x in base_ev.items()) if e is not None]
            )
            if not np.isfinite(new[0]):
                continue
            rows.append(
                {
                    "model_id": c.model_id,
                    "access": c.access,
                    "release_date": from_days(c.day),
                    "benchmark": name,
                    "kind": b.kind,
                    "unit": "minutes" if b.scale == "horizon" else "fraction",
                    "predicted_score": pred,
                    "ci_low_after": new[0],
                    "ci_high_after": new[1],
                    "width_gain": (base[1] - base[0]) - (new[1] - new[0]),
                }
            )
    ranked = pd.DataFrame(rows, columns=[c for c in NEXT_COLUMNS if c != "rank"])
    # only evaluations that narrow the CI (more data can also widen it: a new datapoint
    # far from the others)
    ranked = ranked[ranked["width_gain"] > 0].sort_values(
        ["width_gain", "model_id", "benchmark"], ascending=[False, True, True]
    )
    ranked = ranked.reset_index(drop=True)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    added, need = _in_order(scorer, benches, base_ev, ranked)
    return Settle(
        "ok",
        "",
        TARGET_MONTHS,
        (lo, hi),
        m,
        projected,
        label,
        ranked.head(top) if top else ranked,
        added,
        need,
    )


def _in_order(
    scorer: _Scorer,
    benches: Mapping[str, Bench],
    base_ev: Mapping[str, Evidence | None],
    ranked: pd.DataFrame,
) -> tuple[dict[str, object], int | None]:
    """The ranked evaluations added one after another (several on one benchmark add up):
    the first count that settles D, else what GREEDY_MAX of them reach."""
    current = dict(benches)
    evs = dict(base_ev)
    reached: dict[str, object] = {"added": 0, "ci_low": None, "ci_high": None, "settles": False}
    for k, r in enumerate(ranked.head(GREEDY_MAX).to_dict("records"), start=1):
        name = str(r["benchmark"])
        day = float((r["release_date"] - _EPOCH).days)
        c = Candidate(str(r["model_id"]), str(r["access"]), day, np.nan)
        current[name] = _added(current[name], c, float(r["predicted_score"]))
        evs[name] = scorer.evidence(current[name])
        lo, hi = scorer.ci([e for e in evs.values() if e is not None])
        if not np.isfinite(lo):
            continue
        reached = {"added": k, "ci_low": lo, "ci_high": hi, "settles": settled(lo, hi)}
        if settled(lo, hi):
            return reached, k
    return reached, None
