"""The understatement test: D = gap(agentic) - gap(standard) per measure, with a bootstrap CI.

One row per measure under a window, a censoring rule and an averaging (docs/methods.md,
sections 3 and 5); the evidence and the bootstrap are in `dtest`. For benchmarks run by
gapbench itself, each replicate first redraws the tasks (paired across models), recomputes
every model's score, frontier and the benchmark's evidence, then redraws the benchmarks.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd

from harness.analysis._common import cluster_weights, to_date, to_days
from harness.analysis.columns import UNDERSTATEMENT_COLUMNS, empty
from harness.analysis.inference.dtest import TaskReplicates, d_row
from harness.analysis.inference.taskboot import task_replicates
from harness.analysis.measures.censor import lag_data
from harness.analysis.measures.evidence import KINDS, Evidence, evidence
from harness.analysis.measures.frontier import Bench
from harness.analysis.measures.scores import TaskMatrix
from harness.analysis.spec import MEASURE_UNITS, MIN_BENCHMARKS_PER_KIND, Averaging, Censoring
from harness.analysis.spec import window_label as spec_window_label

UNDERSTATEMENT_EXTRA = [
    "unit",
    "n_bounds",
    "at_least",
    "at_most",
    "se_agentic",
    "se_standard",
    "ci_method",
]

MEASURE_ORDER = ("lag_months", "score_gap", "score_gap_logit", "catchup_months")
Window = tuple[date | str | None, date | str | None] | None


def window_days(window: Window) -> tuple[float, float]:
    if window is None:
        return (-np.inf, np.inf)
    s, e = window
    lo = to_days(pd.Series([s]))[0] if s is not None else -np.inf
    hi = to_days(pd.Series([e]))[0] if e is not None else np.inf
    return (float(lo) if np.isfinite(lo) else -np.inf, float(hi) if np.isfinite(hi) else np.inf)


def understatement(
    bench_list: Sequence[Bench],
    *,
    window: Window = None,
    measures: Sequence[str] = MEASURE_ORDER,
    task_matrices: Mapping[str, TaskMatrix] | None = None,
    exclude: Mapping[str, set[str]] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
    min_benchmarks: int = MIN_BENCHMARKS_PER_KIND,
    censoring: Censoring = "both",
    averaging: Averaging = "benchmark",
) -> pd.DataFrame:
    """One row per measure: agentic, standard, D, CI, one-sided p, ratio (agentic/standard).

    `exclude` maps a measure to benchmark names left out of it (e.g. saturated benchmarks
    for the score gap, where a ceiling compresses the gap). For own-run benchmarks with a
    task matrix, each replicate also redraws tasks (exact evidence only; with bounds the
    bootstrap is over benchmarks alone).
    """
    start, end = window_days(window)
    w_start = to_date(window[0]) if window else None
    w_end = to_date(window[1]) if window else None
    rng = np.random.default_rng(seed)
    tms = dict(task_matrices or {})
    # one set of task weights per benchmark, shared by all measures (same replicate world),
    # each from its own stream: the benchmark bootstrap's draws (rng) are then the same
    # whichever own runs the store holds, so a run that adds no evidence moves nothing
    weights = {
        name: cluster_weights(_task_stream(seed, name), len(tm.tasks), n_boot)
        for name, tm in tms.items()
    }
    lag_cache = {b.name: lag_data(b, censoring) for b in bench_list if b.has_pair}
    rows = []
    for measure in measures:
        skip = (exclude or {}).get(measure, set())
        evs: list[Evidence] = []
        reps: dict[str, TaskReplicates] = {}
        for b in bench_list:
            if b.name in skip or b.kind not in KINDS:
                continue
            ev = evidence(b, measure, start, end, censoring, lag_cache.get(b.name))
            if ev is None:
                continue
            evs.append(ev)
            if b.name in tms and ev.exact:
                reps[b.name] = task_replicates(
                    b, measure, start, end, censoring, tms[b.name], weights[b.name]
                )
        r = d_row(
            evs,
            averaging=averaging,
            n_boot=n_boot,
            rng=rng,
            level=level,
            min_benchmarks=min_benchmarks,
            task_reps=reps,
        )
        a, st = float(r["agentic"]), float(r["standard"])  # type: ignore[arg-type]
        rows.append(
            {
                "measure": measure,
                "window_start": w_start,
                "window_end": w_end,
                **{k: r[k] for k in ("agentic", "standard", "d", "ci_low", "ci_high")},
                "p_value": r["p_one_sided"],
                "ratio": a / st if np.isfinite(st) and st > 0 else np.nan,
                **{k: r[k] for k in ("n_agentic", "n_standard", "status", "reason")},
                "unit": MEASURE_UNITS[measure],
                "n_bounds": r["n_bounds"],
                **{k: r[k] for k in UNDERSTATEMENT_EXTRA[2:]},
            }
        )
    cols = UNDERSTATEMENT_COLUMNS + UNDERSTATEMENT_EXTRA
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def _task_stream(seed: int, benchmark: str) -> np.random.Generator:
    """The task-resampling generator of one own-run benchmark: seeded by the spec's seed and
    the benchmark's name (stable across processes, unlike hash())."""
    return np.random.default_rng([seed, zlib.crc32(benchmark.encode("utf-8"))])


def window_label(row: Mapping[str, object]) -> str:
    """'all dates', 'since 2025-01-01', 'until ...' or 'A to B' for an understatement row."""
    return spec_window_label(to_date(row.get("window_start")), to_date(row.get("window_end")))
