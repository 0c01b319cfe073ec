"""What a sweep did, and the exit code a scheduler acts on.

A run's status follows written rules, checked in this order (the first that applies decides;
the run record's `status_rule` and the summary say which):
- interrupted: the command was stopped (Ctrl-C, SIGTERM) while the run was going;
- engine-failed -> failed: the engine failed as a whole;
- all-errored -> failed: every stored sample of the run is an error (4 of 4 errored is a
  failed run, not a complete one);
- stopped -> partial: samples were left undone (the budget, a worker that died);
- breaker -> partial: the deployment's circuit breaker opened during the run, whether or not
  samples were left undone (what was stored ran against an API that was refusing);
- error-rate -> partial: more than `max_error_rate` of the run's stored samples errored
  (default DEFAULT_MAX_ERROR_RATE, 10%; a sweep's `max_error_rate` or `run --max-error-rate`
  overrides it; 1.0 turns the rule off);
- all-stored -> complete: none of the above.
The sweep's exit code is OK when every run is complete, PARTIAL otherwise. `summary_lines()`
names each run that is not complete, its rule and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness import exitcodes
from harness._types import RunStatus, StatusRule
from harness.sweep.plan import Plan, PlannedRun

DEFAULT_MAX_ERROR_RATE = 0.1


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
    rule: StatusRule | None = None  # which rule decided the status

    @property
    def error_rate(self) -> float | None:
        return self.n_error / self.n_stored if self.n_stored else None

    @property
    def label(self) -> str:
        return f"{self.run.card.id} x {self.run.suite.name}"


@dataclass(frozen=True)
class Verdict:
    """A finished run's status, the rule that decided it, and its counts."""

    status: RunStatus
    rule: StatusRule
    message: str | None
    n_error: int  # errored samples stored after this command
    n_stored: int  # samples stored after this command


def final_status(
    run: PlannedRun,
    n_written: int,
    n_new_error: int,
    stopped: str | None,
    engine_failure: str | None = None,
    *,
    breaker: str | None = None,
    max_error_rate: float | None = None,
    interrupted: bool = False,
) -> Verdict:
    """The status of a run whose units all ended, by the rules above.

    stopped: why the run stopped starting samples (the budget, a dead worker), if it did.
    breaker: why the deployment's circuit breaker opened, if it did during the run.
    max_error_rate: the sweep's threshold (None: DEFAULT_MAX_ERROR_RATE).
    """
    n_stored = run.n_done + n_written
    n_error = run.n_stored_error + n_new_error
    limit = DEFAULT_MAX_ERROR_RATE if max_error_rate is None else max_error_rate
    left = len(run.todo) - n_written
    why = breaker and (
        breaker if breaker.startswith("circuit breaker") else f"circuit breaker open: {breaker}"
    )
    if interrupted:
        return Verdict("interrupted", "interrupted", "interrupted", n_error, n_stored)
    if engine_failure:
        return Verdict("failed", "engine-failed", engine_failure, n_error, n_stored)
    not_run = f" ({left} of {len(run.todo)} samples not run)" if left > 0 else ""
    if n_stored and n_error == n_stored:
        msg = f"all {n_stored} samples errored"
        if why or stopped:
            msg += f": {why or stopped}"
        return Verdict("failed", "all-errored", msg + not_run, n_error, n_stored)
    if left > 0 and not why:
        msg = (stopped or "stopped early") + not_run
        return Verdict("partial", "stopped", msg, n_error, n_stored)
    if why:
        return Verdict("partial", "breaker", why + not_run, n_error, n_stored)
    if n_stored and n_error / n_stored > limit:
        msg = (
            f"{n_error} of {n_stored} samples errored ({n_error / n_stored:.0%} > "
            f"max_error_rate {limit:.0%}); rerun with --retry-errors"
        )
        return Verdict("partial", "error-rate", msg, n_error, n_stored)
    return Verdict("complete", "all-stored", None, n_error, n_stored)


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
    budget_usd: float | None = None  # the spending limit this command ran under
    budget_stop: str | None = None  # why the budget refused a sample, if it did
    unknown_cost_calls: int = 0  # answers of a priced deployment that reported no usage

    @property
    def complete(self) -> bool:
        return all(r.status == "complete" for r in self.runs)

    @property
    def max_error_rate(self) -> float:
        """The error-rate rule's threshold for this sweep."""
        rate = self.plan.sweep.max_error_rate
        return DEFAULT_MAX_ERROR_RATE if rate is None else rate

    @property
    def exit_code(self) -> int:
        """exitcodes.OK when every run is complete (by the rules above), else PARTIAL."""
        return exitcodes.OK if self.complete else exitcodes.PARTIAL

    def summary_lines(self) -> list[str]:
        """One line per run that makes the exit code PARTIAL: status, the rule, why."""
        return [
            f"{r.status} ({r.rule or 'no rule recorded'}): {r.label}: "
            f"{r.message or 'no reason recorded'}"
            for r in self.runs
            if r.status != "complete"
        ]

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
        if self.unknown_cost_calls:
            line += (
                f" | {self.unknown_cost_calls} answers reported no token usage: their cost is "
                "unknown, not in this spend, not bounded by a budget"
            )
        if self.n_served:
            line += f" | samples copied from the rows cache: {self.n_served}"
        if self.budget_usd is not None:
            line += " | " + self.budget_line()
        return line

    def budget_line(self) -> str:
        """Spend against the budget, and whether it stopped samples or was passed."""
        assert self.budget_usd is not None
        limit, spent = self.budget_usd, self.spent_usd
        line = f"budget ${limit:.2f}: spent ${spent:.4f} ({spent / limit:.0%})"
        if spent > limit:
            line += (
                f", EXCEEDED by ${spent - limit:.4f} (samples cost more than their worst case: "
                "declare the deployments' context_length)"
            )
        if self.budget_stop:
            line += "; samples left for a later command: the next one's worst case did not fit"
        return line
