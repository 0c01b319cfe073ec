"""Store v1: append-only Parquet files, written atomically, read with DuckDB.

Layout:
    results/samples/suite=<suite>/date=<YYYY-MM-DD>/part-<uuid>.parquet
    results/runs/date=<YYYY-MM-DD>/part-<uuid>.parquet
Each write goes to a temporary file in the same directory and is renamed into place, so a
reader never sees a partial file, and two writer processes never write the same file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from harness._types import RunRecord, SampleRecord
from harness.store.rows import runs_table, samples_table
from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA


def _write_atomic(table: pa.Table, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / f"part-{uuid.uuid4().hex}.parquet"
    tmp = directory / f".{final.name}.tmp"
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


class Store:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def _files(self, directory: Path) -> list[Path]:
        return sorted(directory.rglob("part-*.parquet")) if directory.is_dir() else []

    def append_samples(self, records: Sequence[SampleRecord]) -> int:
        """Write records whose sample_key is not stored yet; return how many were written."""
        if not records:
            return 0
        known = self.done_keys(records[0].run_id) if len({r.run_id for r in records}) == 1 else self.all_keys()
        seen: set[str] = set()
        fresh = []
        for rec in records:
            if rec.sample_key in known or rec.sample_key in seen:
                continue
            seen.add(rec.sample_key)
            fresh.append(rec)
        by_suite: dict[str, list[SampleRecord]] = {}
        for rec in fresh:
            by_suite.setdefault(rec.suite, []).append(rec)
        day = datetime.now(UTC).date().isoformat()
        for suite, recs in by_suite.items():
            _write_atomic(samples_table(recs), self.samples_dir / f"suite={suite}" / f"date={day}")
        return len(fresh)

    def append_run(self, record: RunRecord) -> None:
        day = datetime.now(UTC).date().isoformat()
        _write_atomic(runs_table([record]), self.runs_dir / f"date={day}")

    def _query(self, files: list[Path], schema: pa.Schema, sql_tail: str = "", params: list | None = None) -> pd.DataFrame:
        if not files:
            return schema.empty_table().to_pandas()
        con = duckdb.connect()
        paths = [str(f) for f in files]
        return con.execute(
            f"SELECT * FROM read_parquet(?, union_by_name=true, hive_partitioning=false) {sql_tail}",
            [paths, *(params or [])],
        ).df()

    def done_keys(self, run_id: str) -> set[str]:
        df = self._query(self._files(self.samples_dir), SAMPLES_SCHEMA, "WHERE run_id = ?", [run_id])
        return set(df["sample_key"])

    def all_keys(self) -> set[str]:
        return set(self._query(self._files(self.samples_dir), SAMPLES_SCHEMA)["sample_key"])

    def samples(self) -> pd.DataFrame:
        return self._query(self._files(self.samples_dir), SAMPLES_SCHEMA)

    def runs(self) -> pd.DataFrame:
        """Latest attempt per run_id."""
        df = self._query(self._files(self.runs_dir), RUNS_SCHEMA)
        if df.empty:
            return df
        return df.sort_values("started_at").groupby("run_id", as_index=False).tail(1).reset_index(drop=True)
