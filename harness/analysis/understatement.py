"""The understatement test: D = gap(agentic) - gap(standard), with a bootstrap CI.

Each benchmark contributes one number per measure for the chosen window (its mean lag, or
its time-averaged score gap); gap(kind) is the mean over that kind's benchmarks. The CI
resamples benchmarks within each kind (a stratified bootstrap, so both kinds keep their
size; each kind's spread widened for its small size, an expanded percentile interval), and, for benchmarks run by gapbench itself, the tasks within each benchmark too: a
replicate first redraws the tasks (paired across models), recomputes every model's score,
frontier and gap, then redraws the benchmarks. The one-sided p-value for H0: D <= 0 is
(1 + #{D* <= 0}) / (B + 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
from scipy.stats import norm
from scipy.stats import t as student_t

from harness.analysis._common import cluster_weights, percentile_ci, to_date, to_days
from harness.analysis.frontier import Bench, window_gap
from harness.analysis.lag import window_catchup, window_lag
from harness.analysis.scores import TaskMatrix
from harness.analysis.tables import UNDERSTATEMENT_COLUMNS, empty

Stat = Callable[[Bench, float, float], float]
MEASURES: dict[str, Stat] = {
    "lag_months": window_lag,
    "score_gap": window_gap,
    "score_gap_logit": lambda b, s, e: window_gap(b, s, e, on_logit=True),
    "catchup_months": window_catchup,
}
MIN_BENCHMARKS = 2  # per kind; fewer gives "insufficient"
Window = tuple[date | str | None, date | str | None] | None


def window_days(window: Window) -> tuple[float, float]:
    if window is None:
        return (-np.inf, np.inf)
    s, e = window
    lo = to_days(pd.Series([s]))[0] if s is not None else -np.inf
    hi = to_days(pd.Series([e]))[0] if e is not None else np.inf
    return (float(lo) if np.isfinite(lo) else -np.inf, float(hi) if np.isfinite(hi) else np.inf)


def _replicates(
    b: Bench,
    stat: Stat,
    start: float,
    end: float,
    point: float,
    tm: TaskMatrix | None,
    weights: np.ndarray | None,
    n_boot: int,
) -> np.ndarray:
    """Per-replicate values of one benchmark's statistic under task resampling, if any."""
    if tm is None or weights is None:
        return np.full(n_boot, point)
    boot = tm.boot_scores(weights)  # (n_boot, n_models)
    col = {m: i for i, m in enumerate(tm.models)}
    ci = [col[m] for m in b.closed.models]
    oi = [col[m] for m in b.open.models]
    out = np.empty(n_boot)
    for r in range(n_boot):
        rb = Bench(
            b.name,
            b.kind,
            b.scale,
            b.closed.with_scores(boot[r, ci]),
            b.open.with_scores(boot[r, oi]),
        )
        out[r] = stat(rb, start, end)
    return out


def understatement(
    bench_list: Sequence[Bench],
    *,
    window: Window = None,
    measures: Sequence[str] = ("lag_months", "score_gap", "score_gap_logit", "catchup_months"),
    task_matrices: Mapping[str, TaskMatrix] | None = None,
    exclude: Mapping[str, set[str]] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_benchmarks: int = MIN_BENCHMARKS,
) -> pd.DataFrame:
    """One row per measure: agentic mean, standard mean, D, CI, p-value, ratio (agentic/standard).

    `exclude` maps a measure to benchmark names left out of it (e.g. saturated benchmarks
    for the score gap, where a ceiling compresses the gap).
    """
    start, end = window_days(window)
    w_start = to_date(window[0]) if window else None
    w_end = to_date(window[1]) if window else None
    rng = np.random.default_rng(seed)
    tms = dict(task_matrices or {})
    # one set of task weights per benchmark, shared by all measures (same replicate world)
    weights = {name: cluster_weights(rng, len(tm.tasks), n_boot) for name, tm in tms.items()}
    rows = []
    for measure in measures:
        stat = MEASURES[measure]
        skip = (exclude or {}).get(measure, set())
        vals: dict[str, list[float]] = {"agentic": [], "standard": []}
        reps: dict[str, list[np.ndarray]] = {"agentic": [], "standard": []}
        for b in bench_list:
            if b.name in skip or b.kind not in vals:
                continue
            v = stat(b, start, end)
            if not np.isfinite(v):
                continue
            vals[b.kind].append(v)
            reps[b.kind].append(
                _replicates(b, stat, start, end, v, tms.get(b.name), weights.get(b.name), n_boot)
            )
        rows.append(
            _test_row(measure, vals, reps, rng, n_boot, level, min_benchmarks, w_start, w_end)
        )
    return (
        pd.DataFrame(rows, columns=UNDERSTATEMENT_COLUMNS)
        if rows
        else empty(UNDERSTATEMENT_COLUMNS)
    )


def expansion(n: int, level: float = 0.95) -> float:
    """Factor sqrt(n/(n-1)) * t_{n-1} / z that widens a percentile interval over n units."""
    if n < 2:
        return 1.0
    q = 0.5 + level / 2
    return float(np.sqrt(n / (n - 1)) * student_t.ppf(q, n - 1) / norm.ppf(q))


def _test_row(
    measure: str,
    vals: dict[str, list[float]],
    reps: dict[str, list[np.ndarray]],
    rng: np.random.Generator,
    n_boot: int,
    level: float,
    min_benchmarks: int,
    w_start: date | None,
    w_end: date | None,
) -> dict[str, object]:
    na, ns = len(vals["agentic"]), len(vals["standard"])
    row: dict[str, object] = {
        "measure": measure,
        "window_start": w_start,
        "window_end": w_end,
        "agentic": np.nan,
        "standard": np.nan,
        "d": np.nan,
        "ci_low": np.nan,
        "ci_high": np.nan,
        "p_value": np.nan,
        "ratio": np.nan,
        "n_agentic": na,
        "n_standard": ns,
        "status": "ok",
        "reason": "",
    }
    if na < min_benchmarks or ns < min_benchmarks:
        row.update(
            status="insufficient",
            reason=f"{na} agentic and {ns} standard benchmarks with a value in the window "
            f"(need {min_benchmarks} of each)",
        )
        return row
    a, s = float(np.mean(vals["agentic"])), float(np.mean(vals["standard"]))
    ra, rs = np.vstack(reps["agentic"]), np.vstack(reps["standard"])  # (n_bench, n_boot)
    cols = np.arange(n_boot)
    ia = rng.integers(0, na, size=(n_boot, na))
    is_ = rng.integers(0, ns, size=(n_boot, ns))
    with warnings.catch_warnings():
        # a replicate whose drawn benchmarks all lost their value is dropped, not an error
        warnings.simplefilter("ignore", RuntimeWarning)
        da = np.nanmean(ra[ia, cols[:, None]], axis=1)
        ds = np.nanmean(rs[is_, cols[:, None]], axis=1)
    # expanded percentile bootstrap (Hesterberg 2015): with few benchmarks per kind the plain
    # bootstrap spread is too narrow by sqrt((n-1)/n) and ignores the t tail; widen each
    # kind's replicate spread around its estimate accordingly
    da = a + expansion(na, level) * (da - a)
    ds = s + expansion(ns, level) * (ds - s)
    d_star = da - ds
    d_star = d_star[np.isfinite(d_star)]
    lo, hi = percentile_ci(d_star, level)
    p = (1 + np.count_nonzero(d_star <= 0)) / (d_star.size + 1)
    row.update(
        agentic=a,
        standard=s,
        d=a - s,
        ci_low=lo,
        ci_high=hi,
        p_value=float(p),
        ratio=a / s if s > 0 else np.nan,
    )
    return row


def window_label(row: Mapping[str, object]) -> str:
    s, e = row.get("window_start"), row.get("window_end")
    if s is None and e is None:
        return "all dates"
    return f"{s or '...'} to {e or '...'}"
