"""Build tests/store/data/v1_store with gapbench's v1 store code (schema version 1).

Run from a checkout of a v1 commit (e.g. `git archive 62b2c1b harness | tar -x -C /tmp/v1`):
    PYTHONPATH=/tmp/v1 .venv/bin/python tests/store/data/make_v1_store.py tests/store/data/v1_store
The result is committed: test_migrate_v1.py migrates it with the current code.
"""

from __future__ import annotations

import shutil
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from harness._types import DeploymentFacts, RunRecord, SampleRecord
from harness.store import SCHEMA_VERSION, Store
from harness.store.files import write_atomic
from harness.store.keys import sample_key
from harness.store.rows import samples_table

assert SCHEMA_VERSION == 1, "run with the v1 code on PYTHONPATH"
FACTS = DeploymentFacts(deployment_id="smollm2-local", provider="llama-cpp", quantization="Q4_1")


def rec(
    run_id: str,
    sid: str,
    suite: str,
    status: str = "scored",
    score: float | None = 1.0,
    sweep: str = "demo",
    epoch: int = 1,
) -> SampleRecord:
    return SampleRecord(
        run_id=run_id,
        sample_key=sample_key(run_id, sid, epoch),
        sweep_id=sweep,
        model_id="smollm2-135m-instruct",
        access="open",
        release_date=date(2024, 10, 31),
        suite=suite,
        suite_version="1",
        kind="standard" if suite == "arith" else "agentic",
        task=suite,
        sample_id=sid,
        epoch=epoch,
        status=status,  # type: ignore[arg-type]
        engine="lm_eval",
        engine_version="0.4.13",
        harness_version="0.1.0",
        facts=FACTS,
        score=score if status != "error" else None,
        success=(score or 0) >= 1 if status != "error" else None,
        error=None if status == "scored" else f"{status} happened",
        started_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        extra={"note": "v1"},
    )


def run(run_id: str, minute: int, status: str, suite: str) -> RunRecord:
    return RunRecord(
        run_id=run_id,
        attempt_id=f"{run_id}-a{minute}",
        sweep_id="demo",
        model_id="smollm2-135m-instruct",
        deployment_id="smollm2-local",
        suite=suite,
        suite_version="1",
        engine="lm_eval",
        engine_version="0.4.13",
        spec_json="{}",
        status=status,
        n_planned=4,
        n_scored=3,
        n_error=1,
        n_limit=0,  # type: ignore[arg-type]
        started_at=datetime(2026, 11, 1, 12, minute, tzinfo=UTC),
        harness_version="0.1.0",
    )


def main(out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    store = Store(out)
    # two suites (one with a slash in its name), errors and limits, two chunks each
    store.append_samples([rec("run-a", f"s{i}", "arith") for i in range(3)])
    store.append_samples([rec("run-a", "s3", "arith", status="error")])
    store.append_samples([rec("run-b", f"t{i}", "tau2/airline", score=0.0) for i in range(2)])
    store.append_samples([rec("run-b", "t2", "tau2/airline", status="limit", score=0.0)])
    # runs: running then complete (two rows per run in v1), and a second attempt of run-b
    store.append_run(run("run-a", 0, "running", "arith"))
    store.append_run(run("run-a", 0, "complete", "arith"))
    store.append_run(run("run-b", 1, "running", "tau2/airline"))
    store.append_run(run("run-b", 1, "partial", "tau2/airline"))
    store.append_run(run("run-b", 5, "complete", "tau2/airline"))
    # compaction merges the arith partition (v1 keeps the first written of the raced key)
    # an lm-eval import (v2 re-imports of the same files must find these keys)
    from harness.store.importers import import_lm_eval

    import_lm_eval(
        Path(__file__).parent / "lm_eval", store, access="open", release_date="2024-10-31"
    )
    store.compact()
    # after compaction: one more chunk, and a raced duplicate of run-a/s0 in a later file
    store.append_samples([rec("run-a", "s4", "arith", score=0.5)])
    directory = next((out / "samples" / "suite=arith").iterdir())
    write_atomic(samples_table([rec("run-a", "s0", "arith", score=0.0)]), directory)
    print(f"v1 store at {out}: {len(store.samples())} samples, {len(store.runs())} runs")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
