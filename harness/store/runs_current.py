"""runs/current.parquet: one current row per run_id, so that any reader of the runs folder
sees each run once. Rewritten whole (it is small: one row per run) under the store's runs
lock, after the update went to run_history, which stays the record of every update.

The current row of a run is its newest-started attempt's latest update. A current file that
cannot be read is moved aside to .store/quarantine/ (never deleted; `results --check` lists
it) and rebuilt from run_history.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from harness.store.files import (
    CURRENT_RUNS,
    BadFile,
    as_is,
    check_file,
    conform,
    internal_dir,
    read_migrated,
    table_dir,
    table_files,
    verify_readable,
    write_atomic,
)
from harness.store.schema import SCHEMAS

LATEST_PER_RUN = (
    "QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY started_at DESC, "
    "written_at DESC, _row DESC) = 1 ORDER BY started_at, run_id"
)


def current_path(root: Path) -> Path:
    return table_dir(root, "runs") / CURRENT_RUNS


def quarantine_dir(root: Path) -> Path:
    return internal_dir(root) / "quarantine"


def _read(path: Path, table: str) -> pa.Table:
    sf = check_file(path, table)  # type: ignore[arg-type]
    if not as_is(sf.version, table):  # type: ignore[arg-type]
        return read_migrated(sf, table)  # type: ignore[arg-type]
    verify_readable(path)
    return conform(pq.read_table(path, partitioning=None), table)  # type: ignore[arg-type]


def history_rows(root: Path, on_bad: Callable[[BadFile], None]) -> pa.Table:
    tables = [SCHEMAS["runs"].empty_table()]
    for path in table_files(root, "run_history"):
        try:
            tables.append(_read(path, "run_history").cast(SCHEMAS["runs"]))
        except FileNotFoundError:
            continue
        except BadFile as err:
            on_bad(err)
    return pa.concat_tables(tables)


def latest_per_run(rows: pa.Table) -> pa.Table:
    con = duckdb.connect()
    try:
        con.register("_rows", rows.append_column("_row", pa.array(range(len(rows)), pa.int64())))
        tbl: pa.Table = con.sql(f"SELECT * FROM _rows {LATEST_PER_RUN}").to_arrow_table()
    finally:
        con.close()
    return conform(tbl, "runs")


def update_current(root: Path, new_rows: pa.Table, on_bad: Callable[[BadFile], None]) -> None:
    """Make runs/current.parquet hold its rows plus `new_rows`, newest per run_id.
    The caller holds the runs lock."""
    path = current_path(root)
    current: pa.Table | None = None
    if path.is_file():
        try:
            current = _read(path, "runs")
        except BadFile as err:
            on_bad(err)
            aside = quarantine_dir(root) / f"current-{time.time_ns()}.parquet"
            aside.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, aside)
    if current is None:
        current = history_rows(root, on_bad)
    merged = pa.concat_tables([current, conform(new_rows, "runs")])
    write_atomic(latest_per_run(merged), path, root)
