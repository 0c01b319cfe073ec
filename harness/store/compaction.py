"""Compaction: merge each folder's small files into one, atomically.

Safe beside writers and readers, and beside another compaction: the merged file and the
removal of its inputs are one committed batch (batch.py), so a crash leaves either the
inputs or the merged file, never both nor neither; only files that were read are removed,
so a file written meanwhile survives. Nothing that reads see is dropped: every attempt of a
sample stays (history); only exact copies of one row (same key, attempt and write time) are
merged. Older-schema files come out at the current version. A file that cannot be read is
left in place and reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from harness.store import batch
from harness.store.files import (
    BadFile,
    check_file,
    part_name,
    part_time,
    read_migrated,
    stale_temps,
    table_files,
    verify_readable,
)
from harness.store.schema import SCHEMAS, TableName

# Rows that are copies of each other share these columns.
IDENTITY: dict[TableName, tuple[str, ...]] = {
    "samples": ("sample_key", "attempt", "written_at"),
    "transcripts": ("sample_key", "attempt", "written_at"),
    "run_history": ("attempt_id", "status", "written_at"),
    "membership": ("sweep_id", "sample_key"),
}


@dataclass(frozen=True)
class CompactSummary:
    partitions: int  # folders that were merged
    files_before: int
    files_after: int
    rows: int  # rows in the merged files
    temps_removed: int


def first_per(tbl: pa.Table, columns: tuple[str, ...]) -> pa.Table:
    """Keep the first row of each distinct value of `columns` (rows are in write order)."""
    if tbl.num_rows < 2:
        return tbl
    idx = pa.array(range(tbl.num_rows), pa.int64())
    keyed = tbl.select(list(columns)).append_column("__i", idx)
    firsts = keyed.group_by(list(columns), use_threads=False).aggregate([("__i", "min")])
    if firsts.num_rows == tbl.num_rows:
        return tbl
    column = firsts.column("__i_min")
    return tbl.take(pc.take(column, pc.sort_indices(column)))


def compact_store(
    root: Path, min_files: int, temp_age_s: float, on_bad: Callable[[BadFile], None]
) -> CompactSummary:
    partitions = before = after = rows = 0
    for table in IDENTITY:
        folders: dict[Path, list[Path]] = {}
        for path in table_files(root, table):
            folders.setdefault(path.parent, []).append(path)
        for directory, parts in sorted(folders.items()):
            if len(parts) < min_files:
                continue
            merged, used = _merge(table, parts, on_bad)
            if len(used) < 2:
                continue
            final = directory / part_name(min(part_time(p) for p in used))
            batch.commit(root, [batch.Staged(merged, final)], remove=used)
            partitions += 1
            before += len(used)
            after += 1
            rows += merged.num_rows
    temps = stale_temps(root, temp_age_s)
    for t in temps:
        t.unlink(missing_ok=True)
    return CompactSummary(partitions, before, after, rows, len(temps))


def _merge(
    table: TableName, parts: list[Path], on_bad: Callable[[BadFile], None]
) -> tuple[pa.Table, list[Path]]:
    tables, used = [], []
    for path in parts:  # in write order
        try:
            sf = check_file(path, table)
            verify_readable(path)
            tables.append(read_migrated(sf, table))
            used.append(path)
        except FileNotFoundError:
            continue
        except BadFile as err:
            on_bad(err)
    if not tables:
        return SCHEMAS[table].empty_table(), []
    return first_per(pa.concat_tables(tables), IDENTITY[table]), used
