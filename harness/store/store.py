"""The results store: append-only Parquet files (see files.py), read with DuckDB.

Reads go through two DuckDB views built over the file list:
    samples  deduplicated by sample_key, keeping the first-written row (by file write time,
             then row order), so two writers that raced on the same key never show twice;
    runs     the latest attempt per run_id (by started_at, then write order).
Files from an older schema version are migrated in memory (migrations.py); files that are
truncated, foreign, or from a newer gapbench raise StoreError naming the file, or, with
on_bad="skip" (reports), are left out with a warning so every other row stays readable.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from harness._types import RunRecord, SampleRecord
from harness.errors import StoreError
from harness.store.files import (
    BadFile,
    StoreFile,
    check_file,
    list_parts,
    part_name,
    part_time,
    read_migrated,
    safe_name,
    stale_temps,
    verify_readable,
    write_atomic,
)
from harness.store.rows import runs_table, samples_table
from harness.store.schema import SCHEMA_VERSION, SCHEMAS, TableName

OnBad = Literal["raise", "skip"]

_ORDER = "parse_filename(filename), file_row_number"
_VIEW_SQL: dict[TableName, str] = {
    "samples": f"QUALIFY row_number() OVER (PARTITION BY sample_key ORDER BY {_ORDER}) = 1",
    "runs": "QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY started_at DESC, "
    "parse_filename(filename) DESC, file_row_number DESC) = 1",
}


# Nullable pandas dtypes for integers and booleans, so a column's dtype does not depend on
# whether this particular read happened to contain a null.
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


@dataclass(frozen=True)
class CompactSummary:
    partitions: int  # partitions that were merged
    files_before: int
    files_after: int
    rows: int  # rows in the merged files (after dropping duplicate sample_keys)
    temps_removed: int


def _sql_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _to_arrow(result: Any) -> pa.Table:
    # A relation's Arrow export: to_arrow_table in duckdb >= 1.4, arrow() before.
    fetch = getattr(result, "to_arrow_table", None) or result.arrow
    table: pa.Table = fetch()
    return table


class Store:
    def __init__(self, root: Path, on_bad: OnBad = "raise") -> None:
        self.root = Path(root)
        self.on_bad: OnBad = on_bad
        # One line per file left out in on_bad="skip" mode (for reports to show).
        self.warnings: list[str] = []
        self._skipped: set[Path] = set()

    # ---- layout -------------------------------------------------------------------------

    @property
    def samples_dir(self) -> Path:
        return self.root / "samples"

    @property
    def runs_dir(self) -> Path:
        return self.root / "runs"

    def _dir(self, table: TableName) -> Path:
        return self.samples_dir if table == "samples" else self.runs_dir

    def files(self, table: TableName, suite: str | None = None) -> list[Path]:
        """Published files of a table (pruned to one suite's partition when given)."""
        base = self._dir(table)
        if suite is not None and table == "samples":
            base = base / f"suite={safe_name(suite)}"
        return list_parts(base)

    # ---- writes -------------------------------------------------------------------------

    def append_samples(self, records: Sequence[SampleRecord]) -> int:
        """Write records whose sample_key is not stored yet; return how many were written.

        One atomic file per suite partition. The check against stored keys is not a lock:
        two processes racing on one key can both write it; readers keep the first-written.
        """
        if not records:
            return 0
        run_ids = {r.run_id for r in records}
        known = self.done_keys(next(iter(run_ids))) if len(run_ids) == 1 else self.all_keys()
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
            directory = self.samples_dir / f"suite={safe_name(suite)}" / f"date={day}"
            write_atomic(samples_table(recs), directory)
        return len(fresh)

    def append_run(self, record: RunRecord) -> None:
        day = datetime.now(UTC).date().isoformat()
        write_atomic(runs_table([record]), self.runs_dir / f"date={day}")

    # ---- reads --------------------------------------------------------------------------

    def _bad(self, err: BadFile, on_bad: OnBad) -> None:
        if on_bad == "raise":
            raise StoreError(str(err))
        if err.path not in self._skipped:
            self._skipped.add(err.path)
            self.warnings.append(f"skipped {err}")

    def _checked(
        self, table: TableName, on_bad: OnBad, suite: str | None = None
    ) -> list[StoreFile]:
        out = []
        for path in self.files(table, suite):
            if path in self._skipped:
                continue
            try:
                out.append(check_file(path, table))
            except FileNotFoundError:  # removed by a concurrent compaction
                continue
            except BadFile as err:
                self._bad(err, on_bad)
        return out

    def _define_view(
        self, con: duckdb.DuckDBPyConnection, table: TableName, on_bad: OnBad, suite: str | None
    ) -> None:
        checked = self._checked(table, on_bad, suite)
        current = [f.path for f in checked if f.version == SCHEMA_VERSION]
        older: list[pa.Table] = []
        for sf in checked:
            if sf.version != SCHEMA_VERSION:
                try:
                    older.append(_with_file_columns(read_migrated(sf, table), str(sf.path)))
                except BadFile as err:
                    self._bad(err, on_bad)
                except FileNotFoundError:
                    continue
        cols = ", ".join(f'"{n}"' for n in SCHEMAS[table].names)
        sources = []
        if current:
            sources.append(
                f"SELECT {cols}, filename, file_row_number FROM read_parquet({_sql_list(current)}, "
                "union_by_name=true, filename=true, file_row_number=true, hive_partitioning=false)"
            )
        if older or not current:
            # Migrated rows (or an empty table) go in as Arrow, ordered as if written at
            # their file's time, so first-written still wins across versions.
            base = _with_file_columns(SCHEMAS[table].empty_table(), "")
            arrow = pa.concat_tables([base, *older])
            con.register(f"_{table}_migrated", arrow)
            sources.append(f"SELECT {cols}, filename, file_row_number FROM _{table}_migrated")
        union = " UNION ALL BY NAME ".join(sources)
        con.execute(
            f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} FROM ({union}) {_VIEW_SQL[table]}"
        )

    def connect(
        self, on_bad: OnBad | None = None, suite: str | None = None
    ) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views `samples` and `runs` over the store (see module doc)."""
        mode = on_bad or self.on_bad
        con = duckdb.connect()
        for table in SCHEMAS:
            self._define_view(con, table, mode, suite)
        return con

    def query(
        self,
        sql: str,
        params: Sequence[Any] = (),
        on_bad: OnBad | None = None,
        suite: str | None = None,
    ) -> pa.Table:
        """Run SQL over the `samples` and `runs` views; a file broken beyond its footer is
        found, reported (or skipped) and the query retried."""
        mode = on_bad or self.on_bad
        for _ in range(5):
            listing = self._listing(suite)
            con = duckdb.connect()
            try:
                # Views bind their file list when created: a file removed meanwhile by a
                # concurrent compaction fails here or in the query, and the loop retries.
                for table in SCHEMAS:
                    self._define_view(con, table, mode, suite)
                return _to_arrow(con.sql(sql, params=list(params)))
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0]
                if not self._find_broken(mode, suite) and self._listing(suite) == listing:
                    raise StoreError(f"{self.root}: query failed: {message}") from None
            finally:
                con.close()
        raise StoreError(f"{self.root}: query failed repeatedly (files changing underneath?)")

    def _listing(self, suite: str | None) -> list[Path]:
        return self.files("samples", suite) + self.files("runs")

    def _find_broken(self, on_bad: OnBad, suite: str | None) -> bool:
        """After a failed query: was a file corrupt past its footer? Report or skip it."""
        found = False
        for table in SCHEMAS:
            for path in self.files(table, suite if table == "samples" else None):
                if path in self._skipped:
                    continue
                try:
                    verify_readable(path)
                except FileNotFoundError:
                    continue
                except BadFile as err:
                    self._bad(err, on_bad)
                    found = True
        return found

    def _frame(
        self,
        table: TableName,
        where: list[str],
        params: list[Any],
        on_bad: OnBad | None,
        suite: str | None,
    ) -> pd.DataFrame:
        sql = f"SELECT * FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
        tbl = self.query(sql, params, on_bad, suite)
        schema = SCHEMAS[table]
        tbl = tbl.select(schema.names).cast(schema)
        return tbl.to_pandas(date_as_object=False, types_mapper=_PANDAS_TYPES.get)

    def samples(
        self,
        suite: str | None = None,
        model_id: str | None = None,
        kind: str | None = None,
        source: str | None = None,
        sweep_id: str | None = None,
        on_bad: OnBad | None = None,
    ) -> pd.DataFrame:
        """Sample rows (one per sample_key) matching every filter given."""
        where, params = [], []
        for col, val in (
            ("suite", suite),
            ("model_id", model_id),
            ("kind", kind),
            ("source", source),
            ("sweep_id", sweep_id),
        ):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        return self._frame("samples", where, params, on_bad, suite)

    def runs(self, on_bad: OnBad | None = None) -> pd.DataFrame:
        """Latest attempt per run_id."""
        return self._frame("runs", [], [], on_bad, None)

    def _keys(self, run_id: str | None) -> set[str]:
        where = " WHERE run_id = ?" if run_id is not None else ""
        params = [run_id] if run_id is not None else []
        tbl = self.query(f"SELECT sample_key FROM samples{where}", params)
        return set(tbl.column("sample_key").to_pylist())

    def done_keys(self, run_id: str) -> set[str]:
        """sample_keys already stored for a run: the resume set."""
        return self._keys(run_id)

    def all_keys(self) -> set[str]:
        return self._keys(None)

    # ---- maintenance --------------------------------------------------------------------

    def compact(self, min_files: int = 2, temp_age_s: float = 3600.0) -> CompactSummary:
        """Merge each partition's files into one (atomically), dropping duplicate keys.

        Safe beside writers and readers: the merged file is published before its inputs are
        removed (a crash in between leaves duplicates that reads drop), it is named with the
        earliest input's write time so first-written order is kept, and only the files that
        were read are removed. Bad files are left in place and reported in `warnings`.
        """
        partitions = before = after = rows = 0
        for table in SCHEMAS:
            dirs = sorted({p.parent for p in self.files(table)})
            for directory in dirs:
                parts = [p for p in list_parts(directory) if p.parent == directory]
                if len(parts) < min_files:
                    continue
                merged, used = self._merge(table, parts)
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
        temps = [t for d in (self.samples_dir, self.runs_dir) for t in stale_temps(d, temp_age_s)]
        for t in temps:
            t.unlink(missing_ok=True)
        return CompactSummary(partitions, before, after, rows, len(temps))

    def _merge(self, table: TableName, parts: list[Path]) -> tuple[pa.Table, list[Path]]:
        tables, used = [], []
        for path in parts:
            try:
                sf = check_file(path, table)
                verify_readable(path)
                tables.append(read_migrated(sf, table))
                used.append(path)
            except FileNotFoundError:
                continue
            except BadFile as err:
                self._bad(err, "skip")
        if not tables:
            return SCHEMAS[table].empty_table(), []
        merged = pa.concat_tables(tables)
        if table == "samples":
            merged = _first_per_key(merged)
        return merged, used


def _with_file_columns(tbl: pa.Table, filename: str) -> pa.Table:
    n = len(tbl)
    tbl = tbl.append_column("filename", pa.array([filename] * n, pa.string()))
    return tbl.append_column("file_row_number", pa.array(range(n), pa.int64()))


def _first_per_key(tbl: pa.Table) -> pa.Table:
    seen: set[str] = set()
    keep = []
    for i, key in enumerate(tbl.column("sample_key").to_pylist()):
        if key not in seen:
            seen.add(key)
            keep.append(i)
    return tbl if len(keep) == len(tbl) else tbl.take(keep)
