"""Child server processes: free ports, start, health wait, stop, and no orphans.

A server must never outlive gapbench, however gapbench ends:
- normal exit, exceptions, Ctrl-C: `managed_process` stops it in a `finally` (SIGTERM to its
  process group, SIGKILL after a grace period). The child runs in its own session, so a
  terminal's Ctrl-C reaches only gapbench, which then stops the server in order.
- SIGTERM to gapbench: a handler (the CLI's, or this one if none was installed) turns it into
  KeyboardInterrupt, so the same `finally` runs; an atexit hook kills anything still
  registered.
- SIGKILL of gapbench (nothing of ours runs): the child is started with PR_SET_PDEATHSIG =
  SIGKILL, so the kernel kills it. PDEATHSIG fires when the *thread* that forked exits, so it
  is set only when starting from the main thread (whose end is the process's end); our own
  llama.cpp wrapper (llama_server.py) also watches its parent pid, which covers other threads.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType

from harness._types import DeploymentFacts, Endpoint
from harness.errors import ServeError
from harness.models import Deployment
from harness.secrets import mask, mask_file

_PR_SET_PDEATHSIG = 1
_LIVE: dict[int, subprocess.Popen[bytes]] = {}
_LOGS: dict[int, Path] = {}  # pid -> its log, masked for secrets once the process ended
_LIVE_LOCK = threading.Lock()
_SAFETY_NET_INSTALLED = False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free right now on `host` (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _load_prctl() -> Callable[..., int] | None:
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # not Linux: the other safety nets still apply
        return None
    return prctl


# Resolved once in the parent: between fork and exec the child should only make the call
# (looking symbols up there could deadlock on a lock another parent thread held at fork).
_PRCTL = _load_prctl()


def _set_pdeathsig() -> None:  # runs in the child between fork and exec
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)


def _kill_all_live() -> None:
    with _LIVE_LOCK:
        procs = list(_LIVE.values())
    for proc in procs:
        stop_process(proc, grace_s=2.0)


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    # As Ctrl-C: the stack unwinds, every `managed_process` finally-block runs, and the
    # executor closes its runs as interrupted (the CLI exits 130 with one line).
    raise KeyboardInterrupt


def _install_safety_net() -> None:
    global _SAFETY_NET_INSTALLED
    if _SAFETY_NET_INSTALLED:
        return
    _SAFETY_NET_INSTALLED = True
    atexit.register(_kill_all_live)
    if threading.current_thread() is threading.main_thread():
        with contextlib.suppress(ValueError, OSError):
            if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
                signal.signal(signal.SIGTERM, _on_sigterm)


def start_process(
    cmd: Sequence[str], *, log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session with stdout+stderr to `log_path`; registered for cleanup."""
    _install_safety_net()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    in_main = threading.current_thread() is threading.main_thread() and _PRCTL is not None
    with open(log_path, "ab") as log:
        try:
            proc = subprocess.Popen(
                list(cmd),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
                preexec_fn=_set_pdeathsig if in_main else None,
            )
        except OSError as exc:
            raise ServeError(f"cannot start {cmd[0]}: {exc}") from None
    with _LIVE_LOCK:
        _LIVE[proc.pid] = proc
        _LOGS[proc.pid] = log_path
    return proc


def start_tied(cmd: Sequence[str], *, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session with this process's output (a server the user watches,
    `gapbench serve`), tied to this process: the kernel kills it when this process dies, even
    by SIGKILL (PR_SET_PDEATHSIG when started from the main thread). The caller stops it in
    order (`stop_process`) on every other way out."""
    in_main = threading.current_thread() is threading.main_thread() and _PRCTL is not None
    try:
        return subprocess.Popen(
            list(cmd),
            env=dict(env),
            start_new_session=True,
            preexec_fn=_set_pdeathsig if in_main else None,
        )
    except OSError as exc:
        raise ServeError(f"cannot start {cmd[0]}: {exc}") from None


def stop_process(proc: subprocess.Popen[bytes], *, grace_s: float = 5.0) -> None:
    """SIGTERM the process group, wait up to `grace_s`, then SIGKILL it. Idempotent."""
    try:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=grace_s)
        # Kill the whole group even if the leader is gone: workers it forked may remain.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)
    finally:
        with _LIVE_LOCK:
            _LIVE.pop(proc.pid, None)
            log = _LOGS.pop(proc.pid, None)
        if log is not None and proc.poll() is not None:
            # A server may log a request's headers or an upstream's echo of a key: secrets
            # never stay in a log gapbench keeps (the report links server logs).
            with contextlib.suppress(OSError, ValueError):
                mask_file(log)


def log_tail(log_path: Path, lines: int = 5) -> str:
    """The last non-empty lines of a log, joined with ' | ' (for one-line error messages)."""
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    tail = [ln.strip() for ln in text.splitlines() if ln.strip()][-lines:]
    return mask(" | ".join(tail))


def http_ok(url: str, timeout_s: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as resp:
            return 200 <= int(resp.status) < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_healthy(
    proc: subprocess.Popen[bytes],
    url: str,
    *,
    deadline_s: float,
    log_path: Path,
    what: str,
    poll_s: float = 0.25,
    ready: Callable[[str], bool] = http_ok,
) -> None:
    """Poll `url` until it answers 2xx. Raise ServeError (one line, with the log's last lines)
    if the process exits first or `deadline_s` passes; never waits longer than that."""
    end = time.monotonic() + deadline_s
    while True:
        code = proc.poll()
        if code is not None:
            raise ServeError(
                f"{what} exited with code {code} before it was ready "
                f"(log {log_path}): {log_tail(log_path)}"
            )
        if ready(url):
            return
        if time.monotonic() >= end:
            raise ServeError(
                f"{what} not ready after {deadline_s:.0f}s (log {log_path}): {log_tail(log_path)}"
            )
        time.sleep(poll_s)


@contextlib.contextmanager
def managed_process(
    cmd: Sequence[str],
    *,
    log_path: Path,
    health_url: str,
    deadline_s: float,
    what: str,
    env: Mapping[str, str] | None = None,
    grace_s: float = 5.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start, wait until healthy, yield, and always stop (also on errors and Ctrl-C)."""
    proc = start_process(cmd, log_path=log_path, env=env)
    try:
        wait_healthy(proc, health_url, deadline_s=deadline_s, log_path=log_path, what=what)
        yield proc
    finally:
        stop_process(proc, grace_s=grace_s)


def local_endpoint(
    deployment: Deployment, model_name: str, host: str, port: int, facts: DeploymentFacts
) -> Endpoint:
    """The Endpoint of a managed OpenAI-compatible server on this machine (no key needed)."""
    return Endpoint(
        protocol="openai",
        model_name=model_name,
        base_url=f"http://{host}:{port}/v1",
        api_key_env=None,
        facts=facts,
        max_connections=deployment.max_connections,
        timeout_s=deployment.timeout_s,
        max_retries=deployment.max_retries,
    )
