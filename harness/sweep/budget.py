"""The spending limit of a sweep, as a ceiling: a sample starts only if its worst case fits.

Before a sample starts, its worst-case cost is reserved (`worst_case_usd`: its suite's limits
times its deployment's prices); the sample starts only if what is spent plus every
reservation of samples in flight plus this one stays within the limit. When the sample ends
its reservation is released, but it keeps counting ("settling") until the ledger is known to
hold what the sample really cost: the request path reports calls in batched events that reach
the ledger a little after the engine has its answer, so dropping the reservation at once
would leave a window in which the sample's cost counts nowhere (on a loaded machine a whole
chunk of samples slipped past the ceiling through it). A settling reservation goes when the
ledger has caught up (`settle`: the request path's sync, asked only when a sample would not
fit otherwise). So the spend never passes the limit as long as the worst cases hold; a worst case
that did not hold (a prompt longer than the assumed context) lets the samples in flight pass it
by their excess, and the executor then reserves the most a sample of that run was seen to cost
(sweep/coordinator.py). The spend of samples still in flight is counted twice until they end (spent, and
reserved whole): the ceiling errs low, never high.

When a sample does not fit, units start no new sample, those in flight finish (their calls are
paid for already) and the run is marked partial; a later command resumes it, and the request
path's cache makes the replayed calls free. Token prices only: a local server's $/hour is
charged on rows by wall time, not reserved here.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

from harness.models import Deployment
from harness.serve.proxy.ledger import Ledger
from harness.suites import SuiteSpec

# What the limits leave open: a prompt's size when the deployment declares no context
# length, and the model calls of an agentic sample without a message limit.
DEFAULT_PROMPT_TOKENS = 8192
DEFAULT_AGENT_CALLS = 50


def worst_case_usd(suite: SuiteSpec, deployment: Deployment) -> float | None:
    """The most one sample of `suite` can cost on `deployment` (None: no price known).

    Calls: 1 (standard) or message_limit / 2 (agentic; DEFAULT_AGENT_CALLS without one).
    Each call: a prompt up to the deployment's context_length less max_tokens
    (DEFAULT_PROMPT_TOKENS when undeclared) and max_tokens out. A token_limit bounds the
    total (the engine ends the sample past it: one more call at most). No cache discount.
    """
    pricing = deployment.pricing
    if pricing is None or not pricing.per_token:
        return None
    limits = suite.limits
    context = deployment.context_length
    prompt = context - limits.max_tokens if context and context > limits.max_tokens else None
    prompt = prompt or DEFAULT_PROMPT_TOKENS
    if suite.kind == "standard":
        calls = 1
    else:
        calls = max(1, limits.message_limit // 2) if limits.message_limit else DEFAULT_AGENT_CALLS
    out = calls * limits.max_tokens
    inp = calls * prompt
    if limits.token_limit is not None:
        total = limits.token_limit + prompt + limits.max_tokens
        out = min(out, total)
        inp = min(inp, total - out)
    return pricing.cost(inp, out)


class Budget:
    """A USD limit on what this command spends, measured by the ledger, with reservations.

    Only spend recorded after the Budget was made counts (a resumed run gets a fresh limit;
    its cached replays cost nothing). A call to a deployment without pricing has an unknown
    cost and counts as 0 here; `unpriced_calls` says how many there were, so the executor
    can warn that the budget cannot bound them.
    """

    def __init__(self, limit_usd: float, ledger: Ledger) -> None:
        if limit_usd <= 0:
            raise ValueError("budget must be positive")
        self.limit_usd = limit_usd
        self.ledger = ledger
        start = ledger.totals()
        self._start_spent = start.spent_usd
        self._start_unpriced = start.n_unpriced_calls
        self._lock = threading.Lock()
        self._held: dict[str, list[float]] = defaultdict(list)  # unit id -> reservations
        self._finished = 0
        self.refused: str | None = None  # why the first sample was refused, once one was
        # Released reservations whose real cost may not be in the ledger yet (see module doc).
        self._settling: list[float] = []
        # Waits until every call answered so far is in the ledger (RequestPath.sync); None
        # keeps settling reservations held for the whole command (the ceiling errs low).
        self.settle: Callable[[], None] | None = None
        # Spend not in the ledger yet (Ray units' own request paths), read live.
        self.extra_spent: Callable[[], float] | None = None

    @property
    def spent_usd(self) -> float:
        extra = self.extra_spent() if self.extra_spent is not None else 0.0
        return self.ledger.spent_usd - self._start_spent + extra

    @property
    def reserved_usd(self) -> float:
        with self._lock:
            return self._reserved()

    def _reserved(self) -> float:
        return sum(sum(v) for v in self._held.values()) + sum(self._settling)

    @property
    def in_flight(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._held.values())

    @property
    def unpriced_calls(self) -> int:
        return self.ledger.totals().n_unpriced_calls - self._start_unpriced

    @property
    def n_finished(self) -> int:
        with self._lock:
            return self._finished

    def reserve(self, unit_id: str, worst_usd: float | None, extra_usd: float = 0.0) -> bool:
        """Reserve a sample's worst case for `unit_id` if it fits; False (and nothing held)
        when it does not. extra_usd: what must also stay free (units that cannot reserve:
        their samples in flight at their worst)."""
        worst = worst_usd or 0.0
        if not self._fits(worst, extra_usd):
            self._catch_up()  # settled reservations go once the ledger is current; check again
        spent = self.spent_usd
        with self._lock:
            held = self._reserved()
            if spent + held + extra_usd + worst > self.limit_usd or spent >= self.limit_usd:
                if self.refused is None:
                    self.refused = self._line(spent, held + extra_usd, worst)
                return False
            self._held[unit_id].append(worst)
            return True

    def _fits(self, worst: float, extra_usd: float) -> bool:
        spent = self.spent_usd
        with self._lock:
            held = self._reserved()
        return spent < self.limit_usd and spent + held + extra_usd + worst <= self.limit_usd

    def _catch_up(self) -> None:
        """Bring the ledger up to date and drop the settling reservations it now covers."""
        with self._lock:
            if not self._settling or self.settle is None:
                return
            n = len(self._settling)  # released before the sync: their calls were answered
        try:
            self.settle()
        except Exception:  # the request path is gone: keep them counted (errs low)
            return
        with self._lock:
            del self._settling[:n]

    def release(self, unit_id: str) -> None:
        """A sample of the unit ended: its reservation goes (its real cost is spent)."""
        with self._lock:
            self._finished += 1
            held = self._held.get(unit_id)
            if held:
                self._settling.append(held.pop())

    def release_unit(self, unit_id: str) -> None:
        """The unit ended: whatever it still held (a sample that never reported) settles."""
        with self._lock:
            self._settling.extend(self._held.pop(unit_id, []))

    def exhausted(self, extra_usd: float = 0.0, next_usd: float = 0.0) -> bool:
        """Nothing more fits (checked without reserving)."""
        if not self._fits(next_usd, extra_usd):
            self._catch_up()
        return not self._fits(next_usd, extra_usd)

    def _line(self, spent: float, held: float, worst: float) -> str:
        return (
            f"budget ${self.limit_usd:.2f}: spent ${spent:.4f}, ${held:.4f} reserved for "
            f"samples in flight; the next sample's worst case ${worst:.4f} would pass it"
        )

    def message(self) -> str:
        """One line for the log and the partial run's message."""
        return self.refused or self._line(self.spent_usd, self.reserved_usd, 0.0)

    def run_message(self, worst_usd: float) -> str:
        """Why a run's samples were left, with its own worst case (the first refusal's line
        names the worst case of whichever sample asked first, maybe of another suite)."""
        return (
            f"budget ${self.limit_usd:.2f}: spent ${self.spent_usd:.4f}; a sample of this run "
            f"reserves ${worst_usd:.4f} at its worst, which did not fit"
        )
