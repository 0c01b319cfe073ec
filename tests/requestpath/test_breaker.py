"""The circuit breaker stops calls that cannot succeed, without sending them upstream, and
says why in the ledger; a probe after the cooldown closes it again once the API recovers."""

from __future__ import annotations

import time
from pathlib import Path

import openai
import pytest

from harness.serve.proxy import BREAKER_HEADER, BreakerPolicy, RetryPolicy
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied

ASK = {"model": "fake-gpt", "messages": [{"role": "user", "content": "hello"}]}


def eventually(check: object, timeout_s: float = 5.0) -> object:
    """The ledger hears from the proxy process a moment after the client does: poll."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()  # type: ignore[operator]
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.01)


def _ask(client: openai.OpenAI, i: int) -> str:
    """ok, or the HTTP status of the error."""
    try:
        client.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": f"question {i}"}]
        )
        return "ok"
    except openai.APIStatusError as exc:
        return str(exc.status_code)


def test_a_revoked_key_opens_the_breaker_after_3_calls_and_the_rest_fail_fast(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, ledger):
        client = openai.OpenAI(base_url=ep.base_url, api_key="sk-revoked", max_retries=0)
        assert ledger.breaker("fake-gpt@openai") is None
        statuses = [_ask(client, i) for i in range(10)]
        with pytest.raises(openai.APIStatusError) as refused:
            client.chat.completions.create(**ASK)  # type: ignore[call-overload]
    assert statuses == ["401"] * 3 + ["424"] * 7
    assert fake_api.n_requests == 3  # nothing was sent once it opened
    assert refused.value.response.headers[BREAKER_HEADER] == "open"
    assert "fake-gpt@openai" in refused.value.message and "auth" in refused.value.message
    reason = ledger.breaker("fake-gpt@openai")
    assert reason is not None and "3 consecutive auth errors" in reason  # (after the sync)
    totals = ledger.totals()
    assert (totals.n_upstream_calls, totals.n_refused, totals.spent_usd) == (3, 8, 0.0)


def test_sustained_5xx_opens_the_breaker_and_a_probe_after_the_cooldown_closes_it(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    retry = RetryPolicy(attempts=2, attempt_timeout_s=5, initial_wait_s=0.01, max_wait_s=0.01)
    breaker = BreakerPolicy(failure_limit=3, cooldown_s=0.5)
    fake_api.set_faults(1.0, kinds=("500", "503"))  # every attempt fails
    with proxied(fake_api, "openai", tmp_path / "c", retry=retry, breaker=breaker) as (ep, led):
        client = openai.OpenAI(base_url=ep.base_url, api_key=FAKE_API_KEY, max_retries=0)
        assert all(_ask(client, i) in ("500", "503") for i in range(3))
        assert fake_api.n_requests == 6  # 3 calls x 2 attempts, then it opened
        assert _ask(client, 3) == "424" and fake_api.n_requests == 6
        assert "3 consecutive calls failed" in str(
            eventually(lambda: led.breaker("fake-gpt@openai"))
        )
        fake_api.set_faults(0.0)  # the API recovers; the breaker stays open until the cooldown
        assert _ask(client, 4) == "424"
        time.sleep(0.6)
        assert _ask(client, 5) == "ok"  # the probe goes through and closes the breaker
        assert _ask(client, 6) == "ok"
    assert led.breaker("fake-gpt@openai") is None and fake_api.n_requests == 8


def test_lm_eval_samples_after_the_breaker_opens_say_so_and_cost_no_call(
    fake_api: FakeAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from harness.config import REPO_ROOT
    from harness.runners.base import RunContext
    from harness.runners.lm_eval_runner import LmEvalRunner
    from harness.serve.proxy import BREAKER_ERROR_TYPE, Ledger, request_path
    from harness.suites.registry import load_suite
    from tests.requestpath.conftest import card, deployment, endpoint, upstream_url

    monkeypatch.setenv("OPENAI_API_KEY", "sk-revoked")
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "gb-cache"))
    suite = load_suite(
        REPO_ROOT / "tasks" / "ladder" / "standard" / "suite.yaml", REPO_ROOT / "tasks"
    )
    dep = deployment("openai", upstream_url(fake_api, "openai")).model_copy(
        update={"max_connections": 1}
    )
    todo = tuple((f"ladder-h01-{i:03d}", 1) for i in range(6))
    records = []
    with request_path(
        endpoint(dep), deployment=dep, cache_dir=tmp_path / "c", ledger=Ledger()
    ) as ep:
        ctx = RunContext(run_id="revoked", sweep_id="t", card=card(dep.model), deployment=dep,
                         endpoint=ep, suite=suite, todo=todo, raw_dir=tmp_path / "raw")  # fmt: skip
        LmEvalRunner().run(ctx, records.append)
    errors = sorted(r.error or "" for r in records)
    assert len(records) == 6 and all(r.status == "error" for r in records)
    assert sum(BREAKER_ERROR_TYPE in e for e in errors) == 3  # refused, not sent
    assert sum(e.startswith("HTTP 401") for e in errors) == 3
    assert fake_api.n_requests == 3
