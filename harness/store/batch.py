"""Several files published as one: a write of samples and their transcripts over several
suites, an import with --replace, a migration or compaction step that removes the files it
replaced. All appear (and the replaced ones go) together, even across a crash.

    .store/staging/<batch>/lock          flock held by the writer while the batch is open
    .store/staging/<batch>/<n>.parquet   staged files, fsynced
    .store/staging/<batch>/manifest.json the commit point: renames and removals to do

The writer stages every file, then writes the manifest atomically (the batch is committed),
then renames the staged files into place, removes what the manifest removes, and deletes the
batch folder. A batch found later with nobody holding its lock was left by a process that
died: with a manifest it is rolled forward (renames and removals finished, each idempotent),
without one it is rolled back (its staged files deleted; nothing was published). Every Store
read and write recovers such batches first, so a reader never sees half of a committed batch
for longer than that.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from harness.store.files import fsync_dir, internal_dir, write_temp

_MANIFEST = "manifest.json"
_LOCK = "lock"


def staging_dir(root: Path) -> Path:
    return internal_dir(root) / "staging"


@contextlib.contextmanager
def file_lock(path: Path, shared: bool = False) -> Iterator[None]:
    """An advisory flock on `path` (created if needed), released when the block ends or the
    process dies (even by SIGKILL)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock


@dataclass(frozen=True)
class Staged:
    table: pa.Table
    final: Path  # where the file is published


def commit(root: Path, files: Sequence[Staged], remove: Sequence[Path] = ()) -> list[Path]:
    """Publish `files` and remove `remove` as one step; return the published paths."""
    if not files and not remove:
        return []
    # The folder gets its lock before recovery can see it: made under a hidden name, locked,
    # then renamed (the lock stays with the open file).
    name = uuid.uuid4().hex
    hidden = staging_dir(root) / f".{name}"
    hidden.mkdir(parents=True)
    fd = os.open(hidden / _LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    batch = staging_dir(root) / name
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.replace(hidden, batch)
        try:
            moves = []
            for f in files:
                staged = write_temp(f.table, batch)
                moves.append({"staged": staged.name, "final": str(f.final)})
            manifest: dict[str, list[Any]] = {"moves": moves, "remove": [str(p) for p in remove]}
            tmp = batch / f".{_MANIFEST}.tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(manifest, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, batch / _MANIFEST)  # the commit point
            fsync_dir(batch)
        except BaseException:
            shutil.rmtree(batch, ignore_errors=True)
            raise
        _apply(batch, manifest)
    finally:
        os.close(fd)
    shutil.rmtree(batch, ignore_errors=True)
    return [f.final for f in files]


def _apply(batch: Path, manifest: dict[str, list]) -> None:
    parents: set[Path] = set()
    for move in manifest.get("moves", []):
        staged, final = batch / move["staged"], Path(move["final"])
        if not staged.exists():  # already moved (a roll-forward after a crash)
            continue
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)
        parents.add(final.parent)
    for name in manifest.get("remove", []):
        path = Path(name)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            parents.add(path.parent)
    for parent in parents:
        fsync_dir(parent)


def _drop_if_stale(folder: Path, age_s: float = 3600.0) -> None:
    # A folder never renamed: its writer died while creating it; nothing in it was published.
    with contextlib.suppress(OSError):
        if time.time() - folder.stat().st_mtime > age_s:
            shutil.rmtree(folder, ignore_errors=True)


def recover(root: Path) -> int:
    """Finish or undo batches left by dead writers; return how many were found."""
    base = staging_dir(root)
    if not base.is_dir():
        return 0
    found = 0
    for batch in sorted(base.iterdir()):
        if not batch.is_dir():
            continue
        if batch.name.startswith("."):
            _drop_if_stale(batch)
            continue
        try:
            fd = os.open(batch / _LOCK, os.O_RDWR)
        except FileNotFoundError:
            # Still being created (no lock file yet) or already removed: leave it.
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is alive
            manifest_path = batch / _MANIFEST
            if manifest_path.is_file():
                try:
                    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    manifest = {}
                _apply(batch, manifest)
            found += 1
            shutil.rmtree(batch, ignore_errors=True)
        finally:
            os.close(fd)
    return found


def recover_quietly(root: Path) -> None:
    """recover() for readers: a no-op without staged batches, and never an error (a
    read-only results folder still reads)."""
    if not staging_dir(root).is_dir():
        return
    with contextlib.suppress(OSError):
        recover(root)
