"""The per-deployment concurrency limit: it backs off on 429s and keeps every request alive
(the proxy retries them, the SDK does not)."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest

from harness.serve.proxy import RetryPolicy
from harness.serve.proxy.ledger import LedgerTotals
from harness.serve.proxy.limiter import AdaptiveLimiter, parse_retry_after
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied

N = 40
CAP = 16


def _run(fake: FakeAPI, cache: Path, *, timeout_s: float = 10.0) -> tuple[list[str], LedgerTotals]:
    """N concurrent OpenAI SDK requests through a fresh proxy; (answers, ledger totals)."""
    retry = RetryPolicy(attempts=20, attempt_timeout_s=timeout_s, initial_wait_s=0.05)
    with proxied(fake, "openai", cache, timeout_s=timeout_s, max_connections=CAP, retry=retry) as (
        ep,
        ledger,
    ):
        client = openai.OpenAI(
            base_url=ep.base_url, api_key=FAKE_API_KEY, max_retries=0, timeout=ep.timeout_s
        )

        def one(i: int) -> str:
            r = client.chat.completions.create(
                model="fake-gpt", messages=[{"role": "user", "content": f"request {i}"}]
            )
            return r.choices[0].message.content or ""

        with ThreadPoolExecutor(max_workers=N) as pool:
            answers = list(pool.map(one, range(N)))
        return answers, ledger.totals()


def test_429s_over_capacity_shrink_the_limit_and_every_request_succeeds(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    k = 3
    fake_api.set_capacity(k, latency_s=0.05, retry_after_s=0.05)
    t0 = time.monotonic()
    answers, totals = _run(fake_api, tmp_path / "cache")
    elapsed = time.monotonic() - t0
    assert answers == [f"You said: request {i}\nANSWER: 42" for i in range(N)]
    assert totals.n_backoffs >= 1
    assert totals.min_concurrency is not None and totals.min_concurrency <= k
    refused = fake_api.outcomes()["429"]
    # Backing off keeps refusals to a small multiple of the first burst (CAP - k at most),
    # where a client-side retry loop alone against 40 threads would see hundreds.
    assert refused < 3 * N, refused
    assert elapsed < 20


def test_without_429s_the_limit_stays_at_the_cap_and_bounds_concurrency(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    fake_api.set_capacity(None, latency_s=0.05)
    answers, totals = _run(fake_api, tmp_path / "cache")
    assert len(answers) == N
    assert totals.n_backoffs == 0 and totals.n_throttled == 0
    assert totals.min_concurrency == CAP
    assert 1 < fake_api.max_in_flight <= CAP  # the cap is enforced, 40 threads or not
    assert fake_api.outcomes() == {"ok": N}


# --- the limiter alone ---------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_halves_at_most_once_per_retry_after_window_and_grows_back() -> None:
    async def scenario() -> None:
        clock = _Clock()
        lim = AdaptiveLimiter(8, clock=clock, min_run=3)
        assert all([await lim.acquire(0) for _ in range(8)])
        assert not await lim.acquire(0)  # full: refused at once
        for _ in range(4):
            lim.release(429, retry_after_s=2.0)  # one burst of 429s is one signal
        assert lim.limit == 4 and lim.stats.n_backoffs == 1
        clock.now = 2.5
        lim.release(429, retry_after_s=None)  # a later 429: halve again (default window)
        assert lim.limit == 2 and lim.stats.min_limit == 2
        for _ in range(3):
            lim.release(200)
        assert lim.limit == 3  # a run of max(limit, min_run) = 3 successes added 1
        for _ in range(3 + 4 + 5 + 6 + 7):  # each further run adds 1, up to the cap
            assert await lim.acquire(0)
            lim.release(200)
        assert lim.limit == 8
        assert await lim.acquire(0)
        lim.release(200)
        assert lim.limit == 8  # never beyond the cap
        assert lim.stats.n_refused == 1

    asyncio.run(scenario())


def test_waiters_get_freed_slots_in_order_and_time_out_alone() -> None:
    async def scenario() -> None:
        lim = AdaptiveLimiter(1)
        assert await lim.acquire(0)
        order: list[str] = []

        async def wait(name: str, wait_s: float) -> None:
            if await lim.acquire(wait_s):
                order.append(name)
            else:
                order.append(f"{name} refused")

        tasks = [asyncio.create_task(wait("a", 5)), asyncio.create_task(wait("b", 0.05)),
                 asyncio.create_task(wait("c", 5))]  # fmt: skip
        await asyncio.sleep(0.2)  # b gives up meanwhile
        lim.release(200)  # the slot goes to a, the first waiter
        await asyncio.sleep(0.01)
        lim.release(200)  # then to c (b is gone)
        await asyncio.gather(*tasks)
        assert order == ["b refused", "a", "c"]
        assert lim.in_flight == 1 and lim.stats.n_waited == 3 and lim.stats.n_refused == 1

    asyncio.run(scenario())


NOW = 1445412468.0  # Wed, 21 Oct 2015 07:27:48 GMT


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "2"}, 2.0), ({"retry-after-ms": "150", "retry-after": "1"}, 0.15),
     # RFC 9110's other form, an HTTP date: the seconds until then (issue 19's own fault
     # server; it was taken as absent, so a 429 got 0.5 s of backoff instead of 12 s)
     ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 12.0),
     ({"retry-after": "Wed, 21 Oct 2015 07:00:00 GMT"}, 0.0),  # past: at once
     ({"retry-after": "-3"}, 0.0), ({"retry-after": "nan"}, None),
     ({"retry-after": "soon"}, None), ({"retry-after-ms": "Wed, 21 Oct 2015"}, None),
     ({}, None)],
)  # fmt: skip
def test_parse_retry_after(headers: dict[str, str], expected: float | None) -> None:
    assert parse_retry_after(headers, now=lambda: NOW) == expected


_CLIENT = """
import sys
from concurrent.futures import ThreadPoolExecutor
import openai
base, key, tag = sys.argv[1:4]
client = openai.OpenAI(base_url=base, api_key=key, max_retries=0, timeout=120)
def one(i):
    r = client.chat.completions.create(
        model="fake-gpt", messages=[{"role": "user", "content": f"{tag} {i}"}])
    return r.choices[0].message.content
with ThreadPoolExecutor(16) as pool:
    print(sum(1 for text in pool.map(one, range(16)) if text.startswith("You said")))
"""


def test_one_limit_per_deployment_holds_across_processes(fake_api: FakeAPI, tmp_path: Path) -> None:
    """Shards are processes: two of them, 16 requests at once each, share the cap of 4."""
    import subprocess
    import sys

    from harness.serve.proxy import Ledger, RequestPath
    from tests.requestpath.conftest import deployment, endpoint, upstream_url

    fake_api.set_capacity(None, latency_s=0.2)  # counts the most POSTs in flight at once
    dep = deployment("openai", upstream_url(fake_api, "openai")).model_copy(
        update={"max_connections": 4}
    )
    with RequestPath(tmp_path / "cache", Ledger()) as rp:
        ep = rp.add(endpoint(dep), dep)
        shards = [
            subprocess.Popen(
                [sys.executable, "-c", _CLIENT, str(ep.base_url), FAKE_API_KEY, f"shard{k}"],
                stdout=subprocess.PIPE,
                text=True,
            )
            for k in range(2)
        ]
        answered = [int(p.communicate(timeout=120)[0]) for p in shards]
    assert answered == [16, 16]
    assert fake_api.outcomes() == {"ok": 32}
    assert fake_api.max_in_flight == 4  # the cap, reached, never passed
