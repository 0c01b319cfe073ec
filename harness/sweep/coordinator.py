"""The executor's side of a sweep in flight: progress, budget, circuit breakers, stop flags.

Units (units.py) report each finished sample here and ask, before each new sample, whether
they may start it. Part of the answer lives in stop flags (multiprocessing Events, so worker
processes read them without a round trip): one for the whole sweep (budget spent, Ctrl-C)
and one per deployment (its circuit breaker opened), set from the request path's breaker
state, which the coordinator also polls on its own, so a deployment that stops answering is
noticed without a finished sample. With a budget, each sample also reserves its worst-case
cost here before it starts (budget.py; worker processes ask over their pipe) and releases
it when it ends.
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

    def deployment_reason(self, deployment_id: str) -> str | None:
        """Why this deployment alone was stopped (its circuit breaker), if it was."""
        with self._lock:
            return self.reasons.get(deployment_id)

    def sweep_reason(self) -> str | None:
        """Why every deployment was stopped (the budget, an interrupt), if they were."""
        with self._lock:
            return self.reasons.get(None)


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
        self._worst: dict[str, float] = {}  # unit id -> one sample's worst-case cost
        # run id -> the most one of its samples really cost, where that passed the worst case
        # (a prompt longer than the deployment's assumed context): later samples reserve it.
        self._seen: dict[str, float] = {}
        self._reserving: set[str] = set()  # units whose samples reserve before they start
        # Ray units pay through their own request paths; until their ledgers come back with
        # their results, the rows' costs stand in for that spend in the budget.
        self._remote_cost: dict[str, float] = defaultdict(float)
        self._received: dict[str, int] = defaultdict(int)  # unit id -> samples received
        self._arrived = threading.Condition(self._lock)
        self.interrupted = False  # Ctrl-C / SIGTERM: the runs in flight end "interrupted"
        if budget is not None:
            budget.extra_spent = self.remote_unsettled_usd

    # --- units ---------------------------------------------------------------------------

    def unit_started(
        self,
        unit_id: str,
        max_connections: int,
        worst_usd: float | None = None,
        reserving: bool = True,
    ) -> None:
        """A unit began. worst_usd: one of its samples' worst case (budget.worst_case_usd).
        reserving: its samples ask `may_start` with the unit id before they start (local
        units); a unit that cannot (Ray) counts at its connection share x worst case."""
        with self._lock:
            self._active[unit_id] = max_connections
            self._worst[unit_id] = worst_usd or 0.0
            if reserving:
                self._reserving.add(unit_id)

    def unit_ended(self, unit_id: str) -> None:
        with self._lock:
            self._active.pop(unit_id, None)
            self._worst.pop(unit_id, None)
            self._reserving.discard(unit_id)
        if self.budget is not None:
            self.budget.release_unit(unit_id)

    def _worst_of(self, unit_id: str) -> float:
        """One sample's worst case for the unit (the lock held): the assumed one, or what a
        sample of its run was seen to cost when that was more."""
        return max(self._worst.get(unit_id, 0.0), self._seen.get(unit_id.split("/")[0], 0.0))

    def worst_of_run(self, run_id: str, assumed: float) -> float:
        """One sample's worst case for a run: `assumed`, or more if a sample cost more."""
        with self._lock:
            return max(assumed, self._seen.get(run_id, 0.0))

    def _unreserved_usd(self) -> float:
        """What units that cannot reserve may spend at most with their samples in flight."""
        with self._lock:
            return sum(
                n * self._worst_of(u) for u, n in self._active.items() if u not in self._reserving
            )

    def _learn_worst(self, unit_id: str, record: SampleRecord) -> None:
        """A sample that cost more than its worst case raises the worst case of its run's later
        samples to that cost, so an assumption that failed once (a prompt longer than the
        deployment's context_length or the 8192 tokens assumed without one) lets at most the
        samples already in flight pass the ceiling."""
        cost = record.cost_usd or 0.0
        with self._lock:
            assumed = self._worst.get(unit_id, 0.0)
            if assumed <= 0 or cost <= self._worst_of(unit_id):
                return  # unpriced (nothing reserved), or within what is reserved now
            first = record.run_id not in self._seen
            self._seen[record.run_id] = cost
        if first:
            self._note(
                f"budget: a sample of {record.model_id} x {record.suite} cost ${cost:.4f}, more "
                f"than its worst case ${assumed:.4f} (declare the deployment's context_length): "
                "later samples reserve the most seen"
            )

    def may_start(self, deployment_id: str, unit_id: str | None = None) -> bool:
        """May a sample of `unit_id` (on `deployment_id`) start now? With a budget, a yes
        reserves the sample's worst case until it ends (`sample_done`)."""
        if not self.flags.may_start(deployment_id):
            return False
        if self.budget is None or unit_id is None:
            return True
        with self._lock:
            worst = self._worst_of(unit_id)
        if self.budget.reserve(unit_id, worst, self._unreserved_usd()):
            return True
        # Refused: this sample is left for a later command. While samples are in flight
        # their ends free room for later ones; with none in flight nothing ever will.
        if self.budget.in_flight == 0:
            self._stop_for_budget()
        return False

    def _stop_for_budget(self) -> None:
        assert self.budget is not None
        message = self.budget.message()
        if self.flags.stop(None, message):
            self._note(f"stopping: {message}")

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
            self._learn_worst(unit_id, record)
            self.budget.release(unit_id)
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
        """Set stop flags from the budget (spent, reserved, and units that cannot reserve at
        their worst) and the breakers' states."""
        if self.budget is not None and self.flags.may_start_any():
            with self._lock:
                worst = max(map(self._worst_of, self._worst), default=0.0)
                ray_like = any(u not in self._reserving for u in self._active)
            # Units that reserve are refused sample by sample (may_start); units that cannot
            # (Ray) stop once their samples in flight at their worst, plus one, would not fit.
            spent_out = self.budget.spent_usd >= self.budget.limit_usd
            if spent_out or (ray_like and self.budget.exhausted(self._unreserved_usd(), worst)):
                if self.budget.refused is None:
                    self.budget.refused = self.budget.message()
                self._stop_for_budget()
        for dep_id in self.flags.deployment:
            reason = breaker_reason(self.ledger, dep_id)
            if reason and self.flags.stop(dep_id, f"circuit breaker open: {reason}"):
                self._note(f"stopping deployment {dep_id}: circuit breaker open: {reason}")

    def breaker(self, deployment_id: str) -> str | None:
        """Why the deployment's breaker stopped it during this command, if it did."""
        return self.flags.deployment_reason(deployment_id)

    def interrupt(self, reason: str = "interrupted") -> None:
        self.interrupted = True
        self.flags.stop(None, reason)
