"""The spending limit of a sweep: stop starting samples once the projected spend passes it.

The executor asks `may_start(n_new, in_flight)` as each sample ends (and calls `finished()`);
when the answer is no, units start no new sample, the samples in flight finish (their calls
are paid for already) and the run is marked partial; a later command resumes it, and the
request path's cache makes the replayed calls free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from harness.serve.proxy.ledger import Ledger


class Budget:
    """A USD limit on what this command spends, measured by the ledger.

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
        self._finished = 0
        self._lock = threading.Lock()
        # Spend not in the ledger yet (Ray units' own request paths), read live.
        self.extra_spent: Callable[[], float] | None = None

    @property
    def spent_usd(self) -> float:
        extra = self.extra_spent() if self.extra_spent is not None else 0.0
        return self.ledger.spent_usd - self._start_spent + extra

    @property
    def unpriced_calls(self) -> int:
        return self.ledger.totals().n_unpriced_calls - self._start_unpriced

    @property
    def n_finished(self) -> int:
        with self._lock:
            return self._finished

    def finished(self, n: int = 1) -> None:
        """Note that n samples ended (scored, error or limit): they anchor the projection."""
        with self._lock:
            self._finished += n

    def projected_usd(self, n_new: int, in_flight: int) -> float | None:
        """spent + average cost per finished sample x (in_flight + n_new); None before any
        sample has finished (no basis for an average yet).

        The spend of samples still in flight is already in `spent` and in the average, so
        the projection errs high: the budget is a ceiling, not a target.
        """
        spent, done = self.spent_usd, self.n_finished
        if done == 0:
            return None
        return spent + spent / done * (in_flight + n_new)

    def may_start(self, n_new: int, in_flight: int) -> bool:
        if self.spent_usd >= self.limit_usd:
            return False
        projected = self.projected_usd(n_new, in_flight)
        return projected is None or projected <= self.limit_usd

    def message(self, n_new: int, in_flight: int) -> str:
        """One line for the log and the partial run's message."""
        projected = self.projected_usd(n_new, in_flight)
        proj = "unknown" if projected is None else f"${projected:.4f}"
        return (
            f"budget ${self.limit_usd:.2f}: spent ${self.spent_usd:.4f} over {self.n_finished} "
            f"samples, projected {proj} with {in_flight} in flight and {n_new} more"
        )
