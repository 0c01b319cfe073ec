"""Is a sweep being run right now? The sweep lock says (harness/sweep/lock.py holds it).

One process per (results folder, sweep) holds an advisory flock on
`<results>/.locks/<sweep>.lock` while it runs the sweep. The kernel drops a flock when its
holder dies, even by SIGKILL, so a free lock means nobody is running that sweep: a run
record still saying "running" was left by a process that is gone. Reads use this to show
such a run as interrupted at once (views.py), without waiting for the next run to close it.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from harness.store.files import safe_name

LOCKS_DIR = ".locks"


def lock_path(results_dir: Path, sweep_name: str) -> Path:
    return Path(results_dir) / LOCKS_DIR / f"{safe_name(sweep_name)}.lock"


def try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def sweep_running(results_dir: Path, sweep_name: str) -> bool:
    """True while some process holds the sweep's lock (this process's own hold counts)."""
    path = lock_path(results_dir, sweep_name)
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:  # no lock file (never run here), or unreadable: nobody can hold it
        return False
    try:
        if try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        return True
    finally:
        os.close(fd)
