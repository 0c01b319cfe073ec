"""Two processes on the same sweep and results folder: each sample is requested once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from harness import api, exitcodes
from harness.cli import main
from harness.store import Store
from harness.sweep.lock import SweepLocked, lock_path
from tests.fakeapi import Conversation, FakeAPI, Reply, default_policy
from tests.sweep.conftest import sweep_file, workspace

REPO = Path(__file__).resolve().parents[2]


def _start(ws_env: dict[str, str], sweep: Path, wait_s: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sweep.run_in_process", str(sweep), str(wait_s)],
        cwd=REPO,
        env=ws_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _holds_open(pid: int, path: Path) -> bool:
    try:
        return any(Path(f.path) == path for f in psutil.Process(pid).open_files())
    except psutil.Error:
        return False


def test_the_same_sweep_twice_requests_each_sample_once(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    # held calls must not time out: a long per-call timeout
    ws = workspace(tmp_path, fake_api, max_connections=2, timeout_s=120)
    release = threading.Event()

    def held(conv: Conversation) -> Reply:  # the first run's calls wait until we say
        release.wait(120)
        return default_policy(conv)

    fake_api.set_policy(held)
    sweep = sweep_file(
        tmp_path, "name: twice\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 12\n"
    )
    env = {
        **os.environ,
        "GAPBENCH_REGISTRY": str(ws.settings.registry_path),
        "GAPBENCH_RESULTS_DIR": str(ws.settings.results_dir),
        "GAPBENCH_CACHE_DIR": str(ws.settings.cache_dir),
    }
    lock = lock_path(ws.settings.results_dir, "twice").resolve()
    procs: list[subprocess.Popen[str]] = []
    try:
        first = _start(env, sweep, 0)
        procs.append(first)
        _until(lambda: fake_api.n_requests > 0 or first.poll() is not None)
        assert first.poll() is None, first.communicate()
        refused = _start(env, sweep, 0)  # exits at once with one line
        waiter = _start(env, sweep, 120)  # planned now, waits, then re-reads the store
        procs += [refused, waiter]
        out_refused = refused.communicate(timeout=120)
        _until(lambda: _holds_open(waiter.pid, lock) or waiter.poll() is not None)
        release.set()
        out_first = first.communicate(timeout=120)
        out_waiter = waiter.communicate(timeout=120)
    finally:
        release.set()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()

    assert first.returncode == exitcodes.OK, out_first
    assert refused.returncode == exitcodes.LOCKED, out_refused
    lines = out_refused[1].strip().splitlines()
    assert len(lines) == 1 and "twice is already running" in lines[0]
    assert waiter.returncode == exitcodes.OK, out_waiter
    assert "model calls: 0" in out_waiter[0]
    # Each sample was requested exactly once, and stored once.
    assert fake_api.n_requests == 12
    assert len({a.body_hash for a in fake_api.attempts}) == 12
    df = Store(ws.settings.results_dir).samples()
    assert len(df) == 12 and df["sample_key"].is_unique


def _until(condition: Callable[[], bool], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_lock_refuses_before_the_preflight_with_one_line(
    tmp_path: Path,
    fake_api: FakeAPI,
    fake_api_key: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Another process holds the sweep: `run` and `api.run_sweep` refuse at once (exit 7),
    without asking any endpoint first, with one line and no blank line before it."""
    ws = workspace(tmp_path, fake_api)
    sweep = sweep_file(tmp_path, "name: held\nmodels: [fake-gpt]\nsuites: [ladder_standard]\n")
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(ws.settings.results_dir), "held"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"

        def no_preflight(*args: object, **kwargs: object) -> None:
            raise AssertionError("the preflight ran before the lock was asked")

        monkeypatch.setattr("harness.sweep.preflight.preflight", no_preflight)
        for name, value in (
            ("GAPBENCH_REGISTRY", ws.settings.registry_path),
            ("GAPBENCH_RESULTS_DIR", ws.settings.results_dir),
            ("GAPBENCH_CACHE_DIR", ws.settings.cache_dir),
        ):
            monkeypatch.setenv(name, str(value))
        capsys.readouterr()
        assert main(["run", str(sweep)]) == exitcodes.LOCKED
        err = capsys.readouterr().err
        assert err.startswith("gapbench: sweep held is already running") and err.count("\n") == 1
        with pytest.raises(SweepLocked):
            api.run_sweep(sweep, ws=ws)
    finally:
        holder.kill()
        holder.wait()


_HOLD = """
import sys, time
from harness.sweep.lock import sweep_lock
with sweep_lock(sys.argv[1], sys.argv[2]):
    print("held", flush=True)
    time.sleep(120)
"""
