"""Exception hierarchy.

User mistakes (bad config, bad registry, bad CLI args, corrupt files) are `UserError`s: the CLI
prints their one-line message and exits 2, never a traceback. Everything else that gapbench
anticipates is a `GapbenchError` (exit 1). Unexpected exceptions are bugs and keep their
traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness._text import one_line


class GapbenchError(Exception):
    """An anticipated failure. `str(err)` is a complete one-line message.

    The message is made printable once, here: control and invisible characters shown as
    escapes (a newline or a terminal escape sequence in a model name cannot break the line or
    the terminal) and very long names clipped with their length said (harness._text.one_line).
    """

    exit_code = 1

    def __init__(self, *args: Any) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (one_line(args[0]),)
        super().__init__(*args)


class UserError(GapbenchError):
    """Bad input from the user: exit 2 with one line, nothing stored is touched."""

    exit_code = 2


class ConfigError(UserError):
    """A file (sweep, registry, suite.yaml, ...) is missing or malformed.

    The message names the file and the field, e.g.
    `sweeps/demo.yaml: models[0]: unknown model 'gpt-9'`.
    """

    def __init__(self, path: Path | str, field: str | None, problem: str) -> None:
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = f"{self.path}: {field}" if field else self.path
        super().__init__(f"{where}: {problem}")


class StoreError(UserError):
    """A file in the results store is unreadable, foreign or from a newer schema."""


class PreflightError(UserError):
    """A check before any spend failed: missing key, unknown model, unreachable endpoint."""


class OfflineError(GapbenchError):
    """An online-only feature was asked for without network access."""

    exit_code = 3


class ServeError(GapbenchError):
    """A local model server could not be started or stopped cleanly."""


class RunnerError(GapbenchError):
    """An evaluation engine failed as a whole (not a single sample: those are stored as errors)."""


class BudgetExceeded(GapbenchError):
    """Raised internally when the projected spend would pass the sweep's budget."""
