"""The gapbench process ends once its command has finished (A3, issue 19.4): a SIGTERM or
Ctrl-C after the command decided its exit code (while exit handlers or the interpreter's
teardown still run: 1-3 s after a sweep) ends it at once with that code; it was 143."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# gapbench's own command line, then an exit handler that takes its time (as multiprocessing's
# or an engine's may) and an object whose teardown would leave a mark.
_SCRIPT = """
import atexit, sys, time
from harness.cli import main

class Mark:
    def __del__(self, open=open, path=sys.argv[-1]):  # bound now: builtins go in teardown
        open(path, "w").write("teardown ran")

KEEP = Mark()
code = main()
# in small steps: a signal that lands just before one sleep starts is handled after it
atexit.register(lambda: [time.sleep(0.1) for _ in range(600)])
atexit.register(lambda: print("exit handlers running", flush=True))
sys.exit(code)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_after_the_command_finished_exits_with_its_code(
    tmp_path: Path, sig: signal.Signals
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, "results", "--results-dir", str(tmp_path / "r")],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    for line in proc.stdout:  # the command's output, then the slow exit handler
        if "exit handlers running" in line:
            break
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err  # `results` on an empty folder: OK, as decided
    assert "Traceback" not in err


def test_the_interpreter_teardown_is_skipped_and_the_code_kept(tmp_path: Path) -> None:
    mark = tmp_path / "mark"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT.replace("range(600)", "range(0)"),
         "results", "--table", "nope", str(mark)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # argparse's one-line error: usage
    assert not mark.exists()  # the process left before module teardown
