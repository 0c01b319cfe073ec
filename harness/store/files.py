"""The store's files: naming, atomic writes, listing, and checks on read.

Layout under the results directory:
    samples/suite=<suite>/date=<YYYY-MM-DD>/part-<write time ns>-<uuid>.parquet
    runs/date=<YYYY-MM-DD>/part-<write time ns>-<uuid>.parquet

- A file is written under a hidden temporary name in its final directory, fsynced, renamed
  into place with os.replace, and the directory is fsynced: a reader (which lists only
  `part-*.parquet`) sees either the whole file or nothing, even after a crash.
- Names carry the write time and a random uuid: two writer processes never collide, and
  sorting names orders files by write time, which readers use to keep the first-written
  row when the same sample_key was written twice.
- Every file carries its table name and schema version in the Parquet schema metadata;
  `check_file` reads only the footer to validate it.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from harness.store import migrations
from harness.store.schema import META_TABLE, META_VERSION, SCHEMA_VERSION, SCHEMAS, TableName

PART_GLOB = "part-*.parquet"
TEMP_PREFIX = ".tmp-"


class BadFile(Exception):
    """A store file that cannot be used; str() is one line naming the file."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class StoreFile:
    path: Path
    version: int  # schema version the file was written with


def safe_name(value: str) -> str:
    """A partition directory name for `value` that cannot escape its parent."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", value).strip(".")
    return cleaned or "_"


def part_name(ts_ns: int | None = None) -> str:
    ts = time.time_ns() if ts_ns is None else ts_ns
    return f"part-{ts:020d}-{uuid.uuid4().hex}.parquet"


def part_time(path: Path) -> int:
    """The write time encoded in a part name (0 for names from older writers)."""
    m = re.match(r"part-(\d{20})-", path.name)
    return int(m.group(1)) if m else 0


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some filesystems do not allow opening directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomic(table: pa.Table, directory: Path, name: str | None = None) -> Path:
    """Write `table` as one Parquet file in `directory`; it appears whole or not at all."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / (name or part_name())
    tmp = directory / f"{TEMP_PREFIX}{uuid.uuid4().hex}.parquet"
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)
    return final


def list_parts(directory: Path) -> list[Path]:
    """Published files under `directory`, in write order (temp files are never listed)."""
    if not directory.is_dir():
        return []
    return sorted(directory.rglob(PART_GLOB), key=lambda p: (p.name, str(p)))


def stale_temps(directory: Path, older_than_s: float) -> list[Path]:
    """Temp files left by writers that crashed before renaming (older than the cut-off)."""
    if not directory.is_dir():
        return []
    cutoff = time.time() - older_than_s
    out = []
    for p in directory.rglob(f"{TEMP_PREFIX}*"):
        try:
            if p.stat().st_mtime < cutoff:
                out.append(p)
        except FileNotFoundError:
            continue
    return out


def check_file(path: Path, table: TableName) -> StoreFile:
    """Validate a file's footer: readable, a gapbench `table` file, a version we can read."""
    try:
        schema = pq.read_schema(path)
    except FileNotFoundError:
        raise
    except Exception as exc:  # pyarrow raises several types for truncated/foreign bytes
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadFile(
            path, f"not a readable Parquet file (truncated or corrupt: {detail})"
        ) from None
    meta = schema.metadata or {}
    if META_VERSION not in meta:
        raise BadFile(path, "not a gapbench store file (no schema version in its metadata)")
    try:
        version = int(meta[META_VERSION])
    except ValueError:
        raise BadFile(path, f"unreadable schema version {meta[META_VERSION]!r}") from None
    if version > SCHEMA_VERSION:
        raise BadFile(
            path,
            f"written with schema version {version}; this gapbench reads up to "
            f"{SCHEMA_VERSION} (upgrade gapbench to read it)",
        )
    if version < migrations.OLDEST_READABLE:
        raise BadFile(path, f"schema version {version} is older than any migration")
    stored_table = meta.get(META_TABLE)
    if stored_table is not None and stored_table.decode() != table:
        raise BadFile(path, f"holds the {stored_table.decode()} table, not {table}")
    if version == SCHEMA_VERSION:
        check_columns(path, schema, table)
    return StoreFile(path, version)


def check_columns(path: Path, schema: pa.Schema, table: TableName) -> None:
    """Every required column present with its declared type (optional ones may be missing)."""
    want = SCHEMAS[table]
    for fld in want:
        idx = schema.get_field_index(fld.name)
        if idx < 0:
            if not fld.nullable:
                raise BadFile(path, f"required column {fld.name} is missing")
            continue
        got = schema.field(idx).type
        if got != fld.type and not (pa.types.is_null(got) and fld.nullable):
            raise BadFile(path, f"column {fld.name} has type {got}, expected {fld.type}")


def read_migrated(sf: StoreFile, table: TableName) -> pa.Table:
    """Read an older file in full and bring it to the current schema."""
    try:
        tbl = pq.read_table(sf.path)
    except Exception as exc:
        raise BadFile(sf.path, f"not a readable Parquet file ({exc})") from None
    tbl = migrations.migrate(table, tbl.replace_schema_metadata(None), sf.version)
    check_columns(sf.path, tbl.schema, table)
    return conform(tbl, table)


def conform(tbl: pa.Table, table: TableName) -> pa.Table:
    """Columns in declared order and types; missing optional columns become nulls."""
    want = SCHEMAS[table]
    cols = []
    for fld in want:
        if fld.name in tbl.column_names:
            cols.append(tbl.column(fld.name).cast(fld.type))
        else:
            cols.append(pa.nulls(len(tbl), fld.type))
    return pa.Table.from_arrays(cols, schema=want)


def verify_readable(path: Path) -> None:
    """Read a whole file (used only to find which file broke a query)."""
    try:
        pq.read_table(path)
    except FileNotFoundError:
        raise
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadFile(path, f"not a readable Parquet file (corrupt data: {detail})") from None
