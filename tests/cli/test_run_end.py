"""A run ends with its table (scores with Wilson intervals, errors, limits, cost per model and
suite), and off a terminal it prints a progress line at a steady interval."""

from __future__ import annotations

import io
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from harness import api
from harness._types import DeploymentFacts, SampleRecord
from harness.analysis import intervals
from harness.api.results import Results
from harness.api.scoretable import (
    INTERVAL_METHOD,
    ScoreTable,
    run_end_table,
    score_table,
    wilson_effective,
)
from harness.cli.progress import SweepProgress
from harness.store import Store
from harness.sweep.outcome import SweepOutcome
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.spec import SweepSpec


def _record(run_id: str, sample: str, epoch: int, status: str, score: float | None) -> SampleRecord:
    return SampleRecord(
        run_id=run_id,
        sample_key=f"{run_id}-{sample}-{epoch}",
        sweep_id="s",
        model_id="smollm2-135m-instruct",
        access="open",
        release_date=date(2025, 1, 1),
        suite="ladder_standard",
        suite_version="1",
        kind="standard",
        task="t",
        sample_id=sample,
        epoch=epoch,
        status=status,  # type: ignore[arg-type]
        engine="lm_eval",
        engine_version="x",
        harness_version="x",
        facts=DeploymentFacts(
            deployment_id="smollm2-135m-instruct@llama-cpp", provider="llama-cpp"
        ),
        score=score,
        cost_usd=0.01,
    )


def _plan(n_todo: int, run_id: str = "r", ids: tuple[str, ...] = (), epochs: int = 1) -> Plan:
    ws = api.workspace()
    card, dep = ws.registry.resolve("smollm2")
    suite = ws.suites.get("ladder_standard")
    ids = ids or tuple(f"x{i}" for i in range(n_todo))
    run = PlannedRun(
        run_id, card, dep, suite, "v", ids, epochs, tuple((i, 1) for i in ids[:n_todo])
    )
    sweep = SweepSpec(name="p", models=["smollm2"], suites=["ladder_standard"])
    return Plan(sweep, Path("p.yaml"), (run,), (), None)


def _table(tmp_path: Path, rows: list[SampleRecord]) -> ScoreTable:
    """The table both ways: from Results (pandas, the API's `score_table`) and from the store
    by SQL (what `gapbench run` prints); they must agree."""
    store = Store(tmp_path / "r")
    store.append_samples(rows)
    runs = pd.DataFrame(
        [
            {
                "run_id": "r1",
                "model_id": "smollm2-135m-instruct",
                "deployment_id": "smollm2-135m-instruct@llama-cpp",
                "suite": "ladder_standard",
                "suite_version": "1",
                "status": "complete",
                "message": None,
                "null_baseline": None,
            }
        ]
    )
    table = score_table(Results(runs=runs, samples=store.samples(), results_dir=tmp_path))
    ids = tuple(sorted({r.sample_id for r in rows}))
    plan = _plan(0, run_id="r1", ids=ids, epochs=max(r.epoch for r in rows))
    by_sql = run_end_table(store, SweepOutcome(plan))

    def key(t: ScoreTable) -> list[tuple[object, ...]]:
        return [
            (r.n_scored, r.score, r.ci_low, r.ci_high, r.n_error, r.n_limit, r.n_rows)
            for r in t.rows
        ]

    (got,), (want,) = key(by_sql), key(table)
    assert got == pytest.approx(want)
    assert by_sql.rows[0].cost_usd == pytest.approx(table.rows[0].cost_usd)
    return table


@pytest.mark.parametrize(
    ("k", "low", "high"), [(0, 0.0, 0.3903), (3, 0.1876, 0.8124), (6, 0.6097, 1.0)]
)
def test_six_samples_get_a_wilson_interval_inside_0_1(
    tmp_path: Path, k: int, low: float, high: float
) -> None:
    """k of 6 samples solved: Wilson's interval (a normal interval or a percentile bootstrap
    collapses to 0-0 at 0 of 6 and 1-1 at 6 of 6; a bootstrap needs more samples)."""
    rows = [_record("r1", f"s{i}", 1, "scored", float(i < k)) for i in range(6)]
    (row,) = _table(tmp_path, rows).rows
    assert row.n_scored == 6 and row.score == pytest.approx(k / 6)
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high), abs=1e-4)
    assert "Wilson" in INTERVAL_METHOD


def test_score_table_averages_epochs_per_sample_and_never_scores_errors(tmp_path: Path) -> None:
    # 6 samples x 2 epochs: samples a-c succeed in both, d in one of two, e fails both, f errors
    # in epoch 1 and fails in epoch 2; one more row is a limit (scored 0)
    rows = []
    for s in "abc":
        rows += [_record("r1", s, 1, "scored", 1.0), _record("r1", s, 2, "scored", 1.0)]
    rows += [_record("r1", "d", 1, "scored", 1.0), _record("r1", "d", 2, "scored", 0.0)]
    rows += [_record("r1", "e", 1, "scored", 0.0), _record("r1", "e", 2, "limit", 0.0)]
    rows += [_record("r1", "f", 1, "error", None), _record("r1", "f", 2, "scored", 0.0)]
    (row,) = _table(tmp_path, rows).rows
    assert row.n_scored == 6  # samples, not rows
    assert row.score == pytest.approx((3 + 0.5 + 0 + 0) / 6)
    means = np.array([1, 1, 1, 0.5, 0, 0])
    assert (row.ci_low, row.ci_high) == pytest.approx(intervals.wilson_effective(means, 11))
    assert (row.n_error, row.n_limit, row.n_rows) == (1, 1, 12)
    assert row.cost_usd == pytest.approx(0.12)
    assert api.score_table is score_table  # the public API


@pytest.mark.parametrize("seed", range(6))
def test_the_interval_is_the_analysis_layers_method(seed: int) -> None:
    """The run-end copy (standard library only, for fast reruns) equals analysis/intervals."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    epochs = int(rng.integers(1, 4))
    means = rng.integers(0, epochs + 1, size=n) / epochs  # per-sample means of 0/1 epochs
    if seed == 0:
        means[:] = 1.0
    if seed == 1:
        means[:] = 0.5  # every sample the same share
    ours = wilson_effective(list(means), n * epochs)
    assert ours == pytest.approx(intervals.wilson_effective(means, n * epochs), abs=1e-12)


def test_off_a_terminal_a_progress_line_comes_at_a_steady_interval() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    progress = SweepProgress(console, interval_s=1.0)
    assert not progress.live
    plan = _plan(10)
    progress.start(plan)
    progress.run_started(plan.runs[0])
    for i, status in enumerate(["scored", "scored", "error"]):
        progress.sample_done(_record("r", f"x{i}", 1, status, 1.0 if status == "scored" else None))
    # lines keep coming while no sample finishes (an agentic sample can take minutes)
    deadline = time.monotonic() + 30
    while out.getvalue().count("progress:") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    progress.stop()
    lines = [ln for ln in out.getvalue().splitlines() if ln.startswith("progress:")]
    assert len(lines) >= 3  # two ticks and the final line
    assert "3/10 samples (30%)" in lines[0] and "errors 1" in lines[0]
    assert "ETA" in lines[0] and "unknown" not in lines[0]
    assert "now: smollm2-135m-instruct x ladder_standard" in lines[0]
    assert "a progress line every 1 s" in out.getvalue()


def test_the_numbers_docs_plan_md_quotes_are_computed() -> None:
    """docs/plan.md quotes the interval at 0 and 6 of 6: the text follows the method."""
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "plan.md").read_text()
    quoted = re.search(r"0 of 6 gives 0 to ([0-9.]+) and 6 of 6 gives ([0-9.]+) to 1", text)
    assert quoted, "docs/plan.md no longer quotes the interval at 0 and 6 of 6"
    high0 = wilson_effective([0.0] * 6, 6)[1]
    low6 = wilson_effective([1.0] * 6, 6)[0]
    assert (quoted.group(1), quoted.group(2)) == (f"{high0:.2f}", f"{low6:.2f}")
