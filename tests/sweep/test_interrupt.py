"""Clean ends (issue 19.4): SIGTERM, and Ctrl-C as a terminal sends it (SIGINT to the whole
process group), end `gapbench run` with exit 130 and one line, no traceback from any of its
processes (the request-path proxy, shard workers), no process left behind (the conftest
guard), and runs that read "interrupted" at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import exitcodes
from harness.store import Store
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.sweep.conftest import workspace

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c"])
def test_a_signal_ends_the_run_and_every_child_with_one_line(
    tmp_path: Path, fake_api: FakeAPI, how: str
) -> None:
    ws = workspace(tmp_path, fake_api, max_connections=4)
    fake_api.set_capacity(None, latency_s=0.25)  # every answer takes a while
    env = {
        **os.environ,
        "GAPBENCH_REGISTRY": str(ws.settings.registry_path),
        "GAPBENCH_RESULTS_DIR": str(ws.settings.results_dir),
        "GAPBENCH_CACHE_DIR": str(ws.settings.cache_dir),
        "OPENAI_API_KEY": FAKE_API_KEY,
    }
    # 40 samples on 2 workers: two shard processes, each with its own engine.
    cmd = [sys.executable, "-m", "harness.cli", "run", "--model", "fake-gpt"]
    cmd += ["--suite", "ladder_standard", "--limit", "40", "--workers", "2"]
    proc = subprocess.Popen(
        cmd,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        deadline = time.monotonic() + 120
        while fake_api.n_requests < 6 and time.monotonic() < deadline:
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == exitcodes.INTERRUPTED, (out, err)
    everything = out + err
    assert "Traceback" not in everything and "KeyboardInterrupt" not in everything, everything
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[-1].startswith("gapbench: interrupted"), err
    assert sum("interrupted" in ln for ln in lines) == 1, err
    runs = Store(ws.settings.results_dir).runs()
    assert runs["status"].tolist() == ["interrupted"], runs[["status", "message"]]
    assert "died" not in str(runs["message"].iloc[0])
