"""Record factories for store tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness._types import DeploymentFacts, RunRecord, SampleRecord
from harness.store.files import part_name
from harness.store.keys import sample_key

FACTS = DeploymentFacts(deployment_id="smollm2-local", provider="llama-cpp", quantization="Q4_1")


def sample(
    run_id: str = "run-a",
    sample_id: str = "s1",
    epoch: int = 1,
    suite: str = "arith",
    model_id: str = "smollm2-135m-instruct",
    score: float | None = 1.0,
    status: str = "scored",
    **kw: object,
) -> SampleRecord:
    fields: dict[str, object] = dict(
        run_id=run_id,
        sample_key=sample_key(run_id, sample_id, epoch),
        sweep_id="demo",
        model_id=model_id,
        access="open",
        release_date=date(2024, 10, 31),
        suite=suite,
        suite_version="1",
        kind="standard",
        task=suite,
        sample_id=sample_id,
        epoch=epoch,
        status=status,
        engine="lm_eval",
        engine_version="0.4.13",
        harness_version="0.1.0",
        facts=FACTS,
        score=score if status == "scored" else None,
        success=(score or 0) >= 0.5 if status == "scored" else None,
        error=None if status == "scored" else "boom",
        started_at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
        extra={"note": "x"},
    )
    fields.update(kw)
    return SampleRecord(**fields)  # type: ignore[arg-type]


def samples(
    n: int, run_id: str = "run-a", suite: str = "arith", **kw: object
) -> list[SampleRecord]:
    return [sample(run_id=run_id, sample_id=f"s{i}", suite=suite, **kw) for i in range(n)]


def run(run_id: str = "run-a", started: int = 0, status: str = "complete") -> RunRecord:
    return RunRecord(
        run_id=run_id,
        attempt_id=f"{run_id}-{started}",
        sweep_id="demo",
        model_id="smollm2-135m-instruct",
        deployment_id="smollm2-local",
        suite="arith",
        suite_version="1",
        engine="lm_eval",
        engine_version="0.4.13",
        spec_json="{}",
        status=status,  # type: ignore[arg-type]
        n_planned=3,
        n_scored=3,
        n_error=0,
        n_limit=0,
        started_at=datetime(2026, 11, 1, 12, started, tzinfo=UTC),
        harness_version="0.1.0",
    )


def put(tbl: pa.Table, directory: Path) -> Path:
    """Drop a part file into a store folder by hand (a raced writer, an old or bad file)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / part_name()
    pq.write_table(tbl, path)
    return path


def tree_hash(root: Path) -> str:
    """A hash of every path and every file's bytes under root."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        h.update(str(p.relative_to(root)).encode())
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()
