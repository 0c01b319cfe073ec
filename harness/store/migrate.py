"""Rewrite a store on disk at the current schema and layout (v1 -> v2 -> v3).

v1 kept samples in hive-style folders (samples/suite=<s>/date=<d>/) that raw readers cannot
open (suite was both a column and a partition key), and runs as one row per attempt update
(runs/date=<d>/). Migration, file by file, each file as one committed batch (its v2 files
appear and the v1 file goes together; batch.py):
- a v1 samples file -> samples/<suite>/<d>/ with canary false, attempt 1, written_at = the
  v1 file's write time (from its name), under a name with the same write time;
- a v1 runs file -> run_history/<d>/ (same rows, written_at added); then runs/current.parquet
  is built from the history (newest-started attempt's latest update per run);
- empty v1 folders are removed. A v1 file that cannot be read stays where it is (reads skip
  it with a warning; `gapbench results --check` lists it): nothing is deleted unread.
- v2 -> v3: runs/current.parquet and run_history files are rewritten with `canary` set from
  the run's sample rows (a run with canary samples is a canary run) and `status_rule` null;
  samples, transcripts and membership files did not change and stay as they are.
Interrupted, it resumes where it stopped; two processes take turns on a lock. Two v1 rows
that raced on one key both stay; the later-written one wins in reads, as for any key.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from harness.store import batch
from harness.store.files import (
    LEGACY_TEMP_PREFIX,
    BadFile,
    as_is,
    check_file,
    internal_dir,
    part_name,
    part_time,
    partition_dir,
    read_migrated,
    table_dir,
    table_files,
    write_atomic,
)
from harness.store.runs_current import current_path, history_rows, latest_per_run
from harness.store.schema import SCHEMA_VERSION, TableName

if TYPE_CHECKING:
    from harness.store.store import Store

_V1_DATE = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class MigrateSummary:
    sample_files: int  # v1 samples files rewritten
    run_files: int  # v1 runs files moved to run_history
    rows: int
    left: tuple[str, ...] = ()  # files that could not be read (left in place)
    v2_run_files: int = 0  # v2 runs / run_history files rewritten at v3

    def line(self) -> str:
        if not (self.sample_files or self.run_files or self.left or self.v2_run_files):
            return f"store is at schema version {SCHEMA_VERSION}; nothing to migrate"
        left = f"; {len(self.left)} unreadable files left in place" if self.left else ""
        return (
            f"migrated {self.sample_files} samples files and "
            f"{self.run_files + self.v2_run_files} runs files "
            f"({self.rows} rows) to schema version {SCHEMA_VERSION}{left}"
        )


def _v1_sample_dirs(root: Path) -> list[Path]:
    base = table_dir(root, "samples")
    return sorted(p for p in base.glob("suite=*") if p.is_dir()) if base.is_dir() else []


def _v1_run_files(root: Path) -> list[Path]:
    runs = table_dir(root, "runs")
    return [p for p in table_files(root, "run_history") if runs in p.parents]


def needs_migration(root: Path) -> bool:
    """A quick look (folders, and footers of the run files): does the store hold v1 folders
    or run files from before v3?"""
    if _v1_sample_dirs(root):
        return True
    runs = table_dir(root, "runs")
    if runs.is_dir() and any(p.is_dir() for p in runs.iterdir()):
        return True
    return bool(_old_run_files(root))


def _old_run_files(root: Path) -> list[tuple[Path, TableName]]:
    """(path, table) of runs / run_history files a migration step still changes."""
    out: list[tuple[Path, TableName]] = []
    tables: tuple[TableName, ...] = ("runs", "run_history")
    for table in tables:
        for path in table_files(root, table):
            try:
                sf = check_file(path, table)
            except (FileNotFoundError, BadFile):
                continue  # unreadable files are reported by reads and --check
            if not as_is(sf.version, table):
                out.append((path, table))
    return out


def _day(path: Path) -> str:
    m = _V1_DATE.match(path.parent.name)
    if m:
        return m.group(1)
    from datetime import UTC, datetime

    return datetime.fromtimestamp(part_time(path) / 1e9, UTC).date().isoformat()


def migrate_store(store: Store) -> MigrateSummary:
    root = store.root
    sample_files = run_files = rows = 0
    left: list[str] = []
    with batch.file_lock(internal_dir(root) / "migrate.lock"):
        for directory in _v1_sample_dirs(root):
            for path in table_files(root, "samples"):
                if directory not in path.parents:
                    continue
                n = _migrate_file(store, path, "samples", left)
                if n is not None:
                    sample_files += 1
                    rows += n
        for path in _v1_run_files(root):
            n = _migrate_file(store, path, "run_history", left)
            if n is not None:
                run_files += 1
                rows += n
        v2_files, n = _migrate_v2_runs(store, left)
        rows += n
        if (
            run_files
            or v2_files
            or (not current_path(root).is_file() and table_files(root, "run_history"))
        ):
            history = history_rows(root, store._bad_skip)
            if history.num_rows:
                write_atomic(latest_per_run(history), current_path(root), root)
        for directory in [*_v1_sample_dirs(root), *_v1_run_dirs(root)]:
            _remove_empty(directory)
    return MigrateSummary(sample_files, run_files, rows, tuple(left), v2_files)


def _canary_runs(store: Store) -> pa.Array:
    tbl = store.query("SELECT DISTINCT run_id FROM samples_all WHERE canary", dedup=False)
    return tbl.column("run_id").combine_chunks()


def _migrate_v2_runs(store: Store, left: list[str]) -> tuple[int, int]:
    """Rewrite the run files v3 changed (canary from the samples); (files, rows)."""
    old = _old_run_files(store.root)
    if not old:
        return 0, 0
    canaries = _canary_runs(store)
    files = rows = 0
    for path, table in old:
        try:
            sf = check_file(path, table)
            tbl = read_migrated(sf, table)
        except FileNotFoundError:
            continue
        except BadFile as err:
            store._bad_skip(err)
            left.append(str(err))
            continue
        if table == "runs":  # rebuilt from run_history below
            batch.commit(store.root, [], remove=[path])
            continue
        flag = pc.is_in(tbl.column("run_id"), canaries) if len(canaries) else None
        if flag is not None:
            idx = tbl.column_names.index("canary")
            tbl = tbl.set_column(idx, "canary", pc.fill_null(flag, False))
        final = path.parent / part_name(part_time(path) or None)
        batch.commit(store.root, [batch.Staged(tbl, final)], remove=[path])
        files += 1
        rows += tbl.num_rows
    return files, rows


def _v1_run_dirs(root: Path) -> list[Path]:
    runs = table_dir(root, "runs")
    return sorted(p for p in runs.iterdir() if p.is_dir()) if runs.is_dir() else []


def _migrate_file(store: Store, path: Path, table: str, left: list[str]) -> int | None:
    try:
        sf = check_file(path, table)  # type: ignore[arg-type]
        tbl = read_migrated(sf, table)  # type: ignore[arg-type]
    except FileNotFoundError:
        return None
    except BadFile as err:
        store._bad_skip(err)
        left.append(str(err))
        return None
    day = _day(path)
    name = part_name(part_time(path) or None)
    staged = []
    if table == "samples":
        for suite in pc.unique(tbl.column("suite")).to_pylist():
            part = tbl.filter(pc.equal(tbl.column("suite"), suite))
            staged.append(
                batch.Staged(
                    part, partition_dir(store.root, "samples", suite=suite, day=day) / name
                )
            )
    else:
        staged.append(batch.Staged(tbl, partition_dir(store.root, "run_history", day=day) / name))
    batch.commit(store.root, staged, remove=[path])
    return tbl.num_rows


def _remove_empty(directory: Path) -> None:
    # v1 writers' temp files are never data (a v1 file was renamed into place when whole).
    for tmp in directory.rglob(f"{LEGACY_TEMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            tmp.unlink()
    # Deepest first; a folder that still holds anything (an unreadable file) stays.
    for sub in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            sub.rmdir()
    with contextlib.suppress(OSError):
        directory.rmdir()
