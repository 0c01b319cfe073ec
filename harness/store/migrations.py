"""Ordered schema migrations, applied on read to files written by an older gapbench.

A migration takes an Arrow table of one store table at version N and returns it at version
N+1. Files on disk are never rewritten by a read; `Store.migrate()` (migrate.py) rewrites a
whole store at the current version and layout, and runs on a v2 gapbench's first write.

To change the schema: edit the column declarations in schema.py, bump SCHEMA_VERSION, and
register the step here, e.g.

    @migration("samples", 1)
    def _samples_v1_to_v2(tbl: pa.Table) -> pa.Table:
        return tbl.append_column("new_col", pa.nulls(len(tbl), pa.string()))

A version with no registered step for a table means that table did not change in that step.
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from harness.store.schema import SCHEMA_VERSION, TableName

Migration = Callable[[pa.Table], pa.Table]

# (table, from_version) -> function taking the table from `from_version` to from_version + 1.
MIGRATIONS: dict[tuple[TableName, int], Migration] = {}

# The oldest version this gapbench can still read. Files older than this have no migration
# path and are reported like foreign files.
OLDEST_READABLE = 1

# Which tables existed at each older version (v1's `runs` files are today's run_history).
TABLES_AT: dict[int, tuple[TableName, ...]] = {1: ("samples", "run_history")}


def migration(table: TableName, from_version: int) -> Callable[[Migration], Migration]:
    def register(fn: Migration) -> Migration:
        key = (table, from_version)
        if key in MIGRATIONS:
            raise ValueError(f"two migrations registered for {table} v{from_version}")
        MIGRATIONS[key] = fn
        return fn

    return register


def migrate(
    table: TableName,
    tbl: pa.Table,
    from_version: int,
    to_version: int = SCHEMA_VERSION,
    registry: dict[tuple[TableName, int], Migration] | None = None,
) -> pa.Table:
    """Apply every step from `from_version` up to `to_version`, in order."""
    steps = MIGRATIONS if registry is None else registry
    if from_version > to_version:
        raise ValueError(f"cannot migrate {table} down from v{from_version} to v{to_version}")
    for version in range(from_version, to_version):
        step = steps.get((table, version))
        if step is not None:
            tbl = step(tbl)
    if from_version < to_version:
        tbl = _set_version(tbl, to_version)
    return tbl


def readable(version: int, oldest: int = OLDEST_READABLE) -> bool:
    return oldest <= version <= SCHEMA_VERSION


def unchanged_since(table: TableName, version: int, to_version: int = SCHEMA_VERSION) -> bool:
    """True when no step changes `table` between `version` and `to_version`: a file of that
    version is read as it is (raw readers and DuckDB see the same columns), not migrated in
    memory. Its rows keep the schema_version they were written with."""
    if version > to_version or table not in TABLES_AT.get(version, (table,)):
        return False
    return all((table, v) not in MIGRATIONS for v in range(version, to_version))


# ---- v1 -> v2 ---------------------------------------------------------------------------
# samples gain canary (false: v1 had no canaries), attempt (1: v1 kept one row per key) and
# written_at (null here: read_migrated fills in the file's write time from its name). v1's
# runs files hold one row per attempt update, which is v2's run_history, plus raw_path
# (unknown: null) and written_at.


@migration("samples", 1)
def _samples_v1_to_v2(tbl: pa.Table) -> pa.Table:
    n = len(tbl)
    tbl = tbl.append_column("canary", pa.array([False] * n, pa.bool_()))
    tbl = tbl.append_column("attempt", pa.array([1] * n, pa.int64()))
    tbl = tbl.append_column("written_at", pa.nulls(n, pa.timestamp("us", tz="UTC")))
    return _set_version(tbl, 2)


@migration("run_history", 1)
def _run_history_v1_to_v2(tbl: pa.Table) -> pa.Table:
    tbl = tbl.append_column("raw_path", pa.nulls(len(tbl), pa.string()))
    tbl = tbl.append_column("written_at", pa.nulls(len(tbl), pa.timestamp("us", tz="UTC")))
    return _set_version(tbl, 2)


def _set_version(tbl: pa.Table, version: int) -> pa.Table:
    if "schema_version" not in tbl.column_names:
        return tbl
    idx = tbl.column_names.index("schema_version")
    return tbl.set_column(idx, "schema_version", pa.array([version] * len(tbl), pa.int64()))


# ---- v2 -> v3 ---------------------------------------------------------------------------
# runs and run_history gain canary (false here: a v2 run row did not say; `Store.migrate()`,
# which the first v3 write runs, sets it from the run's sample rows) and status_rule (null:
# v2 did not record which rule decided).


def _runs_v2_to_v3(tbl: pa.Table) -> pa.Table:
    n = len(tbl)
    if "canary" not in tbl.column_names:
        tbl = tbl.append_column("canary", pa.array([False] * n, pa.bool_()))
    if "status_rule" not in tbl.column_names:
        tbl = tbl.append_column("status_rule", pa.nulls(n, pa.string()))
    return _set_version(tbl, 3)


migration("runs", 2)(_runs_v2_to_v3)
migration("run_history", 2)(_runs_v2_to_v3)
