"""Compaction: merge each partition's small files into one, atomically.

Safe beside writers and readers, and beside another compaction: the merged file is
published (temp + fsync + rename) before its inputs are removed, so a crash in between
leaves duplicate rows, which reads drop; it is named with the earliest input's write time,
so first-written order is kept; only files that were read are removed, so a file written
meanwhile survives. Older-schema files come out at the current version.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from harness.store.files import (
    BadFile,
    check_file,
    list_parts,
    part_name,
    part_time,
    read_migrated,
    stale_temps,
    verify_readable,
    write_atomic,
)
from harness.store.rows import first_per_key
from harness.store.schema import SCHEMAS, TableName


@dataclass(frozen=True)
class CompactSummary:
    partitions: int  # partitions that were merged
    files_before: int
    files_after: int
    rows: int  # rows in the merged files (after dropping duplicate sample_keys)
    temps_removed: int


def compact_dirs(
    dirs: dict[TableName, Path],
    min_files: int,
    temp_age_s: float,
    on_bad: Callable[[BadFile], None],
) -> CompactSummary:
    partitions = before = after = rows = 0
    for table, base in dirs.items():
        for directory in sorted({p.parent for p in list_parts(base)}):
            parts = [p for p in list_parts(directory) if p.parent == directory]
            if len(parts) < min_files:
                continue
            merged, used = _merge(table, parts, on_bad)
            if len(used) < 2:
                continue
            write_atomic(merged, directory, part_name(min(part_time(p) for p in used)))
            for p in used:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            partitions += 1
            before += len(used)
            after += 1
            rows += merged.num_rows
    temps = [t for d in dirs.values() for t in stale_temps(d, temp_age_s)]
    for t in temps:
        t.unlink(missing_ok=True)
    return CompactSummary(partitions, before, after, rows, len(temps))


def _merge(
    table: TableName, parts: list[Path], on_bad: Callable[[BadFile], None]
) -> tuple[pa.Table, list[Path]]:
    tables, used = [], []
    for path in parts:  # in write order, so first_per_key keeps the first-written row
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
    merged = pa.concat_tables(tables)
    return (first_per_key(merged) if table == "samples" else merged), used
