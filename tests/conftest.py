"""Shared fixtures live in tests/fixtures/ (one module per area) and are registered here.

Every test is also checked for processes it leaves behind (issue 19.4: a llama server the
suite started was still answering 40 minutes after the tests ended): a process this test
started, directly or through one it started, that is still running a few seconds after the
test is killed and fails the test. The test process is made a child subreaper (Linux), so a
server whose parent died without stopping it is still seen here instead of vanishing under
init. Long-lived helpers that belong to the session are allowed: multiprocessing's
forkserver and resource tracker.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from collections.abc import Iterator

import psutil
import pytest

pytest_plugins = ["tests.fixtures.serve", "tests.fixtures.fakeapi"]

_PR_SET_CHILD_SUBREAPER = 36
# A process stopping in order (a server's grace period) may take this long.
_GRACE_S = float(os.environ.get("GAPBENCH_TEST_PROCESS_GRACE_S", "10"))
_SESSION_HELPERS = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")


def pytest_configure(config: pytest.Config) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _alive(proc: psutil.Process) -> bool:
    try:
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _helper(proc: psutil.Process) -> bool:
    try:
        cmdline = " ".join(proc.cmdline())
    except psutil.Error:
        return True  # gone meanwhile
    return any(name in cmdline for name in _SESSION_HELPERS)


def _descendants() -> dict[int, psutil.Process]:
    try:
        return {p.pid: p for p in psutil.Process().children(recursive=True)}
    except psutil.Error:
        return {}


def _describe(proc: psutil.Process) -> str:
    try:
        return f"pid {proc.pid}: {' '.join(proc.cmdline())[:160]}"
    except psutil.Error:
        return f"pid {proc.pid}"


@pytest.fixture(autouse=True)
def _no_process_left_behind() -> Iterator[None]:
    before = set(_descendants())
    yield
    deadline = time.monotonic() + _GRACE_S
    while True:
        left = [
            p
            for pid, p in _descendants().items()
            if pid not in before and _alive(p) and not _helper(p)
        ]
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    if not left:
        return
    names = [_describe(p) for p in left]
    for proc in left:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    pytest.fail(f"the test left {len(left)} processes running: " + "; ".join(names))
