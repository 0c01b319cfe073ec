"""With a fifth of calls failing in every way an API fails, every request ends exactly once:
answered wherever the SDK's retries sufficed, an error only where they ran out."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from harness._types import Protocol
from harness.serve.proxy.ledger import Ledger
from tests.fakeapi import FAULT_KINDS, FakeAPI, body_hash
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied

N = 300
MAX_RETRIES = 1  # small, so that some requests really run out of retries
# Generous, so that only injected delays time out even on a loaded machine.
CLIENT_TIMEOUT_S = 3.0
SEED = 7


def _body(protocol: Protocol, i: int) -> dict[str, Any]:
    messages = [{"role": "user", "content": f"request number {i}"}]
    if protocol == "openai":
        return {"messages": messages, "model": "fake-gpt"}
    return {"max_tokens": 32, "messages": messages, "model": "fake-claude"}


def _expected(fake: FakeAPI, protocol: Protocol) -> dict[int, tuple[bool, int]]:
    """request -> (answered?, attempts reaching the server), from the fault schedule."""
    faults = fake.set_faults(0.2, seed=SEED, delay_s=2 * CLIENT_TIMEOUT_S, retry_after_s=0.01)
    out = {}
    for i in range(N):
        h = body_hash(json.dumps(_body(protocol, i)).encode())
        kinds = [faults.fault_for(h, a) for a in range(MAX_RETRIES + 1)]
        ok_at = next((a for a, k in enumerate(kinds) if k is None), None)
        out[i] = (ok_at is not None, MAX_RETRIES + 1 if ok_at is None else ok_at + 1)
    return out


def _run_all(
    fake: FakeAPI, protocol: Protocol, cache: Path, ledger: Ledger
) -> list[tuple[int, str, str]]:
    """All N requests through a fresh proxy session, 16 at a time; (i, ok|error, text).

    Without the proxy's concurrency limit: its own 429s (a slow call holding the few slots
    left after random 429s) would spend SDK retries this test's schedule cannot foresee. The
    limiter is tested in test_limiter.py."""
    with proxied(
        fake, protocol, cache, ledger, timeout_s=CLIENT_TIMEOUT_S, limit_concurrency=False
    ) as (ep, _):
        kw: dict[str, Any] = {
            "base_url": ep.base_url,
            "api_key": FAKE_API_KEY,
            "max_retries": MAX_RETRIES,
            "timeout": CLIENT_TIMEOUT_S,
        }
        client: Any = openai.OpenAI(**kw) if protocol == "openai" else anthropic.Anthropic(**kw)

        def one(i: int) -> tuple[int, str, str]:
            body = _body(protocol, i)
            try:
                if protocol == "openai":
                    r = client.chat.completions.create(**body)
                    return i, "ok", r.choices[0].message.content
                r = client.messages.create(**body)
                return i, "ok", r.content[0].text
            except (openai.APIError, anthropic.APIError) as exc:
                return i, "error", f"{type(exc).__name__}: {exc}"

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(one, range(N)))

        # Slow answers ("timeout" faults) still land upstream after the client gave up;
        # wait for them so the ledger is complete, then compare it with the server's count.
        deadline = time.monotonic() + 30
        while ledger.n_upstream_calls < fake.n_requests and time.monotonic() < deadline:
            time.sleep(0.1)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_300_requests_with_20pct_faults_end_exactly_once_and_rerun_free(
    fake_api: FakeAPI, tmp_path: Path, protocol: Protocol
) -> None:
    expected = _expected(fake_api, protocol)
    n_errors = sum(not ok for ok, _ in expected.values())
    assert 0 < n_errors < N // 10  # the schedule exercises both outcomes
    assert any(ok and tries > 1 for ok, tries in expected.values())  # retries that sufficed

    ledger = Ledger()
    results = _run_all(fake_api, protocol, tmp_path / "cache", ledger)
    seen_by_body: dict[str, list[str]] = {}
    for a in fake_api.attempts:
        seen_by_body.setdefault(a.body_hash, []).append(a.outcome)
    assert len(results) == N and {i for i, _, _ in results} == set(range(N))
    for i, status, text in results:
        answered, n_tries = expected[i]
        seen = seen_by_body[body_hash(json.dumps(_body(protocol, i)).encode())]
        assert (status == "ok") == answered, (i, status, text, seen)
        assert len(seen) == n_tries, (i, seen)
        if status == "ok":
            assert text == f"You said: request number {i}\nANSWER: 42"
    outcomes = fake_api.outcomes()
    assert set(outcomes) == {"ok", *FAULT_KINDS}  # every fault kind really happened
    totals = ledger.totals()
    assert totals.n_upstream_calls == fake_api.n_requests  # the proxy never retried on its own
    # Every answer the API produced is paid for, including slow ones the client abandoned.
    assert (
        totals.n_upstream_calls - totals.n_upstream_errors == outcomes["ok"] + outcomes["timeout"]
    )

    # The rerun (API healthy now): answered requests replay from the cache; only the ones
    # that ran out of retries reach the API again. No paid call is repeated.
    fake_api.set_faults(0.0)
    paid = fake_api.n_requests
    again = _run_all(fake_api, protocol, tmp_path / "cache", Ledger())
    assert all(status == "ok" for _, status, _ in again)
    assert fake_api.n_requests - paid == n_errors
    assert [t for _, s, t in results if s == "ok"] == [
        t for (_, _, t), (_, s, _) in zip(again, results, strict=True) if s == "ok"
    ]
