"""Terminal progress for sweeps (rich): one bar over all planned samples, a line per run."""

from __future__ import annotations

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


def label(run: PlannedRun) -> str:
    """'model x suite', marked when it is a nightly canary run (same model and suite)."""
    canary = " (canary)" if getattr(run, "canary", False) else ""
    return f"{run.card.id} x {run.suite.name}{canary}"


class RichReporter:
    def __init__(self, console: Console) -> None:
        self.console = console
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
        self._errors = 0

    def start(self, plan: Plan) -> None:
        for skip in plan.skipped:
            self.console.print(f"[yellow]skipped[/] {skip.what}: {skip.reason}")
        for run in plan.runs:
            if run.n_done:
                self.console.print(
                    f"resume: {run.card.id} x {run.suite.name}: {run.n_done} of {run.n_planned} already stored"
                )
        if plan.n_todo:
            self.progress.start()
            self._task = self.progress.add_task("samples", total=plan.n_todo, errors=0)

    def run_started(self, run: PlannedRun) -> None:
        if self._task is not None:
            self.progress.update(self._task, description=label(run))

    def sample_done(self, record: SampleRecord) -> None:
        if record.status == "error":
            self._errors += 1
        if self._task is not None:
            self.progress.update(self._task, advance=1, errors=self._errors)

    def run_finished(self, run: PlannedRun, status: RunStatus, message: str | None) -> None:
        tail = f" ({message})" if message else ""
        self.progress.console.print(f"{status}: {label(run)}{tail}", markup=False)

    def note(self, text: str) -> None:
        self.progress.console.print(text)

    def stop(self) -> None:
        self.progress.stop()
