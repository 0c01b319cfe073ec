"""Helpers of the store's write path: the write clock, records as tables (text a table cannot
hold made storable), transcripts matched to the rows being written, and one staged file per
suite folder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from harness._types import RunRecord, SampleRecord
from harness.store import batch
from harness.store.files import conform, part_name, partition_dir
from harness.store.rows import constant, first_per_key, runs_table, samples_table, storable
from harness.store.schema import TableName
from harness.store.transcripts import transcripts_table

_clock_lock = threading.Lock()
_last_written = datetime.min.replace(tzinfo=UTC)


def write_time() -> datetime:
    """A write time later than any this process gave before (microseconds, UTC), so that
    "newest" is never a tie within one writer."""
    global _last_written
    with _clock_lock:
        now = datetime.now(UTC)
        if now <= _last_written:
            now = _last_written + timedelta(microseconds=1)
        _last_written = now
        return now


def sample_tables(records: Sequence[SampleRecord]) -> tuple[pa.Table, pa.Table]:
    """The samples and transcripts tables of `records`; a lone surrogate in a reply (see
    rows.storable) is stored as U+FFFD instead of losing the batch."""
    try:
        return samples_table(records), transcripts_table(records)
    except UnicodeEncodeError:
        records = [storable(r) for r in records]
        return samples_table(records), transcripts_table(records)


def run_table(record: RunRecord, when: datetime) -> pa.Table:
    """The runs row of `record` (an engine's error message may hold a lone surrogate too)."""
    try:
        return runs_table([record], when)
    except UnicodeEncodeError:
        return runs_table([storable(record)], when)


def to_arrow(result: Any) -> pa.Table:
    # A relation's Arrow export: to_arrow_table in duckdb >= 1.4, arrow() before.
    fetch = getattr(result, "to_arrow_table", None) or result.arrow
    table: pa.Table = fetch()
    return table


def set_column(tbl: pa.Table, name: str, values: pa.Array) -> pa.Table:
    return tbl.set_column(tbl.column_names.index(name), name, values)


def staged_by_suite(
    root: Path, table: TableName, tbl: pa.Table, when: datetime
) -> list[batch.Staged]:
    """One file per suite folder of `table` (samples, transcripts) for the day of `when`."""
    day = when.date().isoformat()
    out = []
    for suite in pc.unique(tbl.column("suite")).to_pylist():
        part = tbl.filter(pc.equal(tbl.column("suite"), suite))
        directory = partition_dir(root, table, suite=suite, day=day)
        out.append(batch.Staged(part, directory / part_name()))
    return out


def matching_transcripts(transcripts: pa.Table, samples: pa.Table) -> pa.Table:
    """The transcripts of the sample rows being written, with their attempt and write time."""
    transcripts = first_per_key(conform(transcripts, "transcripts"))
    transcripts = transcripts.filter(
        pc.is_in(transcripts.column("sample_key"), samples.column("sample_key"))
    )
    attempt_of = dict(
        zip(
            samples.column("sample_key").to_pylist(),
            samples.column("attempt").to_pylist(),
            strict=True,
        )
    )
    keys = transcripts.column("sample_key").to_pylist()
    attempts = pa.array([attempt_of[k] for k in keys], pa.int64())
    stamp = constant(samples.column("written_at")[0], len(keys))
    return set_column(set_column(transcripts, "attempt", attempts), "written_at", stamp)
