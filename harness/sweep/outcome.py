"""What a sweep did, and the exit code a scheduler acts on.

A run ends in one of:
- complete: every planned sample is stored and at least one is not an error;
- failed: the engine failed as a whole, or every stored sample of the run is an error (4 of 4
  errored is a failed run, not a complete one);
- partial: it stopped with samples left to do (budget, a deployment's circuit breaker, a
  worker that died), or was interrupted.
The sweep's exit code is OK when every run is complete and none is above the sweep's
`max_error_rate`; PARTIAL otherwise. `summary_lines()` says which runs and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness import exitcodes
from harness._types import RunStatus
from harness.sweep.plan import Plan, PlannedRun


@dataclass
class RunOutcome:
    run: PlannedRun
    status: RunStatus
    n_written: int = 0  # rows this command stored for the run
    message: str | None = None
    cost_usd: float | None = None  # cost of the rows written (API prices and local $/hour)
    n_error: int = 0  # errored samples of the run after this command (stored + new)
    n_stored: int = 0  # samples of the run stored after this command
    n_served: int = 0  # of n_written: rows copied from the rows cache instead of run

    @property
    def error_rate(self) -> float | None:
        return self.n_error / self.n_stored if self.n_stored else None

    def over(self, max_error_rate: float | None) -> bool:
        rate = self.error_rate
        return max_error_rate is not None and rate is not None and rate > max_error_rate

    @property
    def label(self) -> str:
        return f"{self.run.card.id} x {self.run.suite.name}"


def final_status(
    run: PlannedRun,
    n_written: int,
    n_new_error: int,
    stopped: str | None,
    engine_failure: str | None = None,
) -> tuple[RunStatus, str | None, int, int]:
    """(status, message, errors stored, samples stored) of a run whose units all ended.

    stopped: why the run stopped early (budget, breaker, a dead worker), if it did.
    engine_failure: the engine failed as a whole (RunnerError): the run failed.
    """
    n_stored = run.n_done + n_written
    n_error = run.n_stored_error + n_new_error
    if engine_failure:
        return "failed", engine_failure, n_error, n_stored
    if n_stored and n_error == n_stored:
        why = f"all {n_stored} samples errored"
        return "failed", f"{why}: {stopped}" if stopped else why, n_error, n_stored
    if n_written < len(run.todo):
        left = len(run.todo) - n_written
        why = stopped or "stopped early"
        return "partial", f"{why} ({left} of {len(run.todo)} samples not run)", n_error, n_stored
    return "complete", None, n_error, n_stored


@dataclass
class SweepOutcome:
    plan: Plan
    runs: list[RunOutcome] = field(default_factory=list)
    upstream_calls: int = 0
    cache_hits: int = 0
    spent_usd: float = 0.0  # money paid upstream by this command (the request path's ledger)
    cached_value_usd: float = 0.0  # list price of the answers served from the cache (not paid)
    cost_usd: float = 0.0  # cost of the rows written: API prices and local $/hour alike
    interrupted_closed: int = 0  # run records of killed attempts closed as "interrupted"

    @property
    def complete(self) -> bool:
        return all(r.status == "complete" for r in self.runs)

    @property
    def max_error_rate(self) -> float | None:
        return self.plan.sweep.max_error_rate

    @property
    def exit_code(self) -> int:
        """exitcodes.OK when every run completed within the error-rate threshold, else PARTIAL."""
        bad = [r for r in self.runs if r.status != "complete" or r.over(self.max_error_rate)]
        return exitcodes.PARTIAL if bad else exitcodes.OK

    def summary_lines(self) -> list[str]:
        """One line per run that makes the exit code PARTIAL, saying why."""
        lines = []
        for r in self.runs:
            if r.status != "complete":
                lines.append(f"{r.status}: {r.label}: {r.message or 'no reason recorded'}")
            elif r.over(self.max_error_rate):
                lines.append(
                    f"errors: {r.label}: {r.n_error} of {r.n_stored} samples errored "
                    f"({r.error_rate:.0%} > max_error_rate {self.max_error_rate:.0%}); "
                    "rerun with --retry-errors"
                )
        return lines

    @property
    def n_served(self) -> int:
        """Samples copied from the rows cache instead of run (sweep/rows_cache.py)."""
        return sum(r.n_served for r in self.runs)

    def money_line(self) -> str:
        """Money spent apart from the value of answers the cache served (a rerun costs $0)."""
        line = (
            f"model calls: {self.upstream_calls} (cache hits {self.cache_hits}) | "
            f"spent ${self.spent_usd:.4f} | served from cache (not paid) "
            f"${self.cached_value_usd:.4f}"
        )
        if self.n_served:
            line += f" | samples copied from the rows cache: {self.n_served}"
        return line
