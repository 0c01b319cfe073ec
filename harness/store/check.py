"""`gapbench results --check`: every file reads leave out, and every file a raw reader
(pandas, pyarrow.dataset, DuckDB, polars) would trip on. Reads and changes nothing else."""

from __future__ import annotations

from pathlib import Path

from harness.store.batch import staging_dir
from harness.store.files import (
    TABLE_DIRS,
    BadFile,
    as_is,
    check_file,
    foreign_files,
    table_files,
    verify_readable,
)
from harness.store.rawpaths import check_raw_paths
from harness.store.runs_current import quarantine_dir


def check_store(root: Path) -> list[str]:
    """One line per problem file, naming it; [] when the store is clean."""
    lines: list[str] = []
    for table in TABLE_DIRS:
        for path in foreign_files(root, table):
            lines.append(
                f"{path}: not a gapbench store file (reads ignore it; raw readers of "
                f"{TABLE_DIRS[table]}/ would not): move it out of the store"
            )
        for path in table_files(root, table):
            try:
                sf = check_file(path, table)
                verify_readable(path)
            except FileNotFoundError:
                continue
            except BadFile as err:
                lines.append(f"{err} (reads skip it)")
                continue
            if not as_is(sf.version, table):
                lines.append(
                    f"{path}: schema version {sf.version}, read by migrating it in memory; "
                    "`gapbench results --migrate` rewrites it for raw readers"
                )
    aside = quarantine_dir(root)
    if aside.is_dir():
        for path in sorted(aside.iterdir()):
            lines.append(
                f"{path}: an unreadable runs/current.parquet kept aside (rebuilt from run_history)"
            )
    staged = staging_dir(root)
    if staged.is_dir():
        for path in sorted(p for p in staged.iterdir() if not p.name.startswith(".")):
            lines.append(
                f"{path}: a write in progress, or left by a process that died "
                "(the next read or write finishes or undoes it)"
            )
    # run records whose raw_path leads outside raw/ (reports skip their logs)
    lines += check_raw_paths(root)
    return lines
