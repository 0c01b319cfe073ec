"""A released reservation keeps counting until the ledger holds the sample's real cost.

The request path reports calls in batched events that reach the ledger after the engine has
its answer. A budget that dropped a finished sample's reservation at once had a window in
which that sample's cost counted nowhere; on a loaded machine a whole chunk slipped past the
ceiling through it (seen as 8 samples run where the ceiling allowed 4)."""

from __future__ import annotations

from datetime import UTC, datetime

from harness.serve.proxy.ledger import CallRecord, Ledger
from harness.sweep.budget import Budget


def _paid(ledger: Ledger, usd: float) -> None:
    ledger.record(
        CallRecord("d", "/v1/chat/completions", "ok", 200, datetime.now(UTC), 0.1, cost_usd=usd)
    )


def test_a_finished_sample_counts_until_the_ledger_has_its_cost() -> None:
    ledger = Ledger()
    late: list[float] = []  # costs the request path has answered but not yet reported
    budget = Budget(10.0, ledger)
    budget.settle = lambda: [_paid(ledger, late.pop()) for _ in list(late)]

    assert budget.reserve("u", 6.0)
    late.append(5.0)  # the sample cost 5; its event is still on its way
    budget.release("u")
    # Spent 5 for real: another worst case of 6 must not fit. Dropping the reservation at
    # release (the old way) saw spent 0 + held 0 here and let it start.
    assert not budget.reserve("u", 6.0)
    assert budget.spent_usd == 5.0  # the refusal asked the request path to catch up
    assert budget.reserve("u", 5.0)  # exactly what is left fits once the ledger is current


def test_without_a_way_to_catch_up_the_ceiling_errs_low() -> None:
    ledger = Ledger()
    budget = Budget(10.0, ledger)
    assert budget.reserve("u", 6.0)
    budget.release("u")  # its cost never reported: the reservation stays counted
    assert not budget.reserve("u", 6.0)
    assert budget.reserve("u", 4.0)


def test_a_settled_reservation_goes_once_caught_up() -> None:
    ledger = Ledger()
    late: list[float] = []
    budget = Budget(10.0, ledger)
    budget.settle = lambda: [_paid(ledger, late.pop()) for _ in list(late)]
    for _ in range(3):
        assert budget.reserve("u", 3.0)
        late.append(1.0)
        budget.release("u")
    # 3 spent (once reported); 7 left: a worst case of 7 fits after catching up, 7.5 does not
    assert not budget.exhausted(next_usd=7.0)
    assert budget.exhausted(next_usd=7.5)
    assert budget.reserved_usd == 0.0


def test_a_sample_dearer_than_its_worst_case_raises_the_worst_case_of_later_ones() -> None:
    # A3's fault server reported prompts 3.7 times the assumed 8192 tokens: every later
    # sample still reserved the assumed worst case, and a $0.50 budget ended at $0.81.
    import multiprocessing

    from harness.sweep.coordinator import Coordinator, StopFlags
    from tests.store.helpers import sample

    ledger, notes = Ledger(), []
    budget = Budget(10.0, ledger)
    budget.settle = lambda: None  # the ledger is current in this test
    flags = StopFlags(multiprocessing.get_context("spawn"), ["d"])
    coord = Coordinator(flags, ledger, budget, on_sample=lambda r: None, note=notes.append)
    coord.unit_started("run-a/0", max_connections=2, worst_usd=1.0)
    coord.unit_started("run-a/1", max_connections=2, worst_usd=1.0)  # another shard
    assert coord.may_start("d", "run-a/0") and coord.may_start("d", "run-a/0")
    _paid(ledger, 3.0)  # each of the two cost 3, not 1
    coord.sample_done("run-a/0", sample(run_id="run-a", cost_usd=3.0))
    _paid(ledger, 3.0)
    coord.sample_done("run-a/0", sample(run_id="run-a", sample_id="s2", cost_usd=3.0))
    # 6 spent: with the assumed worst case of 1 four more samples would start and could
    # spend 12 more; with the cost seen, at most one more (6 + 3 <= 10), in either shard.
    assert coord.may_start("d", "run-a/1")
    assert not coord.may_start("d", "run-a/1") and not coord.may_start("d", "run-a/0")
    assert len(notes) == 1 and "cost $3.0000, more than its worst case $1.0000" in notes[0]
