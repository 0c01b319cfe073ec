"""Child process lifecycle: ports, health wait, stopping whole process groups, no orphans."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from harness.errors import ServeError
from harness.serve.process import (
    free_port,
    log_tail,
    start_process,
    stop_process,
    wait_healthy,
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def _wait_dead(pid: int, within_s: float = 10.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_free_port_is_bindable_on_loopback() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_free_ports_differ_while_held() -> None:
    # The OS does not hand out a port that is bound at the time of asking.
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        taken = held.getsockname()[1]
        assert all(free_port() != taken for _ in range(20))


def test_stop_kills_whole_process_group(tmp_path: Path) -> None:
    # A parent that ignores SIGTERM and has a child of its own: both must go.
    script = textwrap.dedent(
        """
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(child.pid, flush=True)
        time.sleep(600)
        """
    )
    log = tmp_path / "p.log"
    proc = start_process([sys.executable, "-c", script], log_path=log)
    deadline = time.monotonic() + 20
    while not log.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    grandchild = int(log.read_text().split()[0])
    stop_process(proc, grace_s=0.5)
    assert proc.poll() is not None
    assert _wait_dead(grandchild)


def test_stop_is_idempotent(tmp_path: Path) -> None:
    proc = start_process([sys.executable, "-c", "pass"], log_path=tmp_path / "x.log")
    proc.wait(timeout=30)
    stop_process(proc)
    stop_process(proc)


def test_wait_healthy_reports_early_exit_with_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "srv.log"
    cmd = [
        sys.executable,
        "-c",
        "import sys; print('loading'); print('error: bad model file'); sys.exit(3)",
    ]
    proc = start_process(cmd, log_path=log)
    with pytest.raises(ServeError) as err:
        wait_healthy(proc, "http://127.0.0.1:9/", deadline_s=60, log_path=log, what="test server")
    msg = str(err.value)
    assert "\n" not in msg
    assert "exited with code 3" in msg and "error: bad model file" in msg


def test_wait_healthy_gives_up_at_deadline(tmp_path: Path) -> None:
    log = tmp_path / "srv.log"
    proc = start_process([sys.executable, "-c", "import time; time.sleep(60)"], log_path=log)
    try:
        with pytest.raises(ServeError, match="not ready after"):
            wait_healthy(
                proc, f"http://127.0.0.1:{free_port()}/", deadline_s=0.5, log_path=log, what="t"
            )
    finally:
        stop_process(proc, grace_s=0.5)


def test_log_tail_joins_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "l.log"
    log.write_text("a\n\nb\nc\nd\ne\nf\n")
    assert log_tail(log, 3) == "d | e | f"
    assert log_tail(tmp_path / "missing.log") == ""


_PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from harness.serve.process import start_process
    proc = start_process([sys.executable, "-c", "import time; time.sleep(600)"],
                         log_path=Path(sys.argv[1]))
    print(proc.pid, flush=True)
    time.sleep(600)
    """
)


def test_child_dies_when_parent_is_sigkilled(tmp_path: Path) -> None:
    # PR_SET_PDEATHSIG: even a SIGKILLed gapbench (no cleanup code runs) leaves no server.
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "c.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_dead(child), "server child outlived its SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_child_stopped_when_parent_gets_sigterm(tmp_path: Path) -> None:
    # The SIGTERM safety net turns SIGTERM into KeyboardInterrupt (as Ctrl-C), so cleanup
    # runs; an uncaught KeyboardInterrupt ends Python as SIGINT would.
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path / "c.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == -signal.SIGINT
        assert _wait_dead(child)
    finally:
        if parent.poll() is None:
            parent.kill()


_THREADED_PARENT = textwrap.dedent(
    """
    import os, sys, threading, time
    from pathlib import Path
    from harness.serve.process import start_process
    # The llama.cpp wrapper's watchdog, without loading a model.
    child_code = (
        "import os, time\\n"
        "from harness.serve.llama_server import main_watchdog_only\\n"
        "main_watchdog_only()\\n"
        "time.sleep(600)\\n"
    )
    env = dict(os.environ, GAPBENCH_PARENT_PID=str(os.getpid()))
    out = []
    def spawn():  # from a worker thread: PR_SET_PDEATHSIG is not used here
        out.append(start_process([sys.executable, "-c", child_code],
                                 log_path=Path(sys.argv[1]), env=env))
    t = threading.Thread(target=spawn)
    t.start(); t.join()
    print(out[0].pid, flush=True)
    time.sleep(600)
    """
)


def test_watchdog_covers_servers_started_from_threads(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _THREADED_PARENT, str(tmp_path / "c.log")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_dead(child, within_s=30), "child outlived its parent: watchdog missing"
    finally:
        if parent.poll() is None:
            parent.kill()
