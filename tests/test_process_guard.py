"""The conftest guard fails a test that leaves a process behind, an orphaned grandchild
included, and lets a clean test pass (run in a child pytest, with a short grace period)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

PROBE = """
import subprocess, sys

def test_leaves_a_child():
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])

def test_leaves_an_orphan():
    code = ("import subprocess, sys; subprocess.Popen([sys.executable, '-c', "
            "'import time; time.sleep(60)'], start_new_session=True)")
    subprocess.run([sys.executable, "-c", code], check=True)

def test_clean():
    subprocess.run([sys.executable, "-c", "pass"], check=True)
"""


def test_a_test_that_leaves_a_process_behind_fails(tmp_path: Path) -> None:
    probe = REPO / "tests" / f"test_zz_probe_{os.getpid()}.py"
    probe.write_text(PROBE)
    try:
        ran = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-rE", "-p", "no:cacheprovider", str(probe)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "GAPBENCH_TEST_PROCESS_GRACE_S": "0.5"},
            timeout=120,
        )
    finally:
        probe.unlink()
    out = ran.stdout
    assert "ERROR at teardown of test_leaves_a_child" in out, out
    assert "ERROR at teardown of test_leaves_an_orphan" in out, out
    # One failure line per leaky test (the short summary may repeat it, width permitting).
    failures = re.findall(r"^E\s+Failed: the test left 1 processes running: pid", out, re.M)
    assert len(failures) == 2, out
    assert "3 passed, 2 errors" in out, out
