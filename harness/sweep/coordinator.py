"""The executor's side of a sweep in flight: progress, budget, circuit breakers, stop flags.

Units (units.py) report each finished sample here and ask, before each new sample, whether
they may start it. The answer lives in stop flags (multiprocessing Events, so worker
processes read them without a round trip): one for the whole sweep (budget reached, Ctrl-C)
and one per deployment (its circuit breaker opened). The coordinator sets them from the
budget's projection after each sample and from the request path's breaker state, which it
also polls on its own, so a deployment that stops answering is noticed without a finished
sample.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from harness._types import SampleRecord
from harness.serve.proxy import Ledger
from harness.sweep.budget import Budget
from harness.sweep.units import refused_by_breaker


class StopFlags:
    """Why units must not start new samples: for all deployments, or for one."""

    def __init__(self, mp_context: Any, deployment_ids: Iterable[str]) -> None:
        self.all = mp_context.Event()
        self.deployment: dict[str, Any] = {d: mp_context.Event() for d in deployment_ids}
        self.reasons: dict[str | None, str] = {}  # None: the whole sweep
        self._lock = threading.Lock()

    def stop(self, deployment_id: str | None, reason: str) -> bool:
        """Set a flag (first reason wins); True when it was not set before."""
        with self._lock:
            if deployment_id in self.reasons:
                return False
            self.reasons[deployment_id] = reason
        if deployment_id is None:
            self.all.set()
        else:
            self.deployment[deployment_id].set()
        return True

    def may_start(self, deployment_id: str) -> bool:
        event = self.deployment.get(deployment_id)
        return not self.all.is_set() and not (event is not None and event.is_set())

    def may_start_any(self) -> bool:
        return not self.all.is_set()

    def reason(self, deployment_id: str) -> str | None:
        with self._lock:
            return self.reasons.get(deployment_id) or self.reasons.get(None)


def breaker_reason(ledger: Ledger, deployment_id: str) -> str | None:
    """The request path's circuit breaker for a deployment: its reason once open."""
    breaker = getattr(ledger, "breaker", None)  # the request path's breaker (issue 12)
    return breaker(deployment_id) if breaker is not None else None


class Coordinator:
    """Thread-safe; `sample_done` is called from the threads that read the units' reports."""

    def __init__(
        self,
        flags: StopFlags,
        ledger: Ledger,
        budget: Budget | None,
        on_sample: Any,  # reporter.sample_done
        note: Any,  # reporter.note
    ) -> None:
        self.flags = flags
        self.ledger = ledger
        self.budget = budget
        self._on_sample = on_sample
        self._note = note
        self._lock = threading.Lock()
        self.records: dict[str, list[SampleRecord]] = defaultdict(list)  # run_id -> this command's
        self._active: dict[str, int] = {}  # unit id -> its connection share (samples in flight)
        # Ray units pay through their own request paths; until their ledgers come back with
        # their results, the rows' costs stand in for that spend in the budget.
        self._remote_cost: dict[str, float] = defaultdict(float)
        self._received: dict[str, int] = defaultdict(int)  # unit id -> samples received
        self._arrived = threading.Condition(self._lock)
        if budget is not None:
            budget.extra_spent = self.remote_unsettled_usd

    # --- units ---------------------------------------------------------------------------

    def unit_started(self, unit_id: str, max_connections: int) -> None:
        with self._lock:
            self._active[unit_id] = max_connections

    def unit_ended(self, unit_id: str) -> None:
        with self._lock:
            self._active.pop(unit_id, None)

    def may_start(self, deployment_id: str) -> bool:
        return self.flags.may_start(deployment_id)

    def remote_unsettled_usd(self) -> float:
        with self._lock:
            return sum(self._remote_cost.values())

    def remote_sample(self, unit_id: str, record: SampleRecord) -> None:
        """A sample of a unit that reached its deployment on another node (Ray)."""
        with self._lock:
            self._remote_cost[unit_id] += record.cost_usd or 0.0
        self.sample_done(unit_id, record)

    def settle_remote(self, results: list[Any], timeout_s: float = 30.0) -> None:
        """Wait for every sample the units reported, then take their ledgers' calls."""
        deadline = time.monotonic() + timeout_s
        with self._arrived:
            for r in results:
                while self._received[r.unit_id] < r.n_reported:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self._arrived.wait(left)
        for r in results:
            for call in r.calls:
                self.ledger.record(call)
            with self._lock:
                self._remote_cost.pop(r.unit_id, None)

    def sample_done(self, unit_id: str, record: SampleRecord) -> None:
        with self._lock:
            self.records[record.run_id].append(record)
            self._received[unit_id] += 1
            self._arrived.notify_all()
            self._on_sample(record)
        if self.budget is not None:
            self.budget.finished()
        if refused_by_breaker(record):
            reason = (
                breaker_reason(self.ledger, record.facts.deployment_id)
                or ((record.error or "")[:200])
            )
            dep = record.facts.deployment_id
            if dep in self.flags.deployment and self.flags.stop(
                dep, f"circuit breaker open: {reason}"
            ):
                self._note(f"stopping deployment {dep}: circuit breaker open: {reason}")
        self.check()

    # --- stopping ------------------------------------------------------------------------

    def check(self) -> None:
        """Set stop flags from the budget's projection and the breakers' states."""
        if self.budget is not None and self.flags.may_start_any():
            with self._lock:
                in_flight = sum(self._active.values())
            if not self.budget.may_start(n_new=1, in_flight=in_flight):
                message = self.budget.message(n_new=1, in_flight=in_flight)
                if self.flags.stop(None, message):
                    self._note(f"stopping: {message}")
        for dep_id in self.flags.deployment:
            reason = breaker_reason(self.ledger, dep_id)
            if reason and self.flags.stop(dep_id, f"circuit breaker open: {reason}"):
                self._note(f"stopping deployment {dep_id}: circuit breaker open: {reason}")

    def interrupt(self, reason: str = "interrupted") -> None:
        self.flags.stop(None, reason)
