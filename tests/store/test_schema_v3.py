"""Schema v3 (issue 19): runs carry canary and status_rule; a v2 store reads as it is and
its run files are rewritten on the first write; a dead process's running attempt reads as
interrupted at once (the sweep lock is the liveness check)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.store import SCHEMA_VERSION, Store
from harness.store.files import table_files
from harness.store.rows import runs_table, samples_table
from harness.store.schema import META_TABLE, META_VERSION
from harness.store.views import INTERRUPTED_MESSAGE
from harness.sweep.lock import sweep_lock
from tests.store.helpers import put, run, samples


def _as_v2(tbl: pa.Table, table: str, drop: tuple[str, ...] = ()) -> pa.Table:
    tbl = tbl.drop_columns([c for c in drop if c in tbl.column_names])
    idx = tbl.column_names.index("schema_version")
    tbl = tbl.set_column(idx, "schema_version", pa.array([2] * len(tbl), pa.int64()))
    return tbl.replace_schema_metadata({META_VERSION: b"2", META_TABLE: table.encode()})


def _v2_store(root: Path) -> None:
    """A v2 store written by hand: a sweep run and a canary run of it, both complete."""
    put(
        _as_v2(samples_table(samples(2, run_id="run-a")), "samples"),
        root / "samples" / "arith" / "2026-11-01",
    )
    put(
        _as_v2(samples_table(samples(2, run_id="run-c", canary=True)), "samples"),
        root / "samples" / "arith" / "2026-11-01",
    )
    history = runs_table([run("run-a"), run("run-c", started=1)])
    v2 = _as_v2(history, "run_history", drop=("canary", "status_rule"))
    put(v2, root / "run_history" / "2026-11-01")
    current = root / "runs" / "current.parquet"
    current.parent.mkdir(parents=True)
    pq.write_table(_as_v2(history, "runs", drop=("canary", "status_rule")), current)


def test_a_v2_store_reads_as_is_and_its_run_files_are_rewritten_on_first_write(
    tmp_path: Path,
) -> None:
    _v2_store(tmp_path)
    store = Store(tmp_path)
    # Only the run files are older than this gapbench reads as they are.
    listed = store.check()
    assert len(listed) == 2 and all("/samples/" not in line for line in listed)
    runs = store.runs().set_index("run_id")
    assert not runs["canary"].any() and runs["status_rule"].isna().all()  # v2 did not say
    assert len(store.samples()) == 4
    sample_files = {p: p.stat().st_mtime_ns for p in table_files(tmp_path, "samples")}

    store.append_run(run("run-b", started=2))  # the first v3 write migrates the run files
    runs = store.runs().set_index("run_id")
    assert runs.loc["run-c", "canary"] and not runs.loc["run-a", "canary"]  # from the samples
    assert not runs.loc["run-b", "canary"]
    for table in ("runs", "run_history"):
        for path in table_files(tmp_path, table):
            assert pq.read_schema(path).metadata[META_VERSION] == str(SCHEMA_VERSION).encode()
    # Samples did not change in v3: their files are neither rewritten nor listed by --check.
    assert {p: p.stat().st_mtime_ns for p in table_files(tmp_path, "samples")} == sample_files
    assert Store(tmp_path).check() == []
    assert len(Store(tmp_path).run_history()) == 3


def test_a_run_left_running_by_a_dead_process_reads_as_interrupted_at_once(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path)
    # A child process takes the sweep's lock, records a running attempt, and is killed.
    script = textwrap.dedent(
        f"""
        import os, signal
        from harness.store import Store
        from harness.sweep.lock import sweep_lock
        from tests.store.helpers import run
        with sweep_lock({str(tmp_path)!r}, "demo"):
            Store({str(tmp_path)!r}).append_run(run("run-a", status="running"))
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    proc = subprocess.run([sys.executable, "-c", script], env=env, timeout=120)
    assert proc.returncode == -9
    [row] = store.runs().to_dict("records")
    assert row["status"] == "interrupted" and row["message"] == INTERRUPTED_MESSAGE
    assert row["status_rule"] == "interrupted"
    # What was written stays as written (the next run of the sweep closes it).
    stored = store.query("SELECT status FROM runs_stored").column("status").to_pylist()
    assert stored == ["running"]
    # While a process holds the sweep's lock, its running attempt reads as running.
    with sweep_lock(tmp_path, "demo"):
        assert store.runs()["status"].tolist() == ["running"]
