"""The results store: Parquet files (files.py), written in committed batches (batch.py),
read through DuckDB views (views.py).

Reads: `samples` holds the newest attempt of each sample_key (a retried error's new row wins;
earlier attempts stay in `samples_all`); `runs` one current row per run; `transcripts`,
`membership` and `run_history` beside them. A file that cannot be read (truncated, foreign,
from a newer gapbench) is left out with ONE warning line on stderr naming it (on_bad="skip",
the default) or raises StoreError (on_bad="raise"); nothing is ever deleted by a read.
Writes migrate a v1 store first (migrate.py) and finish batches a dead writer left.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from harness._types import RunRecord, SampleRecord, Status, Transcript
from harness.errors import StoreError
from harness.store import batch
from harness.store.compaction import CompactSummary, compact_store
from harness.store.files import (
    BadFile,
    conform,
    part_name,
    partition_dir,
    table_dir,
    table_files,
    verify_readable,
    write_atomic,
)
from harness.store.rows import check_table, constant, first_per_key
from harness.store.runs_current import update_current
from harness.store.schema import SCHEMA_VERSION, SCHEMAS, TableName
from harness.store.secret_scan import mask_table
from harness.store.transcripts import transcript_of
from harness.store.views import NEWEST_FIRST, Suites, ViewBuilder, views_in
from harness.store.writes import (
    matching_transcripts,
    run_table,
    sample_tables,
    set_column,
    staged_by_suite,
    to_arrow,
    write_time,
)

if TYPE_CHECKING:
    import pandas as pd

OnBad = Literal["raise", "skip"]
# Sample columns whose text comes from outside (errors, upstream names, import metadata):
# masked for secrets as they are written (transcripts: every text field).
SAMPLE_TEXT = ("error", "extra", "model_snapshot")
Replace = Literal["none", "errors", "all"]
T = TypeVar("T")


# Nullable pandas dtypes for integers and booleans, so a column's dtype does not depend on
# whether this particular read happened to contain a null.
def _pandas_type(arrow_type: pa.DataType) -> Any:
    import pandas as pd  # here: planning and writing need no pandas (0.2 s; issue 14)

    return {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get(arrow_type)


_warned: set[str] = set()  # files already warned about in this process (one line each)


class Store:
    def __init__(self, root: Path, on_bad: OnBad = "skip") -> None:
        self.root = Path(root)
        self.on_bad: OnBad = on_bad
        # One line per file left out in on_bad="skip" mode (reports show them too).
        self.warnings: list[str] = []
        self._skipped: set[Path] = set()
        self._views = ViewBuilder(self.root)
        self._migration_checked = False

    # ---- layout -------------------------------------------------------------------------

    @property
    def samples_dir(self) -> Path:
        return table_dir(self.root, "samples")

    @property
    def runs_dir(self) -> Path:
        return table_dir(self.root, "runs")

    def files(self, table: TableName, suite: str | None = None) -> list[Path]:
        """Published files of a table (pruned to one suite's folder when given)."""
        return table_files(self.root, table, None if suite is None else (suite,))

    # ---- writes -------------------------------------------------------------------------

    def _before_write(self) -> None:
        batch.recover(self.root)
        if not self._migration_checked:
            from harness.store.migrate import migrate_store, needs_migration

            if needs_migration(self.root):
                migrate_store(self)
            self._migration_checked = True

    def append_samples(
        self, records: Sequence[SampleRecord], *, replace: Replace = "errors"
    ) -> int:
        """Write records (and their transcripts) as one batch; return how many rows were written.

        A record whose sample_key is already stored is written as the key's next attempt
        when `replace` allows it: "errors" (default) when the stored newest row is an error
        (a retry), "all" always (an import with --replace), "none" never.
        """
        if not records:
            return 0
        samples, transcripts = sample_tables(records)
        return self.append_table(samples, replace=replace, transcripts=transcripts)

    def append_table(
        self, tbl: pa.Table, *, replace: Replace = "errors", transcripts: pa.Table | None = None
    ) -> int:
        """Bulk form of append_samples: an Arrow table with the samples columns (and,
        optionally, a transcripts table for some of its keys)."""
        if tbl.num_rows == 0:
            return 0
        self._before_write()
        tbl = conform(tbl, "samples")
        check_table(tbl)
        # Secrets never cross into storage: an upstream's echo of a key in an error, ...
        tbl, _ = mask_table(tbl, columns=SAMPLE_TEXT)
        tbl = first_per_key(tbl)
        tbl, next_attempt = self._apply_policy(tbl, replace)
        if tbl.num_rows == 0:
            return 0
        written_at = write_time()
        keys = tbl.column("sample_key")
        if next_attempt:
            attempts = pa.array([next_attempt.get(k, 1) for k in keys.to_pylist()], pa.int64())
        else:
            attempts = constant(1, tbl.num_rows, pa.int64())
        stamp = constant(written_at, tbl.num_rows, SCHEMAS["samples"].field("written_at").type)
        tbl = set_column(set_column(tbl, "attempt", attempts), "written_at", stamp)
        staged = staged_by_suite(self.root, "samples", tbl, written_at)
        if transcripts is not None and transcripts.num_rows:
            matching, _ = mask_table(matching_transcripts(transcripts, tbl))
            staged += staged_by_suite(self.root, "transcripts", matching, written_at)
        batch.commit(self.root, staged)
        return tbl.num_rows

    def _apply_policy(self, tbl: pa.Table, replace: Replace) -> tuple[pa.Table, dict[str, int]]:
        """Drop rows the policy does not write; the next attempt number of stored keys."""
        newest = self._newest(tbl)
        if not newest:
            return tbl, {}
        known = pa.array(list(newest), pa.string())
        stored = pc.is_in(tbl.column("sample_key"), known)
        if replace == "none":
            keep = pc.invert(stored)
        elif replace == "errors":
            errors = pa.array([k for k, (_, s) in newest.items() if s == "error"], pa.string())
            keep = pc.or_(pc.invert(stored), pc.is_in(tbl.column("sample_key"), errors))
        else:
            keep = None
        if keep is not None:
            tbl = tbl.filter(keep)
        return tbl, {k: attempt + 1 for k, (attempt, _) in newest.items()}

    def _newest(self, tbl: pa.Table) -> dict[str, tuple[int, str]]:
        """sample_key -> (highest stored attempt, newest row's status) for the batch's keys."""
        # A sample_key hashes its run, and a run has one suite: only the batch's runs in the
        # batch's suite folders can already hold its keys.
        suites = tuple(pc.unique(tbl.column("suite")).to_pylist())
        if not any(self.files("samples", s) for s in suites):
            return {}
        runs = pc.unique(tbl.column("run_id")).to_pylist()
        keys = pa.table({"k": tbl.column("sample_key")})

        def run(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
            con.register("_batch_keys", keys)
            rows = con.execute(
                "SELECT sample_key, max(attempt) OVER (PARTITION BY sample_key), status "
                "FROM samples_all WHERE run_id IN (SELECT unnest(?)) "
                "AND sample_key IN (SELECT k FROM _batch_keys) "
                f"QUALIFY row_number() OVER (PARTITION BY sample_key ORDER BY {NEWEST_FIRST}) = 1",
                [runs],
            ).fetchall()
            return {k: (int(a), str(s)) for k, a, s in rows}

        return self._with_views(run, ["samples"], None, suites, dedup=False, quiet=True)

    def append_run(self, record: RunRecord) -> None:
        """Record an update of a run attempt: kept in run_history, and made the run's current
        row in runs/current.parquet when its attempt is the newest-started."""
        self._before_write()
        when = write_time()
        row, _ = mask_table(run_table(record, when), columns=("message", "spec_json"))
        as_history = pa.Table.from_arrays(row.columns, schema=SCHEMAS["run_history"])
        history = partition_dir(self.root, "run_history", day=when.date().isoformat())
        with batch.file_lock(self.root / ".store" / "runs.lock"):
            write_atomic(as_history, history / part_name(), self.root)
            update_current(self.root, row, self._bad_skip)

    def add_sweep_members(self, sweep_id: str, sample_keys: Iterable[str]) -> int:
        """Record that `sweep_id` planned these sample_keys (stored or not): its reads then
        include rows another sweep wrote. Idempotent; returns how many keys were new."""
        keys = pa.array(list(dict.fromkeys(sample_keys)), pa.string())
        if not len(keys):
            return 0
        self._before_write()
        known = self._members(sweep_id)
        new = keys.filter(pc.invert(pc.is_in(keys, known))) if len(known) else keys
        if not len(new):
            return 0
        schema = SCHEMAS["membership"]
        tbl = pa.Table.from_arrays(
            [
                constant(sweep_id, len(new), pa.string()),
                new,
                constant(write_time(), len(new), schema.field("added_at").type),
                constant(SCHEMA_VERSION, len(new), pa.int64()),
            ],
            schema=schema,
        )
        write_atomic(
            tbl, partition_dir(self.root, "membership", sweep=sweep_id) / part_name(), self.root
        )
        return len(new)

    add_membership = add_sweep_members

    def _members(self, sweep_id: str) -> pa.Array:
        tbl = self._with_views(
            lambda con: to_arrow(
                con.sql("SELECT sample_key FROM membership WHERE sweep_id = ?", params=[sweep_id])
            ),
            ["membership"],
            None,
            None,
            quiet=True,
        )
        return tbl.column("sample_key").combine_chunks()

    # ---- reads --------------------------------------------------------------------------

    def _bad(self, err: BadFile, on_bad: OnBad, quiet: bool = False) -> None:
        if on_bad == "raise":
            raise StoreError(str(err))
        if err.path in self._skipped:
            return
        self._skipped.add(err.path)
        line = f"skipped {err}"
        self.warnings.append(line)
        # Reads say it once per process; a write's own look at stored keys stays quiet (a
        # sweep's writer processes would otherwise each repeat the reader's line).
        if not quiet and str(err.path) not in _warned:
            _warned.add(str(err.path))
            print(f"warning: {line}", file=sys.stderr, flush=True)

    def _bad_skip(self, err: BadFile) -> None:
        self._bad(err, "skip")

    def connect(
        self, on_bad: OnBad | None = None, suites: Suites = None, dedup: bool = True
    ) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with every view of views.py (samples, samples_all, runs,
        run_history, membership, sweep_members, transcripts, transcripts_all). The caller
        closes it."""
        return self._connect(list(views_in("")), on_bad or self.on_bad, suites, dedup)

    def _connect(
        self, views: Sequence[str], mode: OnBad, suites: Suites, dedup: bool, quiet: bool = False
    ) -> duckdb.DuckDBPyConnection:
        batch.recover_quietly(self.root)
        con = duckdb.connect()
        try:
            self._views.define(
                con, views, lambda err: self._bad(err, mode, quiet), suites, self._skipped, dedup
            )
        except BaseException:
            con.close()
            raise
        return con

    def _with_views(
        self,
        fn: Callable[[duckdb.DuckDBPyConnection], T],
        views: Sequence[str],
        on_bad: OnBad | None,
        suites: Suites,
        dedup: bool = True,
        quiet: bool = False,
    ) -> T:
        """Run fn on a connection with `views`; a file broken beyond its footer is found,
        reported (or skipped) and fn retried, as is one removed meanwhile. quiet: skipped
        files are not printed (writes looking up stored keys)."""
        mode = on_bad or self.on_bad
        for _ in range(5):
            listing = self._listing(views, suites)
            con: duckdb.DuckDBPyConnection | None = None
            try:
                # Views bind their file list when created: a file removed meanwhile by a
                # concurrent compaction fails here or in the query, and the loop retries.
                con = self._connect(views, mode, suites, dedup, quiet)
                return fn(con)
            except duckdb.Error as exc:
                message = str(exc).splitlines()[0]
                if (
                    not self._find_broken(mode, views, suites, quiet)
                    and self._listing(views, suites) == listing
                ):
                    raise StoreError(f"{self.root}: query failed: {message}") from None
            finally:
                if con is not None:
                    con.close()
        raise StoreError(f"{self.root}: query failed repeatedly (files changing underneath?)")

    def query(
        self,
        sql: str,
        params: Sequence[Any] = (),
        on_bad: OnBad | None = None,
        suites: Suites = None,
        dedup: bool = True,
    ) -> pa.Table:
        """Run SQL over the views of `connect()` (only those the SQL names are built)."""
        return self._with_views(
            lambda con: to_arrow(con.sql(sql, params=list(params))),
            views_in(sql),
            on_bad,
            suites,
            dedup,
        )

    def _tables(self, views: Sequence[str]) -> list[TableName]:
        from harness.store.views import VIEW_TABLES

        out: list[TableName] = []
        for v in views:
            out += [t for t in VIEW_TABLES[v] if t not in out]
        return out

    def _listing(self, views: Sequence[str], suites: Suites) -> list[Path]:
        return [p for t in self._tables(views) for p in table_files(self.root, t, suites)]

    def _find_broken(
        self, on_bad: OnBad, views: Sequence[str], suites: Suites, quiet: bool = False
    ) -> bool:
        """After a failed query: was a file corrupt past its footer? Report or skip it."""
        found = False
        for path in self._listing(views, suites):
            if path in self._skipped:
                continue
            try:
                verify_readable(path)
            except FileNotFoundError:
                continue
            except BadFile as err:
                self._bad(err, on_bad, quiet)
                found = True
        return found

    def _frame(
        self, table: TableName, sql: str, params: list[Any], on_bad: OnBad | None, suites: Suites
    ) -> pd.DataFrame:
        tbl = self.query(sql, params, on_bad, suites)
        schema = SCHEMAS[table]
        tbl = tbl.select(schema.names).cast(schema)
        return tbl.to_pandas(date_as_object=False, types_mapper=_pandas_type)

    def samples(
        self,
        suite: str | None = None,
        model_id: str | None = None,
        kind: str | None = None,
        source: str | None = None,
        sweep_id: str | None = None,
        on_bad: OnBad | None = None,
    ) -> pd.DataFrame:
        """Sample rows (the newest attempt of each sample_key) matching every filter given.
        sweep_id: every row the sweep planned or wrote, whichever sweep stored it first."""
        where, params = [], []
        for col, val in (
            ("suite", suite),
            ("model_id", model_id),
            ("kind", kind),
            ("source", source),
        ):
            if val is not None:
                where.append(f"{col} = ?")
                params.append(val)
        if sweep_id is not None:
            where.append(
                "(sweep_id = ? OR sample_key IN "
                "(SELECT sample_key FROM membership WHERE sweep_id = ?))"
            )
            params += [sweep_id, sweep_id]
        sql = "SELECT * FROM samples" + (" WHERE " + " AND ".join(where) if where else "")
        return self._frame("samples", sql, params, on_bad, None if suite is None else (suite,))

    def runs(self, on_bad: OnBad | None = None) -> pd.DataFrame:
        """One current row per run_id (the newest-started attempt's latest update)."""
        return self._frame("runs", "SELECT * FROM runs", [], on_bad, None)

    def run_history(self, on_bad: OnBad | None = None) -> pd.DataFrame:
        """Every update of every attempt of every run, oldest first."""
        sql = "SELECT * FROM run_history ORDER BY written_at, filename, file_row_number"
        return self._frame("run_history", sql, [], on_bad, None)

    def transcripts(
        self, sample_keys: Iterable[str], suite: str | None = None
    ) -> dict[str, Transcript]:
        """sample_key -> the transcript of the attempt that wins in reads (keys without one
        are left out). `suite` narrows the files read."""
        keys = pa.table({"k": pa.array(sorted(set(sample_keys)), pa.string())})
        if keys.num_rows == 0:
            return {}

        def run(con: duckdb.DuckDBPyConnection) -> pa.Table:
            con.register("_wanted", keys)
            # The winning attempt of just these keys (no dedup of the whole table), then
            # its transcript.
            return to_arrow(
                con.sql(
                    "WITH s AS (SELECT sample_key, attempt FROM samples_all "
                    "WHERE sample_key IN (SELECT k FROM _wanted) QUALIFY row_number() OVER "
                    f"(PARTITION BY sample_key ORDER BY {NEWEST_FIRST}) = 1) "
                    f"SELECT {', '.join(SCHEMAS['transcripts'].names)} FROM transcripts_all t "
                    "JOIN s USING (sample_key, attempt) QUALIFY row_number() OVER (PARTITION BY "
                    "sample_key ORDER BY t.written_at DESC, t.filename DESC, "
                    "t.file_row_number DESC) = 1"
                )
            )

        suites = None if suite is None else (suite,)
        tbl = self._with_views(run, ["samples", "transcripts"], None, suites, dedup=False)
        return {row["sample_key"]: transcript_of(row) for row in tbl.to_pylist()}

    def sample_status(self, run_ids: Sequence[str]) -> dict[str, Status]:
        """sample_key -> status of its newest attempt, for every stored key of these runs."""
        tbl = self.query(
            "SELECT sample_key, status FROM samples_all WHERE run_id IN (SELECT unnest(?)) "
            f"QUALIFY row_number() OVER (PARTITION BY sample_key ORDER BY {NEWEST_FIRST}) = 1",
            [list(run_ids)],
            dedup=False,
        )
        keys = tbl.column("sample_key").to_pylist()
        statuses = tbl.column("status").to_pylist()
        return dict(zip(keys, statuses, strict=True))

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
        """sample_keys already stored for a run (errors included): the resume set."""
        return self._keys([run_id])

    def all_keys(self) -> set[str]:
        return self._keys(None)

    # ---- maintenance --------------------------------------------------------------------

    def compact(self, min_files: int = 2, temp_age_s: float = 3600.0) -> CompactSummary:
        """Merge each folder's files into one, atomically (see compaction.py); files that
        cannot be read are left in place and reported in `warnings`."""
        self._before_write()
        return compact_store(self.root, min_files, temp_age_s, self._bad_skip)

    def migrate(self) -> Any:
        """Rewrite a v1 store in the v2 layout and schema (migrate.py); a no-op on v2."""
        from harness.store.migrate import migrate_store

        batch.recover(self.root)
        summary = migrate_store(self)
        self._migration_checked = True
        return summary

    def check(self) -> list[str]:
        """One line per file reads leave out or raw readers would trip on (corrupt,
        truncated, foreign, from a newer gapbench); nothing is changed."""
        from harness.store.check import check_store

        return check_store(self.root)
