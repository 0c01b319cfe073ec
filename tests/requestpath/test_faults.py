"""With a fifth of calls failing in every way an API fails, every request ends exactly once,
after exactly the attempts the retry policy documents: answered wherever they sufficed, an
error where they ran out. The proxy is the only layer that retries (the SDKs are told not to)."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from harness._types import Protocol
from harness.serve.proxy import RetryPolicy
from harness.serve.proxy.ledger import Ledger
from tests.fakeapi import FAULT_KINDS, FakeAPI, Faults, body_hash
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied

N = 300
SEED = 7
RETRY_AFTER_S = 0.3  # longer than the policy's own backoff, so honouring it shows
# Two attempts, so that some calls really run out; short waits and attempt timeout (the
# "timeout" fault answers only after DELAY_S) keep the test quick.
POLICY = RetryPolicy(attempts=2, attempt_timeout_s=1.0, initial_wait_s=0.05, max_wait_s=0.1)
DELAY_S = 2.0


def body_of(protocol: Protocol, i: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": f"request number {i}"}]
    if protocol == "openai":
        return {"messages": messages, "model": "fake-gpt"}
    return {"max_tokens": 32, "messages": messages, "model": "fake-claude"}


def expected_attempts(faults: Faults, h: str, attempts: int) -> tuple[bool, int]:
    """(answered?, attempts reaching the server) for a body, from the fault schedule."""
    kinds = [faults.fault_for(h, a) for a in range(attempts)]
    ok_at = next((a for a, k in enumerate(kinds) if k is None), None)
    return ok_at is not None, attempts if ok_at is None else ok_at + 1


def _run_all(
    fake: FakeAPI, protocol: Protocol, cache: Path, ledger: Ledger
) -> list[tuple[int, str, str]]:
    """All N requests through a fresh proxy session, 16 at a time; (i, ok|error, text)."""
    with proxied(fake, protocol, cache, ledger, retry=POLICY) as (ep, _):
        assert ep.max_retries == 0 and ep.timeout_s > POLICY.total_s  # the proxy ends calls
        kw: dict[str, Any] = {"base_url": ep.base_url, "api_key": FAKE_API_KEY,
                              "max_retries": ep.max_retries, "timeout": ep.timeout_s}  # fmt: skip
        client: Any = openai.OpenAI(**kw) if protocol == "openai" else anthropic.Anthropic(**kw)

        def one(i: int) -> tuple[int, str, str]:
            body = body_of(protocol, i)
            try:
                if protocol == "openai":
                    r = client.chat.completions.create(**body)
                    return i, "ok", r.choices[0].message.content
                r = client.messages.create(**body)
                return i, "ok", r.content[0].text
            except (openai.APIError, anthropic.APIError) as exc:
                return i, "error", f"{type(exc).__name__}: {exc}"

        with ThreadPoolExecutor(max_workers=16) as pool:
            return list(pool.map(one, range(N)))


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_300_requests_with_20pct_faults_take_the_documented_attempts_and_rerun_free(
    fake_api: FakeAPI, tmp_path: Path, protocol: Protocol
) -> None:
    faults = fake_api.set_faults(0.2, seed=SEED, delay_s=DELAY_S, retry_after_s=RETRY_AFTER_S)
    hashes = {i: body_hash(json.dumps(body_of(protocol, i)).encode()) for i in range(N)}
    expected = {i: expected_attempts(faults, hashes[i], POLICY.attempts) for i in range(N)}
    n_errors = sum(not ok for ok, _ in expected.values())
    assert 0 < n_errors < N // 10  # the schedule exercises both outcomes
    assert any(ok and tries > 1 for ok, tries in expected.values())  # retries that sufficed

    ledger = Ledger()
    results = _run_all(fake_api, protocol, tmp_path / "cache", ledger)
    seen: dict[str, list[tuple[str, float]]] = {}
    for a in fake_api.attempts:
        seen.setdefault(a.body_hash, []).append((a.outcome, a.at))
    assert sorted(i for i, _, _ in results) == list(range(N))  # each request ended once
    for i, status, text in results:
        answered, n_tries = expected[i]
        tries = seen[hashes[i]]
        assert (status == "ok") == answered, (i, status, text, tries)
        assert len(tries) == n_tries, (i, tries)  # exactly the documented budget
        if status == "ok":
            assert text == f"You said: request number {i}\nANSWER: 42"
        for (outcome, at), (_, next_at) in itertools.pairwise(tries):
            if outcome == "429":  # Retry-After honoured: no retry before it ran out
                assert next_at - at >= RETRY_AFTER_S, (i, tries)
    outcomes = fake_api.outcomes()
    assert set(outcomes) == {"ok", *FAULT_KINDS}  # every fault kind really happened
    totals = ledger.totals()
    assert totals.n_upstream_calls == fake_api.n_requests  # every attempt is in the ledger
    assert totals.n_retries == fake_api.n_requests - N
    assert totals.n_upstream_calls - totals.n_upstream_errors == outcomes["ok"]

    # The rerun (API healthy now): answered requests replay from the cache; only the ones
    # that ran out of attempts reach the API again. No paid call is repeated.
    fake_api.set_faults(0.0)
    paid = fake_api.n_requests
    again = _run_all(fake_api, protocol, tmp_path / "cache", Ledger())
    assert all(status == "ok" for _, status, _ in again)
    assert fake_api.n_requests - paid == n_errors
    assert [t for _, s, t in results if s == "ok"] == [
        t for (_, _, t), (_, s, _) in zip(again, results, strict=True) if s == "ok"
    ]
