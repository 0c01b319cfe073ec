"""DuckDB views over the store's files: what every read goes through.

    samples_all      every stored sample row (every attempt), plus filename, file_row_number
    samples          the newest attempt per sample_key: highest (attempt, written_at), then
                     the later file and row (two writers racing on one key never show twice)
    transcripts_all  every transcript row;  transcripts: the newest per sample_key
    run_history      every update of every run attempt (alias runs_all, as in v1)
    runs_stored      one row per run_id: the newest-started attempt's latest update
    runs             runs_stored, with "running" attempts whose process is gone (their sweep's
                     lock is free: liveness.py) shown as interrupted
    membership       distinct (sweep_id, sample_key) the sweeps recorded
    sweep_members    membership plus the (newest) rows' own sweep_id: the rows of sweep S

Files from an older schema version are migrated in memory (migrations.py); files that are
truncated, foreign, or from a newer gapbench are handed to `on_bad` (raise, or skip with a
warning) so every other row stays readable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from harness.store.files import (
    BadFile,
    StoreFile,
    as_is,
    check_file,
    read_migrated,
    table_files,
)
from harness.store.liveness import sweep_running
from harness.store.schema import SCHEMAS, TableName

# What a read shows for an attempt left "running" by a process that is gone (and what the
# next run of its sweep writes when it closes the record).
INTERRUPTED_MESSAGE = "interrupted: the process running it stopped before it finished"

Suites = tuple[str, ...] | None  # samples/transcripts partitions to read (None: all)
OnBadFile = Callable[[BadFile], None]

NEWEST_FIRST = "attempt DESC, written_at DESC, filename DESC, file_row_number DESC"
_RUN_NEWEST_FIRST = "started_at DESC, written_at DESC, filename DESC, file_row_number DESC"

# Which files each view reads; a query defines only the views its SQL names.
VIEW_TABLES: dict[str, tuple[TableName, ...]] = {
    "samples": ("samples",),
    "transcripts": ("transcripts",),
    "runs": ("runs", "run_history"),
    "run_history": ("run_history",),
    "membership": ("membership",),
    "sweep_members": ("membership", "samples"),
}


def sql_list(paths: Sequence[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def with_file_columns(tbl: pa.Table, filename: str) -> pa.Table:
    n = len(tbl)
    tbl = tbl.append_column("filename", pa.array([filename] * n, pa.string()))
    return tbl.append_column("file_row_number", pa.array(range(n), pa.int64()))


def _cols(table: TableName) -> str:
    return ", ".join(f'"{n}"' for n in SCHEMAS[table].names)


class ViewBuilder:
    """Checks files (footers cached by size and mtime) and defines views on a connection."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._check_cache: dict[Path, tuple[tuple[int, int], StoreFile]] = {}
        self._dups_cache: dict[tuple[Any, ...], frozenset[str]] = {}

    def checked(
        self, table: TableName, on_bad: OnBadFile, suites: Suites, skip: set[Path]
    ) -> list[StoreFile]:
        out = []
        for path in table_files(self.root, table, suites):
            if path in skip:
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
                on_bad(err)
        return out

    def _all_view(
        self,
        con: duckdb.DuckDBPyConnection,
        table: TableName,
        on_bad: OnBadFile,
        suites: Suites,
        skip: set[Path],
    ) -> list[StoreFile]:
        """`_<table>_files`: every stored row of `table` with filename and file_row_number."""
        checked = self.checked(table, on_bad, suites, skip)
        current = [f.path for f in checked if as_is(f.version, table)]
        older: list[pa.Table] = []
        for sf in checked:
            if not as_is(sf.version, table):
                try:
                    older.append(with_file_columns(read_migrated(sf, table), str(sf.path)))
                except BadFile as err:
                    on_bad(err)
                except FileNotFoundError:
                    continue
        cols = _cols(table)
        sources = []
        if current:
            sources.append(
                f"SELECT {cols}, filename, file_row_number FROM read_parquet({sql_list(current)}, "
                "union_by_name=true, filename=true, file_row_number=true, hive_partitioning=false)"
            )
        if older or not current:
            # Migrated rows (or an empty table) go in as Arrow.
            base = with_file_columns(SCHEMAS[table].empty_table(), "")
            con.register(f"_{table}_migrated", pa.concat_tables([base, *older]))
            sources.append(f"SELECT {cols}, filename, file_row_number FROM _{table}_migrated")
        union = " UNION ALL BY NAME ".join(sources)
        con.execute(f"CREATE OR REPLACE VIEW _{table}_files AS {union}")
        return checked

    def define(
        self,
        con: duckdb.DuckDBPyConnection,
        views: Sequence[str],
        on_bad: OnBadFile,
        suites: Suites,
        skip: set[Path],
        dedup: bool = True,
    ) -> None:
        tables: list[TableName] = []
        for view in views:
            tables += [t for t in VIEW_TABLES[view] if t not in tables]
        checked: dict[TableName, list[StoreFile]] = {}
        for table in tables:
            table_suites = suites if table in ("samples", "transcripts") else None
            checked[table] = self._all_view(con, table, on_bad, table_suites, skip)
        if "samples" in tables:
            con.execute("CREATE OR REPLACE VIEW samples_all AS SELECT * FROM _samples_files")
            if dedup:
                self._latest_samples(con, checked["samples"])
        if "transcripts" in tables:
            con.execute(
                "CREATE OR REPLACE VIEW transcripts_all AS SELECT * FROM _transcripts_files"
            )
            con.execute(
                f"CREATE OR REPLACE VIEW transcripts AS SELECT {_cols('transcripts')} "
                "FROM transcripts_all QUALIFY row_number() OVER "
                f"(PARTITION BY sample_key ORDER BY {NEWEST_FIRST}) = 1"
            )
        if "run_history" in tables:
            con.execute("CREATE OR REPLACE VIEW run_history AS SELECT * FROM _run_history_files")
            con.execute("CREATE OR REPLACE VIEW runs_all AS SELECT * FROM run_history")
        if "runs" in tables:
            # The current file is the materialised answer; history backs it up, so a run
            # whose current row was lost (a corrupt file skipped) still shows.
            con.execute(
                f"CREATE OR REPLACE VIEW runs_stored AS SELECT {_cols('runs')} FROM "
                "(SELECT * FROM _runs_files UNION ALL BY NAME SELECT * FROM _run_history_files) "
                f"QUALIFY row_number() OVER (PARTITION BY run_id ORDER BY {_RUN_NEWEST_FIRST}) = 1"
            )
            self._live_runs(con)
        if "membership" in tables:
            con.execute(
                "CREATE OR REPLACE VIEW membership AS "
                "SELECT DISTINCT sweep_id, sample_key FROM _membership_files"
            )
        if "membership" in tables and "samples" in tables and dedup:
            con.execute(
                "CREATE OR REPLACE VIEW sweep_members AS "
                "SELECT sweep_id, sample_key FROM membership UNION "
                "SELECT sweep_id, sample_key FROM samples WHERE sweep_id <> ''"
            )

    def _live_runs(self, con: duckdb.DuckDBPyConnection) -> None:
        """`runs`: runs_stored, with a "running" attempt whose sweep nobody runs now (its
        process died: the sweep lock is free) shown as interrupted at once."""
        running = con.execute(
            "SELECT DISTINCT sweep_id FROM runs_stored WHERE status = 'running'"
        ).fetchall()
        dead = [str(r[0]) for r in running if not sweep_running(self.root, str(r[0]))]
        if not dead:
            con.execute("CREATE OR REPLACE VIEW runs AS SELECT * FROM runs_stored")
            return
        con.register("_dead_sweeps", pa.table({"s": pa.array(dead, pa.string())}))
        gone = "status = 'running' AND sweep_id IN (SELECT s FROM _dead_sweeps)"
        con.execute(
            "CREATE OR REPLACE VIEW runs AS SELECT * REPLACE ("
            f"CASE WHEN {gone} THEN 'interrupted' ELSE status END AS status, "
            f"CASE WHEN {gone} THEN 'interrupted' ELSE status_rule END AS status_rule, "
            f"CASE WHEN {gone} THEN '{INTERRUPTED_MESSAGE}' ELSE message END AS message) "
            "FROM runs_stored"
        )

    def _latest_samples(self, con: duckdb.DuckDBPyConnection, checked: list[StoreFile]) -> None:
        cols = _cols("samples")
        # A window over every row costs seconds at a million rows, and keys with several
        # rows are few (retried errors, imports replaced, writers racing): find them first
        # (one hash aggregate, cached per file set) and order only their rows.
        signature = tuple((sf.path, self._check_cache.get(sf.path, ((0, 0),))[0]) for sf in checked)
        dups = self._dups_cache.get(signature)
        if dups is None:
            rows = con.execute(
                "SELECT sample_key FROM _samples_files GROUP BY sample_key HAVING count(*) > 1"
            ).fetchall()
            dups = frozenset(r[0] for r in rows)
            self._dups_cache = {signature: dups}
        if not dups:
            con.execute(f"CREATE OR REPLACE VIEW samples AS SELECT {cols} FROM _samples_files")
            return
        con.register("_samples_dups", pa.table({"k": pa.array(sorted(dups), pa.string())}))
        con.execute(
            f"CREATE OR REPLACE VIEW samples AS "
            f"SELECT {cols} FROM _samples_files "
            "WHERE sample_key NOT IN (SELECT k FROM _samples_dups) "
            f"UNION ALL SELECT {cols} FROM (SELECT * FROM _samples_files "
            "WHERE sample_key IN (SELECT k FROM _samples_dups) "
            f"QUALIFY row_number() OVER (PARTITION BY sample_key ORDER BY {NEWEST_FIRST}) = 1)"
        )


def views_in(sql: str) -> list[str]:
    """The views a SQL text may use (by name); all of them when unsure."""
    text = sql.lower()
    found = [v for v in VIEW_TABLES if v in text]
    if "runs_all" in text and "run_history" not in found:
        found.append("run_history")
    return found or list(VIEW_TABLES)
