"""`gapbench serve` stops its server on SIGTERM and on Ctrl-C (issue 19.4: `kill <pid of
gapbench serve>` left the llama server answering on its port), and the kernel ends it when
gapbench is killed outright (`kill -9` left SmolLM2's server answering, found by A3). The
server here is a stand-in process (the command line gapbench would run is replaced), so no
model is loaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness import exitcodes

REPO = Path(__file__).resolve().parents[2]

# gapbench serve, with api.serve_command giving a process that only sleeps (and says its pid).
_SERVE = """
import sys
from harness import api
from harness.cli import main
stand_in = [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(120)"]
api.serve_command = lambda *a, **k: (stand_in, "stand-in")
sys.exit(main(["serve", "smollm2-135m-instruct", "--port", "8123"]))
"""


def _gone(pid: int, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while not (gone := not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"):
        if time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return gone


@pytest.mark.parametrize("how", ["sigterm", "ctrl-c", "sigkill"])
def test_serve_stops_its_server_when_it_is_stopped(how: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    server = None
    try:
        assert proc.stdout is not None
        proc.stdout.readline()  # "serving stand-in at ..."
        proc.stdout.readline()  # "use it: ..."
        server = int(proc.stdout.readline())
        assert psutil.pid_exists(server)
        if how == "sigkill":  # nothing of gapbench's runs: the server is gone all the same
            proc.kill()
            proc.wait(timeout=30)
            assert _gone(server, within_s=10)
            return
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)
        else:
            os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if server is not None and psutil.pid_exists(server):
            psutil.Process(server).kill()  # a failed test leaves nothing behind either
    assert proc.returncode == exitcodes.INTERRUPTED, err
    assert "Traceback" not in err and "stopped the server of stand-in" in err
    assert _gone(server, within_s=0)
