"""How the gapbench process ends once its command has finished.

After `main` has returned, the interpreter's own teardown (collecting the engines' modules:
inspect-ai, lm-eval, pandas, pyarrow) took 1-3 s on a loaded machine, with no Python code
left to run. Through that window SIGTERM was back at its default (exit 143, not 130) and the
command's exit code already decided. So the process that runs a command as its own (the
`gapbench` script, `python -m harness.cli`; not an in-process caller of `main`) ends as soon
as its exit handlers have run: the last handler flushes the standard streams and logging and
leaves with the command's code, and a SIGTERM or Ctrl-C after the command finished does the
same at once (its work is stored; every child was stopped by the code that started it).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable

from harness import exitcodes

_code = exitcodes.FAILURE  # an uncaught exception (its traceback printed) exits 1


def own_process() -> Callable[[int], None]:
    """For a process running one command: registers the last exit handler (atexit runs
    handlers last-registered first, so this one, registered before the command imports
    anything, runs after every other). Returns `finished(code)`, to call when the command
    has its exit code."""
    atexit.register(_leave)

    def finished(code: int) -> None:
        global _code
        _code = code
        if threading.current_thread() is threading.main_thread():
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signal.SIGTERM, _on_signal)
                signal.signal(signal.SIGINT, _on_signal)

    return finished


def _on_signal(signum: int, frame: object) -> None:
    _leave()


def _leave() -> None:
    logging = sys.modules.get("logging")
    if logging is not None:
        with contextlib.suppress(Exception):
            logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(_code)
