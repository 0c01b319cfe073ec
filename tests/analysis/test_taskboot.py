"""The vectorised task-resampling replicates (taskboot) against the per-replicate evidence.

The reference is the implementation taskboot replaced: one Bench per replicate through
`dtest.evidence`. Random own-run benchmarks with tied release days (first-model censoring),
scores on the thresholds' grid (ties at a level), models with few tasks (replicates where
none is drawn: NaN scores, the per-replicate path) and both frontiers stepping and falling.
"""

import numpy as np

from harness.analysis._common import cluster_weights
from harness.analysis.inference import taskboot
from harness.analysis.inference.dtest import TaskReplicates
from harness.analysis.inference.taskboot import task_replicates
from harness.analysis.measures.evidence import evidence
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.measures.scores import TaskMatrix

CENSORING = ("none", "both", "closed", "open", "bounds")
# (measure, censoring rules that change it): catch-up treats bounds as both; gaps ignore it
CASES = (
    [("lag_months", c) for c in CENSORING]
    + [("catchup_months", c) for c in ("none", "both", "closed", "open")]
    + [("score_gap", "both"), ("score_gap_logit", "both")]
)
WINDOWS = ((-np.inf, np.inf), (200.0, 520.0))
N_BOOT = 40


def per_replicate(
    b: Bench, measure: str, start: float, end: float, censoring, tm: TaskMatrix, weights
) -> TaskReplicates:
    """The replaced implementation: each replicate's Bench through dtest.evidence."""
    boot = tm.boot_scores(weights)
    col = {m: i for i, m in enumerate(tm.models)}
    ci = [col[m] for m in b.closed.models]
    oi = [col[m] for m in b.open.models]
    s, w = np.full(weights.shape[0], np.nan), np.full(weights.shape[0], np.nan)
    for r in range(weights.shape[0]):
        rb = Bench(
            b.name,
            b.kind,
            b.scale,
            b.closed.with_scores(boot[r, ci]),
            b.open.with_scores(boot[r, oi]),
        )
        ev = evidence(rb, measure, start, end, censoring)
        if ev is not None and ev.exact:
            s[r], w[r] = ev.sums
    return s, w


def random_bench(g: np.random.Generator, scale: str = "fraction") -> tuple[Bench, TaskMatrix]:
    """A benchmark whose models improve over two years with noise; task scores in halves
    (two epochs), so model means fall on the 0.05 threshold grid now and then."""
    n_tasks = int(g.integers(4, 13))
    sides = {}
    rows, names = [], []
    for access, shift in (("closed", 0.0), ("open", float(g.integers(0, 240)))):
        n = int(g.integers(1, 7))
        # a coarse day grid: ties, also on the side's first day
        days = np.sort(g.choice(np.arange(0, 720, 60), size=n) + shift)
        ability = np.clip(0.1 + days / 900 + g.normal(0, 0.15, n), 0.02, 0.98)
        models = tuple(f"{access}{i}" for i in range(n))
        for m, a in zip(models, ability, strict=True):
            v = np.round(np.clip(g.normal(a, 0.3, n_tasks), 0, 1) * 2) / 2
            if scale == "fraction" and g.random() < 0.25:  # few tasks: some draws have none
                v[g.permutation(n_tasks)[: n_tasks - int(g.integers(1, 3))]] = np.nan
            if scale == "horizon":
                v = 2.0 ** (1 + 6 * v)
            rows.append(v)
            names.append(m)
        sides[access] = (days, models)
    tm = TaskMatrix(
        models=tuple(names), tasks=tuple(f"t{i}" for i in range(n_tasks)), values=np.array(rows)
    )
    point = dict(zip(names, np.nanmean(tm.values, axis=1), strict=True))

    def side(access: str) -> Side:
        days, models = sides[access]
        return Side(days.astype(float), np.array([point[m] for m in models]), models)

    return Bench("b", "agentic", scale, side("closed"), side("open")), tm  # type: ignore[arg-type]


def compare(n_benches: int, seed: int = 7) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Per (measure, censoring): (mismatching cases, finite replicates, NaN-score replicates).

    A case is one benchmark in one window; it mismatches when any replicate's (sum, weight)
    differs from the reference (NaN where the reference has none)."""
    g = np.random.default_rng(seed)
    out = {case: [0, 0, 0] for case in CASES}
    for _ in range(n_benches):
        b, tm = random_bench(g)
        weights = cluster_weights(g, len(tm.tasks), N_BOOT)
        nan_scores = int((~np.isfinite(tm.boot_scores(weights))).any(axis=1).sum())
        for measure, censoring in CASES:
            tally = out[(measure, censoring)]
            tally[2] += nan_scores
            for start, end in WINDOWS:
                got = task_replicates(b, measure, start, end, censoring, tm, weights)
                want = per_replicate(b, measure, start, end, censoring, tm, weights)
                same = all(
                    np.allclose(x, y, rtol=1e-9, atol=1e-9, equal_nan=True)
                    for x, y in zip(got, want, strict=True)
                )
                tally[0] += not same
                tally[1] += int(np.isfinite(want[0]).sum())
    return {k: (v[0], v[1], v[2]) for k, v in out.items()}


def test_vectorised_replicates_equal_the_per_replicate_evidence():
    tallies = compare(n_benches=30)
    for case, (mismatches, finite, nan_scores) in tallies.items():
        assert mismatches == 0, case
        # the comparison is not vacuous: values to compare and NaN-score replicates in it
        assert finite > 10 and nan_scores > 0, case


def _with_raw_frontier(b, measure, start, end, censoring, closed, opened):
    """A wrong `_vector_sums`: each model's own score in place of the running best."""
    if measure == "lag_months":
        return taskboot._lag(b, start, end, censoring, closed, opened)
    if measure == "catchup_months":
        c = "both" if censoring == "bounds" else censoring
        return taskboot._catchup(b, start, end, c, closed, opened)
    return taskboot._gap(b, start, end, closed, opened, on_logit=measure == "score_gap_logit")


_reached = taskboot._reached


def _reached_past_level(best, levels):
    """A wrong `_reached`: a score exactly on a threshold does not reach it (no tolerance)."""
    return _reached(best, levels + 2e-12)


def test_the_comparison_catches_a_wrong_frontier(monkeypatch):
    monkeypatch.setattr(taskboot, "_vector_sums", _with_raw_frontier)
    tallies = compare(n_benches=12)
    for case in CASES:
        assert tallies[case][0] > 0, case


def test_the_comparison_catches_a_tie_at_a_threshold(monkeypatch):
    monkeypatch.setattr(taskboot, "_reached", _reached_past_level)
    tallies = compare(n_benches=30)
    assert sum(tallies[c][0] for c in CASES if c[0] == "lag_months") > 0


def test_horizon_benchmarks_take_the_per_replicate_path():
    g = np.random.default_rng(3)
    for _ in range(4):
        b, tm = random_bench(g, scale="horizon")
        weights = cluster_weights(g, len(tm.tasks), N_BOOT)
        for measure, censoring in CASES:
            got = task_replicates(b, measure, -np.inf, np.inf, censoring, tm, weights)
            want = per_replicate(b, measure, -np.inf, np.inf, censoring, tm, weights)
            for x, y in zip(got, want, strict=True):
                np.testing.assert_array_equal(x, y)
