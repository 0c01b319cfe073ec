"""The retry policy's documented numbers and the breaker's rules, without a server."""

from __future__ import annotations

import random

import pytest

from harness.serve.proxy.retry import Breaker, BreakerPolicy, RetryPolicy, retryable


def test_the_budget_follows_the_deployment() -> None:
    policy = RetryPolicy.from_deployment(max_retries=5, timeout_s=120)
    assert (policy.attempts, policy.attempt_timeout_s) == (6, 120)
    # waits 0.5, 1, 2, 4, 8 s (+ up to 25% jitter) between the 6 attempts
    assert [policy.backoff_s(k) for k in range(1, 6)] == [0.5, 1, 2, 4, 8]
    assert policy.total_s == pytest.approx(6 * 120 + 15.5 * 1.25)
    assert RetryPolicy(attempts=2, attempt_timeout_s=1, budget_s=3).total_s == 3
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_waits_honour_retry_after_and_stay_within_the_jitter() -> None:
    policy, rng = RetryPolicy(), random.Random(0)
    waits = [policy.wait_s(1, None, rng) for _ in range(200)]
    assert min(waits) >= 0.5 and max(waits) <= 0.5 * 1.25
    assert policy.wait_s(1, 7.0, rng) == 7.0  # never sooner than the API asked
    assert policy.wait_s(5, 0.1, rng) >= 8.0  # nor sooner than the backoff


@pytest.mark.parametrize(
    ("kind", "status", "again"),
    [("answer", 429, True), ("answer", 500, True), ("answer", 503, True), ("answer", 408, True),
     ("answer", 400, False), ("answer", 401, False), ("answer", 404, False), ("timeout", None, True),
     ("dropped", None, True), ("unreachable", None, True)],
)  # fmt: skip
def test_what_is_retried(kind: str, status: int | None, again: bool) -> None:
    assert retryable(kind, status) is again  # type: ignore[arg-type]


def test_breaker_rules() -> None:
    now = [0.0]
    b = Breaker("d", BreakerPolicy(auth_limit=3, failure_limit=2, cooldown_s=10), lambda: now[0])
    assert b.on_answer(401) is None and b.on_answer(200) is None  # a success resets the count
    assert b.on_answer(401) is None and b.on_answer(403) is None
    assert "3 consecutive auth errors" in (b.on_answer(401) or "")
    now[0] = 1e6
    assert not b.admit()  # auth: open for good, no probe
    t = Breaker("t", BreakerPolicy(auth_limit=3, failure_limit=2, cooldown_s=10), lambda: now[0])
    assert t.on_call_failed("HTTP 503") is None
    assert t.on_call_failed("timeout") is not None and not t.admit()
    now[0] += 10
    assert t.admit() and not t.admit()  # one probe at a time
    t.on_call_failed("HTTP 503")  # the probe failed: another cooldown
    assert not t.admit()
    now[0] += 10
    assert t.admit()
    t.on_answer(200)
    assert not t.is_open and t.admit()
