"""One process per (results folder, sweep): a lock file, and closing what a killed one left open.

Two processes running the same plan would both pay for every sample (issue 12 measured 240
upstream calls for 120 samples). The lock is an advisory `flock` on
`<results>/.locks/<sweep>.lock`, held for the whole execution: a second process on the same
sweep exits with one line (exit code LOCKED) or, when asked to, waits and then re-reads the
store, so it plans only what the first left undone. Different sweeps lock different files and
run side by side. The kernel drops a flock when its holder dies, even by SIGKILL, so a stale
lock never blocks the next run. The lock is re-entrant within a process (nightly holds it for
the whole night and calls execute(), which takes it again).

Because the lock says whether a sweep is being run, it also says which "running" run records
are orphans: a record whose sweep's lock is free was left by a process that died. Reads show
it as "interrupted" at once (store/views.py asks the lock), and the next start of any sweep
on the folder writes the closing record.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness._types import RunRecord
from harness.errors import GapbenchError
from harness.exitcodes import LOCKED
from harness.store import Store
from harness.store.liveness import lock_path, sweep_running
from harness.store.liveness import try_lock as _try_lock
from harness.store.views import INTERRUPTED_MESSAGE


class SweepLocked(GapbenchError):
    """Another process is running this sweep on this results folder."""

    exit_code = LOCKED


def _holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
    return f" ({text})" if text else ""


_held_lock = threading.Lock()
_held: dict[Path, int] = {}  # lock files this process holds -> depth


@contextlib.contextmanager
def sweep_lock(results_dir: Path, sweep_name: str, wait_s: float = 0.0) -> Iterator[None]:
    """Hold the lock of `sweep_name` on `results_dir` while the block runs.

    wait_s: how long to wait for another holder to finish (0: do not wait). Raises
    SweepLocked with one line when the lock is not had in time. Re-entrant in a process.
    """
    path = lock_path(results_dir, sweep_name).resolve()
    with _held_lock:
        if path in _held:
            _held[path] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_lock:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(0.0, wait_s)
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise SweepLocked(
                    f"sweep {sweep_name} is already running on {results_dir}{_holder(path)}; "
                    "wait for it (or pass --wait-lock SECONDS)"
                )
            time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
        with _held_lock:
            _held[path] = 1
        try:
            yield
        finally:
            with _held_lock:
                _held.pop(path, None)
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_running(results_dir: Path, sweep_name: str) -> bool:
    """True while some process holds the sweep's lock (this process's own hold counts)."""
    return sweep_running(results_dir, sweep_name)


def _open_attempts(store: Store) -> list[dict[str, Any]]:
    """The current record of every run whose current attempt says "running"."""
    # Arrow rows, not a DataFrame: this runs at every start, and pandas alone takes 0.2 s to
    # import (issue 14, fast start).
    # runs_stored: what was written (`runs` already shows a dead process's runs interrupted).
    return store.query("SELECT * FROM runs_stored WHERE status = 'running'").to_pylist()


def _record(row: dict[str, Any], finished: datetime) -> RunRecord:
    fields = {k: row[k] for k in RunRecord.__dataclass_fields__ if k in row}
    record = RunRecord(**fields)
    return replace(
        record,
        status="interrupted",
        status_rule="interrupted",
        message=INTERRUPTED_MESSAGE,
        finished_at=finished,
    )


def close_interrupted(store: Store, own_sweep: str) -> list[RunRecord]:
    """Close every "running" attempt whose process is gone as "interrupted"; return them.

    The caller holds `own_sweep`'s lock, so that sweep's open attempts are orphans; another
    sweep's are orphans when nobody holds that sweep's lock.
    """
    now = datetime.now(UTC)
    closed = []
    for row in _open_attempts(store):
        sweep = str(row["sweep_id"])
        if sweep != own_sweep and is_running(store.root, sweep):
            continue
        record = _record(row, now)
        store.append_run(record)
        closed.append(record)
    return closed
