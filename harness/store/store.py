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

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from harness._types import RunRecord, SampleRecord
from harness.errors import StoreError
from harness.store.compaction import CompactSummary, compact_dirs
from harness.store.files import (
    BadFile,
    StoreFile,
    check_file,
    conform,
    list_parts,
    read_migrated,
    safe_name,
    verify_readable,
    write_atomic,
)
from harness.store.rows import check_table, first_per_key, runs_table, samples_table
from harness.store.schema import SCHEMA_VERSION, SCHEMAS, TableName

OnBad = Literal["raise", "skip"]

Suites = tuple[str, ...] | None  # partitions to read (None: all)

_FIRST_WRITTEN = (
    "QUALIFY row_number() OVER (PARTITION BY sample_key "
    "ORDER BY parse_filename(filename), file_row_number) = 1"
)
_RUNS_LATEST = (
    "QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY started_at DESC, "
    "parse_filename(filename) DESC, file_row_number DESC) = 1"
)


# Nullable pandas dtypes for integers and booleans, so a column's dtype does not depend on
# whether this particular read happened to contain a null.
_PANDAS_TYPES = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}


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
        self._check_cache: dict[Path, tuple[tuple[int, int], StoreFile]] = {}
        self._dups_cache: dict[tuple[Any, ...], frozenset[str]] = {}

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
        return self.append_table(samples_table(records))

    def append_table(self, tbl: pa.Table) -> int:
        """Bulk form of append_samples: an Arrow table with the samples columns."""
        if tbl.num_rows == 0:
            return 0
        tbl = conform(tbl, "samples")
        check_table(tbl)
        tbl = first_per_key(tbl)
        # A sample_key hashes its run, and a run has one suite: only the batch's runs in the
        # batch's suite partitions can already hold its keys.
        known = self._keys(
            pc.unique(tbl.column("run_id")).to_pylist(),
            tuple(pc.unique(tbl.column("suite")).to_pylist()),
        )
        if known:
            stored = pc.is_in(tbl.column("sample_key"), pa.array(list(known), pa.string()))
            tbl = tbl.filter(pc.invert(stored))
        day = datetime.now(UTC).date().isoformat()
        for suite in pc.unique(tbl.column("suite")).to_pylist():
            part = tbl.filter(pc.equal(tbl.column("suite"), suite))
            write_atomic(part, self.samples_dir / f"suite={safe_name(suite)}" / f"date={day}")
        return tbl.num_rows

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

    def _checked(self, table: TableName, on_bad: OnBad, suites: Suites) -> list[StoreFile]:
        out = []
        for path in self._paths(table, suites):
            if path in self._skipped:
                continue
            try:
                stat = path.stat()
                sig = (stat.st_size, stat.st_mtime_ns)
                cached = self._check_cache.get(path)
                if cached is None or cached[0] != sig:
                    # Published files never change (atomic rename), so a footer checked
                    # once needs no second read while its size and mtime are the same.
                    cached = (sig, check_file(path, table))
                    self._check_cache[path] = cached
                out.append(cached[1])
            except FileNotFoundError:  # removed by a concurrent compaction
                continue
            except BadFile as err:
                self._bad(err, on_bad)
        return out

    def _paths(self, table: TableName, suites: Suites) -> list[Path]:
        if table != "samples" or suites is None:
            return self.files(table)
        return [p for suite in sorted(set(suites)) for p in self.files(table, suite)]

    def _define_views(
        self,
        con: duckdb.DuckDBPyConnection,
        table: TableName,
        on_bad: OnBad,
        suites: Suites,
        dedup: bool,
    ) -> None:
        """`<table>_all`: every stored row; `<table>`: one per key (samples) / run (runs)."""
        checked = self._checked(table, on_bad, suites)
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
            con.register(f"_{table}_migrated", pa.concat_tables([base, *older]))
            sources.append(f"SELECT {cols}, filename, file_row_number FROM _{table}_migrated")
        union = " UNION ALL BY NAME ".join(sources)
        con.execute(f"CREATE OR REPLACE VIEW {table}_all AS {union}")
        if not dedup:
            return
        if table == "runs":
            con.execute(
                f"CREATE OR REPLACE VIEW runs AS SELECT {cols} FROM runs_all {_RUNS_LATEST}"
            )
            return
        # A window over every row costs seconds at a million rows, and duplicates are rare
        # (two writers racing, a crash mid-compaction): find the duplicated keys first (one
        # hash aggregate, cached per file set) and order only those rows.
        signature = tuple((sf.path, self._check_cache.get(sf.path, ((0, 0),))[0]) for sf in checked)
        dups = self._dups_cache.get(signature)
        if dups is None:
            rows = con.execute(
                "SELECT sample_key FROM samples_all GROUP BY sample_key HAVING count(*) > 1"
            ).fetchall()
            dups = frozenset(r[0] for r in rows)
            self._dups_cache = {signature: dups}
        if not dups:
            con.execute(f"CREATE OR REPLACE VIEW samples AS SELECT {cols} FROM samples_all")
            return
        con.register("_samples_dups", pa.table({"k": pa.array(sorted(dups), pa.string())}))
        con.execute(
            f"CREATE OR REPLACE VIEW samples AS "
            f"SELECT {cols} FROM samples_all WHERE sample_key NOT IN (SELECT k FROM _samples_dups) "
            f"UNION ALL SELECT {cols} FROM (SELECT * FROM samples_all "
            f"WHERE sample_key IN (SELECT k FROM _samples_dups) {_FIRST_WRITTEN})"
        )

    def connect(
        self, on_bad: OnBad | None = None, suites: Suites = None, dedup: bool = True
    ) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with views over the store: `samples` (one row per
        sample_key, first written) and `runs` (latest attempt per run_id), plus
        `samples_all` / `runs_all` (every stored row). The caller closes it."""
        mode = on_bad or self.on_bad
        con = duckdb.connect()
        try:
            for table in SCHEMAS:
                self._define_views(con, table, mode, suites, dedup)
        except BaseException:
            con.close()
            raise
        return con

    def query(
        self,
        sql: str,
        params: Sequence[Any] = (),
        on_bad: OnBad | None = None,
        suites: Suites = None,
        dedup: bool = True,
    ) -> pa.Table:
        """Run SQL over the views of `connect()`; a file broken beyond its footer is found,
        reported (or skipped) and the query retried, as is one removed meanwhile."""
        mode = on_bad or self.on_bad
        for _ in range(5):
            listing = self._listing(suites)
            con: duckdb.DuckDBPyConnection | None = None
            try:
                # Views bind their file list when created: a file removed meanwhile by a
                # concurrent compaction fails here or in the query, and the loop retries.
                con = self.connect(mode, suites, dedup)
                return _to_arrow(con.sql(sql, params=list(params)))
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0]
                if not self._find_broken(mode, suites) and self._listing(suites) == listing:
                    raise StoreError(f"{self.root}: query failed: {message}") from None
            finally:
                if con is not None:
                    con.close()
        raise StoreError(f"{self.root}: query failed repeatedly (files changing underneath?)")

    def _listing(self, suites: Suites) -> list[Path]:
        return self._paths("samples", suites) + self.files("runs")

    def _find_broken(self, on_bad: OnBad, suites: Suites) -> bool:
        """After a failed query: was a file corrupt past its footer? Report or skip it."""
        found = False
        for table in SCHEMAS:
            for path in self._paths(table, suites):
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
        suites: Suites,
    ) -> pd.DataFrame:
        sql = f"SELECT * FROM {table}" + (" WHERE " + " AND ".join(where) if where else "")
        tbl = self.query(sql, params, on_bad, suites)
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
        return self._frame("samples", where, params, on_bad, None if suite is None else (suite,))

    def runs(self, on_bad: OnBad | None = None) -> pd.DataFrame:
        """Latest attempt per run_id."""
        return self._frame("runs", [], [], on_bad, None)

    def _keys(self, run_ids: Sequence[str] | None, suites: Suites = None) -> set[str]:
        # Keys need no dedup (a set) and no window: read the raw rows.
        if run_ids is None:
            tbl = self.query("SELECT sample_key FROM samples_all", suites=suites, dedup=False)
        else:
            tbl = self.query(
                "SELECT sample_key FROM samples_all WHERE run_id IN (SELECT unnest(?))",
                [list(run_ids)],
                suites=suites,
                dedup=False,
            )
        return set(tbl.column("sample_key").to_pylist())

    def done_keys(self, run_id: str) -> set[str]:
        """sample_keys already stored for a run: the resume set."""
        return self._keys([run_id])

    def all_keys(self) -> set[str]:
        return self._keys(None)

    # ---- maintenance --------------------------------------------------------------------

    def compact(self, min_files: int = 2, temp_age_s: float = 3600.0) -> CompactSummary:
        """Merge each partition's files into one, atomically (see compaction.py); files that
        cannot be read are left in place and reported in `warnings`."""
        return compact_dirs(
            {"samples": self.samples_dir, "runs": self.runs_dir},
            min_files,
            temp_age_s,
            lambda err: self._bad(err, "skip"),
        )


def _with_file_columns(tbl: pa.Table, filename: str) -> pa.Table:
    n = len(tbl)
    tbl = tbl.append_column("filename", pa.array([filename] * n, pa.string()))
    return tbl.append_column("file_row_number", pa.array(range(n), pa.int64()))
