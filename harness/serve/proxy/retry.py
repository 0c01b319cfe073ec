"""Retries in exactly one layer (this one), and a circuit breaker per deployment.

Every model call of both engines and both SDKs passes through the proxy, so the proxy is the
one place that retries; the SDKs (max_retries=0), inspect (GenerateConfig.max_retries=0) and
lm-eval (one attempt, no tenacity) are told not to. Retrying in two layers multiplies the
attempts (18 per failing call on the agentic path before this existed).

The budget of one call (documented in docs/architecture.md, "Retries"):
- at most `attempts` attempts (a deployment's max_retries + 1);
- each attempt is cut at `attempt_timeout_s` (the deployment's timeout_s);
- the call's own time (its attempts and the waits between them, not time queued for a
  concurrency slot) never passes `budget_s` (default: attempts x attempt_timeout_s plus the
  longest waits the backoff allows); a wait that would pass it ends the call instead;
- between attempts: exponential backoff (initial x 2^k, at most max_wait_s, with up to 25%
  jitter), never shorter than the API's Retry-After / retry-after-ms;
- retried: 408, 409, 429, every 5xx, attempt timeouts, refused and dropped connections;
  every other status is final (a 400 or 401 will not heal by asking again).

The breaker (per deployment) stops sending calls that cannot succeed:
- `auth_limit` (3) consecutive 401/403 answers open it for good (a key does not heal);
- `failure_limit` (8) consecutive calls that ended failed on transient errors (after their
  whole retry budget) open it; after `cooldown_s` (60 s) one probe call may pass, and its
  success closes the breaker again (its failure re-opens it for another cooldown).
Any successful answer resets both counts. While open, calls are refused at once with no
upstream call.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

RETRY_STATUSES = frozenset({408, 409, 429})
AUTH_STATUSES = frozenset({401, 403})

# What one upstream attempt came to: an HTTP status, or no answer at all.
AttemptKind = Literal["answer", "timeout", "dropped", "unreachable"]


def retryable(kind: AttemptKind, status: int | None) -> bool:
    """Would asking again plausibly get another answer?"""
    if kind != "answer":
        return True
    assert status is not None
    return status in RETRY_STATUSES or status >= 500


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    attempt_timeout_s: float = 120.0
    initial_wait_s: float = 0.5
    max_wait_s: float = 8.0
    budget_s: float | None = None  # None: attempts x attempt_timeout_s + the longest waits
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be >= 1, not {self.attempts}")
        if self.attempt_timeout_s <= 0:
            raise ValueError(f"attempt_timeout_s must be > 0, not {self.attempt_timeout_s}")

    @classmethod
    def from_deployment(cls, max_retries: int, timeout_s: float) -> RetryPolicy:
        return cls(attempts=max_retries + 1, attempt_timeout_s=timeout_s)

    @property
    def total_s(self) -> float:
        """The most time one call may take (attempts and waits; queueing not included)."""
        if self.budget_s is not None:
            return self.budget_s
        waits = sum(self.backoff_s(k) for k in range(1, self.attempts))
        return self.attempts * self.attempt_timeout_s + waits * (1 + self.jitter)

    def backoff_s(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based), before jitter."""
        return min(self.max_wait_s, self.initial_wait_s * 2 ** (attempt - 1))

    def wait_s(self, attempt: int, retry_after_s: float | None, rng: random.Random) -> float:
        """How long to wait before the next attempt: backoff with jitter, or Retry-After."""
        wait = self.backoff_s(attempt) * (1 + self.jitter * rng.random())
        return max(wait, retry_after_s or 0.0)

    def to_json(self) -> dict[str, float | int | None]:
        return {
            "attempts": self.attempts,
            "attempt_timeout_s": self.attempt_timeout_s,
            "initial_wait_s": self.initial_wait_s,
            "max_wait_s": self.max_wait_s,
            "budget_s": self.budget_s,
            "jitter": self.jitter,
        }


@dataclass(frozen=True)
class BreakerPolicy:
    auth_limit: int = 3
    failure_limit: int = 8
    cooldown_s: float = 60.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "auth_limit": self.auth_limit,
            "failure_limit": self.failure_limit,
            "cooldown_s": self.cooldown_s,
        }


class Breaker:
    """One deployment's circuit breaker (single-threaded: lives on the proxy's event loop)."""

    def __init__(self, deployment_id: str, policy: BreakerPolicy, clock: object) -> None:
        self.deployment_id = deployment_id
        self.policy = policy
        self._clock = clock  # a callable returning seconds
        self._auth = 0
        self._failed = 0
        self.reason: str | None = None  # set while open
        self._permanent = False
        self._opened_at = 0.0
        self._probe_out = False

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    @property
    def is_open(self) -> bool:
        return self.reason is not None

    def admit(self) -> bool:
        """May a call be sent now? While open, one probe call per cooldown passes."""
        if self.reason is None:
            return True
        if self._permanent or self._probe_out:
            return False
        if self._now() - self._opened_at >= self.policy.cooldown_s:
            self._probe_out = True
            return True
        return False

    def on_answer(self, status: int) -> str | None:
        """Note one upstream answer; returns the reason when this opened the breaker."""
        if 200 <= status < 300:
            self._auth = self._failed = 0
            self._probe_out = False
            self.reason = None
            return None
        if status in AUTH_STATUSES:
            self._auth += 1
            if self._auth >= self.policy.auth_limit and self.reason is None:
                self._permanent = True
                return self._open(f"{self._auth} consecutive auth errors (HTTP {status})")
        return None

    def on_call_failed(self, what: str) -> str | None:
        """Note a call that ended failed on transient errors after its whole retry budget."""
        self._failed += 1
        if self._probe_out:  # the probe failed: another cooldown
            self._probe_out = False
            self._opened_at = self._now()
            return None
        if self._failed >= self.policy.failure_limit and self.reason is None:
            return self._open(
                f"{self._failed} consecutive calls failed after their retries (last: {what})"
            )
        return None

    def end_probe(self) -> None:
        """The probe call ended without a success (nor a failure that counts): wait again."""
        if self._probe_out:
            self._probe_out = False
            self._opened_at = self._now()

    def _open(self, why: str) -> str:
        self.reason = why
        self._opened_at = self._now()
        return why
