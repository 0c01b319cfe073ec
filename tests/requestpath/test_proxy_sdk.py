"""Both official SDKs through the caching proxy to the fake API: tools, cache, cost, streams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import httpx
import openai
import pytest

from harness._types import Endpoint
from harness.serve.proxy.ledger import Ledger
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import PRICING, proxied

LOOKUP_OPENAI = [
    {
        "type": "function",
        "function": {
            "name": "lookup",
            "description": "Look a key up.",
            "parameters": {
                "type": "object",
                "properties": {"key": {"type": "string"}},
                "required": ["key"],
            },
        },
    }
]
LOOKUP_ANTHROPIC = [
    {
        "name": "lookup",
        "description": "Look a key up.",
        "input_schema": {
            "type": "object",
            "properties": {"key": {"type": "string"}},
            "required": ["key"],
        },
    }
]
TABLE = {"tisuku": "nozazi", "nozazi": "RP-1552"}
PROMPT = "Start with the key `tisuku`. Follow the lookups.\nGive the final code as: ANSWER: <code>"


def openai_client(ep: Endpoint, **kw: Any) -> openai.OpenAI:
    assert ep.base_url and ep.base_url.startswith("http://127.0.0.1:")
    return openai.OpenAI(base_url=ep.base_url, api_key=FAKE_API_KEY, **{"max_retries": 0, **kw})


def anthropic_client(ep: Endpoint, **kw: Any) -> anthropic.Anthropic:
    assert ep.base_url and ep.base_url.startswith("http://127.0.0.1:")
    return anthropic.Anthropic(
        base_url=ep.base_url, api_key=FAKE_API_KEY, **{"max_retries": 0, **kw}
    )


def run_openai_agent(client: openai.OpenAI, model: str) -> tuple[str, list[str]]:
    """A tool loop as an agent would run it; returns (final text, snapshots seen)."""
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    snapshots = []
    for _ in range(10):
        r = client.chat.completions.create(model=model, messages=messages, tools=LOOKUP_OPENAI)
        snapshots.append(r.model)
        msg = r.choices[0].message
        if not msg.tool_calls:
            return msg.content or "", snapshots
        messages.append(msg.model_dump(exclude_none=True))
        for call in msg.tool_calls:
            key = json.loads(call.function.arguments)["key"]
            messages.append({"role": "tool", "tool_call_id": call.id, "content": TABLE[key]})
    raise AssertionError("agent did not finish")


def run_anthropic_agent(client: anthropic.Anthropic, model: str) -> tuple[str, list[str]]:
    messages: list[Any] = [{"role": "user", "content": PROMPT}]
    snapshots = []
    for _ in range(10):
        r = client.messages.create(
            model=model, max_tokens=100, messages=messages, tools=LOOKUP_ANTHROPIC
        )
        snapshots.append(r.model)
        uses = [b for b in r.content if b.type == "tool_use"]
        if not uses:
            return "".join(b.text for b in r.content if b.type == "text"), snapshots
        messages.append(
            {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in r.content]}
        )
        messages.append(
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": u.id, "content": TABLE[u.input["key"]]}  # type: ignore[index]
                    for u in uses
                ],
            }
        )
    raise AssertionError("agent did not finish")


def test_openai_tool_loop_through_proxy_then_rerun_from_cache(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    with proxied(fake_api, "openai", tmp_path / "cache") as (ep, ledger):
        text, snaps = run_openai_agent(openai_client(ep), ep.model_name)
    assert text.endswith("ANSWER: RP-1552")
    assert snaps == ["fake-gpt-2026-01-15"] * 3  # two lookups, then the answer
    assert fake_api.n_requests == 3
    totals = ledger.totals()
    assert (totals.n_upstream_calls, totals.n_cache_hits) == (3, 0)
    assert totals.snapshots == {"fake-gpt-2026-01-15": 3}

    # A rerun (new proxy session, same cache) makes zero upstream calls and gets the same answers.
    with proxied(fake_api, "openai", tmp_path / "cache") as (ep, ledger2):
        text2, _ = run_openai_agent(openai_client(ep), ep.model_name)
    assert text2 == text
    assert fake_api.n_requests == 3
    assert (ledger2.n_upstream_calls, ledger2.n_cache_hits, ledger2.spent_usd) == (0, 3, 0.0)


def test_anthropic_tool_loop_through_proxy_then_rerun_from_cache(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    with proxied(fake_api, "anthropic", tmp_path / "cache") as (ep, ledger):
        assert ep.base_url is not None and not ep.base_url.endswith("/v1")
        text, snaps = run_anthropic_agent(anthropic_client(ep), ep.model_name)
    assert text.endswith("ANSWER: RP-1552")
    assert snaps == ["fake-claude-2026-01-15"] * 3
    assert ledger.totals().snapshots == {"fake-claude-2026-01-15": 3}
    with proxied(fake_api, "anthropic", tmp_path / "cache") as (ep, ledger2):
        assert run_anthropic_agent(anthropic_client(ep), ep.model_name)[0] == text
    assert fake_api.n_requests == 3
    assert ledger2.n_upstream_calls == 0 and ledger2.n_cache_hits == 3


def test_identical_requests_get_their_own_slots_epochs_stay_independent(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    """Epoch 2 sends the same bytes as epoch 1: it must reach the API, not epoch 1's answer;
    a failed attempt gives its slot back, so the rerun still finds both answers."""
    ask = {"model": "fake-gpt", "messages": [{"role": "user", "content": "same question"}]}
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, _):
        client = openai_client(ep, max_retries=2)
        client.chat.completions.create(**ask)  # type: ignore[call-overload]
        fake_api.fail_next("500")
        client.chat.completions.create(**ask)  # type: ignore[call-overload]
    assert fake_api.outcomes() == {"ok": 2, "500": 1}
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, ledger):
        client = openai_client(ep)
        for _ in range(2):
            client.chat.completions.create(**ask)  # type: ignore[call-overload]
    assert fake_api.n_requests == 3 and ledger.n_cache_hits == 2
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, ledger):
        for _ in range(3):  # a third epoch is new work
            openai_client(ep).chat.completions.create(**ask)  # type: ignore[call-overload]
    assert ledger.n_cache_hits == 2 and ledger.n_upstream_calls == 1


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_ledger_cost_matches_pricing(fake_api: FakeAPI, tmp_path: Path, protocol: str) -> None:
    fake_api.set_cached_fraction(0.5)
    expected = 0.0
    with proxied(fake_api, protocol, tmp_path / "c") as (ep, ledger):  # type: ignore[arg-type]
        for i in range(5):
            content = f"question {i} " * (i + 3)
            if protocol == "openai":
                u = (
                    openai_client(ep)
                    .chat.completions.create(
                        model=ep.model_name, messages=[{"role": "user", "content": content}]
                    )
                    .usage
                )
                assert u is not None and u.prompt_tokens_details is not None
                cached = u.prompt_tokens_details.cached_tokens or 0
                expected += PRICING.cost(u.prompt_tokens, u.completion_tokens, cached)
            else:
                au = (
                    anthropic_client(ep)
                    .messages.create(
                        model=ep.model_name,
                        max_tokens=50,
                        messages=[{"role": "user", "content": content}],
                    )
                    .usage
                )
                read = au.cache_read_input_tokens or 0
                assert read > 0
                expected += PRICING.cost(au.input_tokens + read, au.output_tokens, read)
    totals = ledger.totals()
    assert totals.n_upstream_calls == 5
    assert totals.spent_usd == pytest.approx(expected, rel=1e-12)
    assert totals.spent_usd > 0 and totals.cached_tokens > 0
    assert all(c.cost_usd is not None and c.started_at is not None for c in ledger.calls)


def test_unknown_pricing_gives_unknown_cost(fake_api: FakeAPI, tmp_path: Path) -> None:
    with proxied(fake_api, "openai", tmp_path / "c", pricing=None) as (ep, ledger):
        openai_client(ep).chat.completions.create(
            model=ep.model_name, messages=[{"role": "user", "content": "x"}]
        )
    (call,) = ledger.calls
    assert call.cost_usd is None and call.input_tokens and call.snapshot == "fake-gpt-2026-01-15"
    assert ledger.totals().n_unpriced_calls == 1


def test_streams_pass_through_are_accounted_and_replayed(fake_api: FakeAPI, tmp_path: Path) -> None:
    def run() -> tuple[str, str]:
        oc = openai_client(ep)
        chunks = list(
            oc.chat.completions.create(
                model="fake-gpt",
                messages=[{"role": "user", "content": "stream me"}],
                stream=True,
                stream_options={"include_usage": True},
            )
        )
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        with anthropic_client(aep).messages.stream(
            model="fake-claude", max_tokens=50, messages=[{"role": "user", "content": "stream me"}]
        ) as s:
            atext = "".join(b.text for b in s.get_final_message().content if b.type == "text")
        return text, atext

    ledger = Ledger()
    with (
        proxied(fake_api, "openai", tmp_path / "c", ledger) as (ep, _),
        proxied(fake_api, "anthropic", tmp_path / "c", ledger) as (aep, _),
    ):
        first = run()
    assert first == ("You said: stream me\nANSWER: 42",) * 2
    assert fake_api.n_requests == 2
    totals = ledger.totals()
    assert totals.n_upstream_calls == 2 and totals.input_tokens > 0 and totals.output_tokens > 0
    assert set(totals.snapshots) == {"fake-gpt-2026-01-15", "fake-claude-2026-01-15"}
    assert totals.spent_usd > 0
    with (
        proxied(fake_api, "openai", tmp_path / "c", ledger) as (ep, _),
        proxied(fake_api, "anthropic", tmp_path / "c", ledger) as (aep, _),
    ):
        assert run() == first
    assert fake_api.n_requests == 2


def test_models_listing_and_errors_pass_through_uncached(fake_api: FakeAPI, tmp_path: Path) -> None:
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, ledger):
        client = openai_client(ep)
        assert "fake-gpt" in {m.id for m in client.models.list()}
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "x"}]
            )
        with pytest.raises(openai.AuthenticationError):
            openai.OpenAI(
                base_url=ep.base_url, api_key="wrong", max_retries=0
            ).chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": "x"}])
        with pytest.raises(openai.NotFoundError):  # not cached: still an error the second time
            client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "x"}]
            )
    outcomes = [c.outcome for c in ledger.calls]
    assert outcomes == ["http_error"] * 3 and ledger.spent_usd == 0.0


def test_chunked_request_bodies_are_read_whole(fake_api: FakeAPI, tmp_path: Path) -> None:
    body = json.dumps({"model": "fake-gpt", "messages": [{"role": "user", "content": "chunky"}]})
    with proxied(fake_api, "openai", tmp_path / "c") as (ep, ledger), httpx.Client() as http:
        r = http.post(
            f"{ep.base_url}/chat/completions",
            content=iter([body[:10].encode(), body[10:].encode()]),  # no length: chunked
            headers={"authorization": f"Bearer {FAKE_API_KEY}", "content-type": "application/json"},
        )
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"].startswith("You said: chunky")
    assert ledger.n_upstream_calls == 1
