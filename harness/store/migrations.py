"""Ordered schema migrations, applied on read to files written by an older gapbench.

A migration takes an Arrow table of one store table (samples or runs) at version N and returns
it at version N+1. Files on disk are never rewritten by a read; `Store.compact()` rewrites
them at the current version as a side effect of merging.

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
    return tbl


def readable(version: int, oldest: int = OLDEST_READABLE) -> bool:
    return oldest <= version <= SCHEMA_VERSION
