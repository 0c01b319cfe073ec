"""Progress of a sweep while it runs.

On a terminal: rich's live bar over all planned samples and a line per finished run. Off a
terminal (nohup, CI logs, cron mail), where a live bar prints nothing useful, one plain line at
a steady interval (default 30 s; `--progress-interval`, GAPBENCH_PROGRESS_INTERVAL) with
samples done of total, errors, limits, cost of the rows so far, elapsed time and an ETA,
also while no sample finishes (an agentic sample can take minutes), and a line per run.
"""

from __future__ import annotations

import os
import threading
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from harness._types import RunStatus, SampleRecord
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.pricing import human_seconds

DEFAULT_INTERVAL_S = 30.0
INTERVAL_ENV = "GAPBENCH_PROGRESS_INTERVAL"


def label(run: PlannedRun) -> str:
    """'model x suite', marked when it is a nightly canary run (same model and suite)."""
    canary = " (canary)" if getattr(run, "canary", False) else ""
    return f"{run.card.id} x {run.suite.name}{canary}"


def interval_from_env(default: float = DEFAULT_INTERVAL_S) -> float:
    """GAPBENCH_PROGRESS_INTERVAL seconds when set to a number in 1..86400, else `default`."""
    raw = os.environ.get(INTERVAL_ENV)
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if 1 <= value <= 86_400 else default


class _Counts:
    """What the progress lines say, shared by the reporting and the timer threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.total = 0
        self.done = 0
        self.errors = 0
        self.limits = 0
        self.cost = 0.0
        self.started = time.monotonic()
        self.current: str | None = None

    def add(self, record: SampleRecord) -> None:
        with self.lock:
            self.done += 1
            self.errors += record.status == "error"
            self.limits += record.status == "limit"
            self.cost += record.cost_usd or 0.0

    def line(self) -> str:
        with self.lock:
            elapsed = time.monotonic() - self.started
            pct = f" ({self.done / self.total:.0%})" if self.total else ""
            if self.done and self.total > self.done:
                eta = human_seconds(elapsed / self.done * (self.total - self.done))
            elif self.total and self.done >= self.total:
                eta = "0 s"
            else:
                eta = "unknown (no sample finished yet)"
            now = f" | now: {self.current}" if self.current else ""
            return (
                f"progress: {self.done}/{self.total} samples{pct} | errors {self.errors} | "
                f"limits {self.limits} | cost ${self.cost:.4f} | elapsed "
                f"{human_seconds(elapsed)} | ETA {eta}{now}"
            )


class SweepProgress:
    """The executor's Reporter for the command line: a live bar on a terminal, plain lines
    every `interval_s` seconds elsewhere (module docstring). Call stop() when done."""

    def __init__(self, console: Console, *, interval_s: float | None = None) -> None:
        self.console = console
        self.live = console.is_terminal
        self.interval_s = interval_s if interval_s is not None else interval_from_env()
        self.counts = _Counts()
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("errors: {task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    def _print(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def start(self, plan: Plan) -> None:
        for skip in plan.skipped:
            self._print(f"skipped {skip.what}: {skip.reason}")
        for run in plan.runs:
            if run.n_done:
                self._print(
                    f"resume: {run.card.id} x {run.suite.name}: {run.n_done} of "
                    f"{run.n_planned} already stored"
                )
        self.counts.total = plan.n_todo
        if not plan.n_todo:
            return
        if self.live:
            self.progress.start()
            self._task = self.progress.add_task("samples", total=plan.n_todo, errors=0)
            return
        self._print(
            f"running {plan.n_todo} samples in {sum(1 for r in plan.runs if r.todo)} runs; "
            f"a progress line every {self.interval_s:g} s"
        )
        self._timer = threading.Thread(target=self._tick, name="gapbench-progress", daemon=True)
        self._timer.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.interval_s):
            self._print(self.counts.line())

    def run_started(self, run: PlannedRun) -> None:
        with self.counts.lock:
            self.counts.current = label(run)
        if self._task is not None:
            self.progress.update(self._task, description=label(run))

    def sample_done(self, record: SampleRecord) -> None:
        self.counts.add(record)
        if self._task is not None:
            self.progress.update(self._task, advance=1, errors=self.counts.errors)

    def run_finished(self, run: PlannedRun, status: RunStatus, message: str | None) -> None:
        tail = f" ({message})" if message else ""
        line = f"{status}: {label(run)}{tail}"
        if self.live:
            self.progress.console.print(line, markup=False, highlight=False)
        else:
            self._print(line)

    def note(self, text: str) -> None:
        if self.live:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            self._print(text)

    def stop(self) -> None:
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=5)
            self._timer = None
            self._print(self.counts.line())
        self.progress.stop()


# The name nightly (harness/cli/nightly.py) and older callers use.
RichReporter = SweepProgress
