"""A budget stop through the real request path, then a second command that completes the
work without repeating a paid call (the executor's loop, in miniature)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai

from harness.serve.proxy import RequestPath
from harness.serve.proxy.ledger import Ledger
from harness.sweep.budget import Budget
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import PRICING, deployment, endpoint, proxied, upstream_url

SAMPLES = [f"sample {i}: what is the code?" for i in range(20)]
CHUNK = 4
WORST = 0.0


def _command(fake: FakeAPI, cache: Path, todo: list[str], budget_usd: float | None) -> list[str]:
    """Run samples in chunks, asking the budget before each chunk; return those finished."""
    ledger = Ledger()
    budget = Budget(budget_usd, ledger) if budget_usd else None
    done: list[str] = []
    dep = deployment("openai", upstream_url(fake, "openai"), pricing=PRICING)
    with RequestPath(cache, ledger) as rp:
        ep = rp.add(endpoint(dep, timeout_s=10.0), dep)
        if budget:
            # as the executor does: a released sample's cost is in the ledger before it goes
            budget.settle = rp.sync
        client = openai.OpenAI(base_url=ep.base_url, api_key=FAKE_API_KEY, max_retries=2)

        def sample(prompt: str) -> str:
            client.chat.completions.create(
                model="fake-gpt", messages=[{"role": "user", "content": prompt}]
            )
            return prompt

        with ThreadPoolExecutor(CHUNK) as pool:
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                # each sample reserves its worst case (here: twice what one costs)
                if budget and not all(budget.reserve("u", WORST) for _ in chunk):
                    break
                for finished in pool.map(sample, chunk):
                    done.append(finished)
                    if budget:
                        budget.release("u")
    if budget:
        assert budget.spent_usd <= budget_usd  # a ceiling: never passed
    return done


def test_budget_stop_then_resume_repeats_no_paid_call(fake_api: FakeAPI, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    # What one sample costs, measured on a throwaway cache.
    probe = Ledger()
    with proxied(fake_api, "openai", tmp_path / "probe", probe) as (ep, _):
        openai.OpenAI(base_url=ep.base_url, api_key=FAKE_API_KEY).chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": SAMPLES[0]}]
        )
    per_sample = probe.spent_usd
    assert per_sample > 0
    fake_api.reset_counts()
    global WORST
    WORST = per_sample * 2

    first = _command(fake_api, cache, SAMPLES, budget_usd=per_sample * 9.5)
    assert 0 < len(first) < len(SAMPLES)  # stopped part way: a partial run
    assert len(first) <= 4  # a chunk's worst case (8 samples' worth) fits once in 9.5
    paid_first = fake_api.n_requests

    # The second command (no budget) runs everything again: the finished part replays from
    # the cache, only the rest reaches the API.
    second = _command(fake_api, cache, SAMPLES, budget_usd=None)
    assert second == SAMPLES
    assert fake_api.n_requests == len(SAMPLES) == paid_first + (len(SAMPLES) - len(first))
