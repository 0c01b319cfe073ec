"""Each status rule at its boundary (issue 19.1; A3's acceptance pass): exactly at
max_error_rate is complete, one error more is partial, and a run the breaker cut short says
how many of its samples never ran."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from harness.sweep.outcome import final_status


def _run(todo: int, done: int = 0, stored_error: int = 0) -> Any:
    return SimpleNamespace(todo=[object()] * todo, n_done=done, n_stored_error=stored_error)


@pytest.mark.parametrize(
    ("n_error", "rate", "status", "rule"),
    [(2, 0.25, "complete", "all-stored"), (3, 0.25, "partial", "error-rate"),
     (0, 0.0, "complete", "all-stored"), (1, 0.0, "partial", "error-rate"),
     (7, 1.0, "complete", "all-stored"), (8, 1.0, "failed", "all-errored")],
)  # fmt: skip
def test_the_error_rate_rule_at_its_boundary(
    n_error: int, rate: float, status: str, rule: str
) -> None:
    v = final_status(_run(8), 8, n_error, None, max_error_rate=rate)
    assert (v.status, v.rule) == (status, rule)


def test_a_run_the_breaker_cut_short_says_what_never_ran() -> None:
    # A permanent 429 on 12 samples at concurrency 1: 8 failed calls open the breaker, the
    # 9th is refused, 3 never start. The message said "all 9 samples errored: ..." only.
    why = "8 consecutive calls failed after their retries (last: HTTP 429)"
    v = final_status(_run(12), 9, 9, None, breaker=why)
    assert (v.status, v.rule) == ("failed", "all-errored")
    assert (
        v.message == f"all 9 samples errored: circuit breaker open: {why} (3 of 12 samples not run)"
    )
    v = final_status(_run(12), 10, 9, None, breaker=why)
    assert (v.status, v.rule) == ("partial", "breaker") and "(2 of 12 samples not run)" in str(
        v.message
    )


def test_interrupted_wins_over_every_other_rule() -> None:
    v = final_status(_run(4), 2, 2, "budget", "engine died", breaker="x", interrupted=True)
    assert (v.status, v.rule) == ("interrupted", "interrupted")


def test_answers_without_usage_are_counted_and_the_money_line_says_so() -> None:
    # A3's fault server left `usage` out of every answer: "spent $0.0000" under a budget,
    # though each call was paid for upstream; nothing said the spend was incomplete.
    from datetime import UTC, datetime

    from harness.models import Pricing
    from harness.serve.proxy.ledger import CallRecord, Ledger
    from harness.sweep.execute import _unknown_cost
    from harness.sweep.outcome import SweepOutcome

    def dep(dep_id: str, pricing: Pricing | None) -> Any:
        return SimpleNamespace(deployment=SimpleNamespace(id=dep_id, pricing=pricing))

    plan: Any = SimpleNamespace(
        runs=[dep("api", Pricing(input_per_m=2, output_per_m=8)), dep("local", None)],
        user_simulator=None,
    )
    now = datetime.now(UTC)
    ledger = Ledger(
        [
            CallRecord("api", "/v1/chat/completions", "ok", 200, now, 0.1),  # no usage
            CallRecord("api", "/v1/chat/completions", "ok", 200, now, 0.1, cost_usd=0.01),
            CallRecord("api", "/v1/chat/completions", "http_error", 500, now, 0.1),
            CallRecord("local", "/v1/chat/completions", "ok", 200, now, 0.1),  # free
        ]
    )
    assert _unknown_cost(plan, ledger) == 1
    out = SweepOutcome(plan, unknown_cost_calls=1, spent_usd=0.01)
    assert "1 answers reported no token usage: their cost is unknown" in out.money_line()
    assert "no token usage" not in SweepOutcome(plan, spent_usd=0.01).money_line()
