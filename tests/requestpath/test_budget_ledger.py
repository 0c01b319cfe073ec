"""Budget projection and the ledger's bookkeeping, without a server."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness.serve.proxy.cache import AnswerCache, CachedResponse, request_key
from harness.serve.proxy.ledger import CallRecord, Ledger, usage_from_json, usage_from_sse
from harness.sweep.budget import Budget


def _call(cost: float | None, outcome: str = "ok", snapshot: str = "m-1") -> CallRecord:
    return CallRecord(
        "d",
        "/chat/completions",
        outcome,
        200,
        datetime.now(UTC),
        0.1,  # type: ignore[arg-type]
        snapshot,
        100,
        10,
        0,
        cost,
    )


def test_budget_reserves_each_samples_worst_case_and_releases_it_at_its_end() -> None:
    ledger = Ledger([_call(5.0)])  # spent before the budget started: not counted
    budget = Budget(1.0, ledger)
    # Here each cost is recorded before its sample's release, so catching up has nothing to
    # wait for (in a run it is the request path's sync: tests/sweep/test_budget_settle.py).
    budget.settle = lambda: None
    assert budget.spent_usd == 0
    assert budget.reserve("u", 0.4) and budget.reserve("u", 0.4)  # 0.8 held
    assert not budget.reserve("u", 0.4)  # 1.2 would pass the limit: refused, nothing held
    assert budget.reserved_usd == pytest.approx(0.8) and budget.in_flight == 2
    assert budget.refused is not None and "worst case $0.4000" in budget.refused
    ledger.record(_call(0.05))  # the first sample ended having spent 0.05 ...
    budget.release("u")  # ... so its 0.4 goes: 0.05 spent + 0.4 held
    assert budget.reserve("u", 0.4)  # 0.85 + ... fits again
    assert not budget.reserve("other", 0.2)  # 0.05 + 0.8 + 0.2 > 1.0
    assert budget.reserve("other", 0.1, extra_usd=0.0)
    budget.release_unit("u")  # a unit that ended: what it held settles, then goes
    assert not budget.exhausted(next_usd=0.85)  # 0.05 spent + 0.1 held + 0.85 = the limit
    assert budget.reserved_usd == pytest.approx(0.1)


def test_budget_stops_once_spent_even_with_nothing_held() -> None:
    ledger = Ledger()
    budget = Budget(0.10, ledger)
    ledger.record(_call(0.11))
    assert not budget.reserve("u", 0.0) and budget.exhausted()
    with pytest.raises(ValueError):
        Budget(0, ledger)


def test_worst_case_follows_the_limits_and_the_prices() -> None:
    from harness.suites import SuiteSpec
    from harness.suites.spec import SuiteLimits
    from harness.sweep.budget import DEFAULT_PROMPT_TOKENS, worst_case_usd
    from tests.fakeapi.registry import PRICING, fake_deployment

    def suite(kind: str, **limits: int) -> SuiteSpec:
        return SuiteSpec(
            name=f"s_{kind}", version="1", kind=kind, engine="inspect", description="x",  # type: ignore[arg-type]
            task="x", source="x", licence="x", limits=SuiteLimits(max_tokens=256, **limits),
        )  # fmt: skip

    dep = fake_deployment("openai", "http://127.0.0.1:1/v1")
    standard = suite("standard")
    agentic = suite("agentic", message_limit=140, token_limit=300_000)  # ladder_agentic's
    one = worst_case_usd(standard, dep)
    assert one == pytest.approx(PRICING.cost(DEFAULT_PROMPT_TOKENS, 256))
    sized = dep.model_copy(update={"context_length": 4096})
    assert worst_case_usd(standard, sized) == pytest.approx(PRICING.cost(4096 - 256, 256))
    lim = agentic.limits  # token_limit bounds the whole sample (plus one more call)
    out = lim.message_limit // 2 * lim.max_tokens  # type: ignore[operator]
    total = lim.token_limit + DEFAULT_PROMPT_TOKENS + lim.max_tokens  # type: ignore[operator]
    assert worst_case_usd(agentic, dep) == pytest.approx(PRICING.cost(total - out, out))
    assert worst_case_usd(standard, dep.model_copy(update={"pricing": None})) is None


def test_cache_hits_and_unpriced_calls_cost_nothing_but_are_counted(tmp_path: Path) -> None:
    ledger = Ledger([_call(0.5), _call(0.0, "cache_hit"), _call(None), _call(None, "http_error")])
    t = ledger.totals()
    assert t.spent_usd == 0.5 and t.n_upstream_calls == 3 and t.n_cache_hits == 1
    assert t.n_unpriced_calls == 1 and t.n_upstream_errors == 1 and t.snapshots == {"m-1": 2}
    path = tmp_path / "run" / "ledger.json"
    ledger.save(path)
    data = json.loads(path.read_text())
    assert data["spent_usd"] == 0.5 and len(data["calls"]) == 4
    assert Ledger.load(path).totals() == t


def test_usage_parsing_follows_each_protocol() -> None:
    o = usage_from_json(
        "openai",
        {
            "model": "gpt-x-1",
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 7,
                "prompt_tokens_details": {"cached_tokens": 40},
            },
        },
    )
    assert (o.input_tokens, o.output_tokens, o.cached_tokens, o.snapshot) == (100, 7, 40, "gpt-x-1")
    a = usage_from_json(
        "anthropic",
        {
            "model": "claude-x",
            "usage": {"input_tokens": 60, "output_tokens": 7, "cache_read_input_tokens": 40},
        },
    )
    assert (a.input_tokens, a.cached_tokens) == (100, 40)  # cache reads added back
    sse = (
        b'event: message_start\ndata: {"type":"message_start","message":{"model":"claude-x",'
        b'"usage":{"input_tokens":5,"output_tokens":1}}}\n\n'
        b'event: message_delta\ndata: {"type":"message_delta","usage":{"output_tokens":9}}\n\n'
    )
    s = usage_from_sse("anthropic", sse)
    assert (s.input_tokens, s.output_tokens, s.snapshot) == (5, 9, "claude-x")
    r = usage_from_json(
        "openai",
        {
            "model": "gpt-r",
            "usage": {
                "input_tokens": 50,
                "output_tokens": 5,
                "input_tokens_details": {"cached_tokens": 10},
            },
        },
    )
    assert (r.input_tokens, r.output_tokens, r.cached_tokens) == (50, 5, 10)  # Responses API
    assert usage_from_json("openai", ["not", "a", "dict"]).input_tokens is None


def test_cache_keys_ignore_json_key_order_and_identical_requests_get_successive_answers(
    tmp_path: Path,
) -> None:
    k1 = request_key("d", "POST", "/x", b'{"a": 1, "b": [1, 2]}')
    assert k1 == request_key("d", "POST", "/x", b'{"b":[1,2],"a":1}')
    assert k1 != request_key("other", "POST", "/x", b'{"a": 1, "b": [1, 2]}')
    assert k1 != request_key("d", "POST", "/x", b'{"a": 1, "b": [1, 2]}', scope="epoch-2")
    first, second = CachedResponse("application/json", b"1"), CachedResponse("text/plain", b"2")
    third = CachedResponse("application/json", b"3")
    x, y = CachedResponse("application/json", b"x"), CachedResponse("application/json", b"y")

    async def scenario() -> None:
        cache = AnswerCache(tmp_path / "c")
        assert await cache.lookup(k1) is None  # nothing yet: go upstream
        cache.store(k1, first)
        assert await cache.lookup(k1) is None  # this session produced it: the next epoch is new
        cache.store(k1, second)
        await cache.close()
        rerun = AnswerCache(tmp_path / "c")  # a new session replays in delivery order
        assert [await rerun.lookup(k1) for _ in range(3)] == [first, second, None]
        rerun.store(k1, third)
        await rerun.close()
        # Two sessions sharing the file both run past the stored answers and append: the
        # second's index is taken, so it appends after the first instead of overwriting.
        a, b = AnswerCache(tmp_path / "c"), AnswerCache(tmp_path / "c")
        assert [await a.lookup(k1) for _ in range(4)] == [first, second, third, None]
        assert [await b.lookup(k1) for _ in range(4)] == [first, second, third, None]
        a.store(k1, x)
        await a.flush()
        b.store(k1, y)
        await b.flush()
        c = AnswerCache(tmp_path / "c")
        assert [await c.lookup(k1) for _ in range(6)] == [first, second, third, x, y, None]
        for cache in (a, b, c):
            await cache.close()

    asyncio.run(scenario())


def test_an_older_diskcache_cache_is_imported_once(tmp_path: Path) -> None:
    """Upgrading never pays again for answers the earlier (diskcache) format holds."""
    import diskcache

    key = request_key("d", "POST", "/x", b"{}")
    old = diskcache.Cache(str(tmp_path / "c"), eviction_policy="none")
    old.add(f"{key}:0", ("application/json", b"old answer"))
    old.close()

    async def scenario() -> list[CachedResponse | None]:
        cache = AnswerCache(tmp_path / "c")
        got = [await cache.lookup(key), await cache.lookup(key)]
        await cache.close()
        return got

    assert asyncio.run(scenario()) == [CachedResponse("application/json", b"old answer"), None]
    assert asyncio.run(scenario())[0] is not None  # imported once, still there
