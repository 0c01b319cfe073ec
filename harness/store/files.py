"""The store's files: layout, naming, atomic writes, listing, and checks on read.

Layout under the results directory (schema v2; no hive-style `key=value` directory names, so
that pandas, pyarrow.dataset, DuckDB and polars read each table folder as it is):
    samples/<suite>/<YYYY-MM-DD>/part-<write time ns>-<uuid>.parquet
    transcripts/<suite>/<YYYY-MM-DD>/part-....parquet
    runs/current.parquet                      one current row per run_id (replaced atomically)
    run_history/<YYYY-MM-DD>/part-....parquet every update of every attempt
    membership/<sweep>/part-....parquet
    .store/                                   temp files, staged batches, locks (never read)
A v1 store (samples/suite=<s>/date=<d>/..., runs/date=<d>/...) is read as well until
`Store.migrate()` rewrites it (migrate.py).

- A file is written under a temporary name in .store/tmp, fsynced, renamed into place with
  os.replace, and the directory is fsynced: a reader sees the whole file or nothing, even
  after a crash, and table folders never hold partial files (raw readers list everything).
- Names carry the write time and a random uuid: two writer processes never collide.
- Every file carries its table name and schema version in the Parquet schema metadata;
  `check_file` reads only the footer to validate it.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from harness.store import migrations
from harness.store.schema import META_TABLE, META_VERSION, SCHEMA_VERSION, SCHEMAS, TableName

PART_GLOB = "part-*.parquet"
CURRENT_RUNS = "current.parquet"
INTERNAL_DIR = ".store"
LEGACY_TEMP_PREFIX = ".tmp-"  # v1 writers left temp files beside the parts
_PART_NAME = re.compile(r"^part-.*\.parquet$")

TABLE_DIRS: dict[TableName, str] = {
    "samples": "samples",
    "runs": "runs",
    "run_history": "run_history",
    "membership": "membership",
    "transcripts": "transcripts",
}

# v1 files of the run_history table are the v1 `runs` files (one row per attempt update).
_LEGACY_TABLE: dict[tuple[TableName, int], str] = {("run_history", 1): "runs"}


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
    """A partition directory name for `value` that cannot escape its parent, is never hidden,
    and fits a file system: a name longer than 255 bytes (an imported task name can be
    anything) keeps its head and a hash of the whole."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", value).strip(".")
    if len(cleaned) > 255:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        cleaned = f"{cleaned[:200]}-{digest}"
    # A name starting with '_' (or empty) would be a hidden folder: reads, pyarrow and DuckDB
    # skip those, so its rows would be stored and never seen (a task '=x' or 'задача').
    if not cleaned or cleaned[0] in "_-":
        cleaned = f"x{cleaned}"
    return cleaned


def part_name(ts_ns: int | None = None) -> str:
    ts = time.time_ns() if ts_ns is None else ts_ns
    return f"part-{ts:020d}-{uuid.uuid4().hex}.parquet"


def part_time(path: Path) -> int:
    """The write time encoded in a part name (0 for names from older writers)."""
    m = re.match(r"part-(\d{20})-", path.name)
    return int(m.group(1)) if m else 0


def internal_dir(root: Path) -> Path:
    return Path(root) / INTERNAL_DIR


def tmp_dir(root: Path) -> Path:
    return internal_dir(root) / "tmp"


def table_dir(root: Path, table: TableName) -> Path:
    return Path(root) / TABLE_DIRS[table]


def partition_dir(
    root: Path,
    table: TableName,
    *,
    suite: str | None = None,
    day: str | None = None,
    sweep: str | None = None,
) -> Path:
    """Where a new file of `table` goes (see the layout above)."""
    base = table_dir(root, table)
    if table in ("samples", "transcripts"):
        assert suite is not None and day is not None
        return base / safe_name(suite) / day
    if table == "run_history":
        assert day is not None
        return base / day
    if table == "membership":
        assert sweep is not None
        return base / safe_name(sweep)
    return base


def fsync_dir(directory: Path) -> None:
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


def write_temp(table: pa.Table, directory: Path) -> Path:
    """Write `table` as a Parquet file under a fresh name in `directory`, fsynced."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{uuid.uuid4().hex}.parquet"
    try:
        with open(tmp, "wb") as fh:
            pq.write_table(table, fh, compression="zstd")
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(table: pa.Table, final: Path, root: Path) -> Path:
    """Write `table` to `final`; it appears whole or not at all (temp file in .store/tmp)."""
    tmp = write_temp(table, tmp_dir(root))
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(final.parent)
    return final


def _hidden(path: Path, base: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(base).parts)


def list_parts(directory: Path) -> list[Path]:
    """Published part files under `directory`, in write order (hidden paths never listed)."""
    if not directory.is_dir():
        return []
    found = [p for p in directory.rglob(PART_GLOB) if not _hidden(p, directory)]
    return sorted(found, key=lambda p: (p.name, str(p)))


def table_files(root: Path, table: TableName, suites: tuple[str, ...] | None = None) -> list[Path]:
    """Files of a table, v1 layout included; pruned to some suites' folders when given."""
    base = table_dir(root, table)
    if table == "runs":
        current = base / CURRENT_RUNS
        return [current] if current.is_file() else []
    if table == "run_history":
        legacy = [
            p for p in list_parts(table_dir(root, "runs")) if p.parent != table_dir(root, "runs")
        ]
        return list_parts(base) + legacy
    if suites is not None and table in ("samples", "transcripts"):
        out: list[Path] = []
        for suite in sorted(set(suites)):
            out += list_parts(base / safe_name(suite))
            out += list_parts(base / f"suite={safe_name(suite)}")  # v1 layout
        return sorted(set(out), key=lambda p: (p.name, str(p)))
    return list_parts(base)


def foreign_files(root: Path, table: TableName) -> list[Path]:
    """Visible files in a table's folder that gapbench did not write there (reads ignore
    them; raw readers would trip on them)."""
    base = table_dir(root, table)
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.rglob("*")):
        if not p.is_file() or _hidden(p, base):
            continue
        if table == "runs" and p.parent == base:
            if p.name != CURRENT_RUNS:
                out.append(p)
            continue
        if not _PART_NAME.match(p.name):
            out.append(p)
    return out


def stale_temps(root: Path, older_than_s: float) -> list[Path]:
    """Temp files left by writers that crashed before renaming (older than the cut-off):
    in .store/tmp, and v1's `.tmp-*` files beside the parts."""
    cutoff = time.time() - older_than_s
    candidates: list[Path] = []
    tmp = tmp_dir(root)
    if tmp.is_dir():
        candidates += [p for p in tmp.iterdir() if p.is_file()]
    for name in TABLE_DIRS.values():
        base = Path(root) / name
        if base.is_dir():
            candidates += list(base.rglob(f"{LEGACY_TEMP_PREFIX}*"))
    out = []
    for p in candidates:
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
    if table not in migrations.TABLES_AT.get(version, (table,)):
        raise BadFile(path, f"no {table} table existed in schema version {version}")
    stored_table = meta.get(META_TABLE)
    expected = _LEGACY_TABLE.get((table, version), table)
    if stored_table is not None and stored_table.decode() != expected:
        raise BadFile(path, f"holds the {stored_table.decode()} table, not {expected}")
    if as_is(version, table):
        check_columns(path, schema, table)
    return StoreFile(path, version)


def as_is(version: int, table: TableName) -> bool:
    """A file of this version is read as it is (current, or its table unchanged since)."""
    return version == SCHEMA_VERSION or migrations.unchanged_since(table, version)


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
        tbl = pq.read_table(sf.path, partitioning=None)
    except FileNotFoundError:
        raise
    except Exception as exc:
        raise BadFile(sf.path, f"not a readable Parquet file ({exc})") from None
    tbl = migrations.migrate(table, tbl.replace_schema_metadata(None), sf.version)
    if "written_at" in tbl.column_names and tbl.column("written_at").null_count:
        # A migration cannot know when its file was written; the file's name does. Rows get
        # one microsecond apiece after it, so that within a file a later row is newer (v1
        # kept a run's updates in row order).
        idx = tbl.column_names.index("written_at")
        start = part_time(sf.path) // 1000
        times = pa.array(range(start, start + len(tbl)), pa.int64()).cast(
            pa.timestamp("us", tz="UTC")
        )
        filled = pc.coalesce(tbl.column(idx).cast(times.type), times)
        tbl = tbl.set_column(idx, "written_at", filled)
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
    """Read a whole file (used only to find which file broke a query, and by check())."""
    try:
        pq.read_table(path, partitioning=None)
    except FileNotFoundError:
        raise
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BadFile(path, f"not a readable Parquet file (corrupt data: {detail})") from None
