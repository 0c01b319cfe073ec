"""Only well-formed answers are cached (issue 19.3), and a key an upstream echoes never reaches
the client (issue 18.2): both SDKs through the proxy to the fake API."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import anthropic
import openai
import pytest

from harness.serve.proxy import RetryPolicy
from harness.serve.proxy.cache import AnswerCache, request_key
from harness.serve.proxy.wellformed import problem
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied
from tests.requestpath.test_proxy_sdk import anthropic_client, openai_client

FAST = RetryPolicy(attempts=3, attempt_timeout_s=5.0, initial_wait_s=0.01, max_wait_s=0.02)
HELLO = [{"role": "user", "content": "hello"}]


def _ask(protocol: str, ep: object) -> str:
    if protocol == "openai":
        r = openai_client(ep).chat.completions.create(model="fake-gpt", messages=HELLO)  # type: ignore[arg-type]
        return r.choices[0].message.content or ""
    m = anthropic_client(ep).messages.create(  # type: ignore[arg-type]
        model="fake-claude", max_tokens=16, messages=HELLO
    )
    return m.content[0].text  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "protocol,kind",
    [("openai", "malformed"), ("anthropic", "unfinished"), ("openai", "shapeless")],
)
def test_a_malformed_200_is_retried_and_never_cached(
    fake_api: FakeAPI, tmp_path: Path, protocol: str, kind: str
) -> None:
    cache = tmp_path / "cache"
    fake_api.fail_next(kind)
    with proxied(fake_api, protocol, cache, retry=FAST) as (ep, ledger):  # type: ignore[arg-type]
        assert "You said: hello" in _ask(protocol, ep)
    assert [c.outcome for c in ledger.calls] == ["malformed", "ok"]
    if kind == "unfinished":  # its usage says what it cost: paid all the same
        assert ledger.calls[0].cost_usd is not None and ledger.spent_usd > ledger.calls[1].cost_usd
    # A rerun replays the good answer, with no upstream call.
    fake_api.reset_counts()
    with proxied(fake_api, protocol, cache, retry=FAST) as (ep, ledger):  # type: ignore[arg-type]
        _ask(protocol, ep)
    assert fake_api.n_requests == 0 and [c.outcome for c in ledger.calls] == ["cache_hit"]


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_only_malformed_answers_are_an_error_and_the_next_session_asks_again(
    fake_api: FakeAPI, tmp_path: Path, protocol: str
) -> None:
    cache = tmp_path / "cache"
    fake_api.fail_next("malformed", "malformed", "malformed")
    errors = (openai.APIStatusError, anthropic.APIStatusError)
    with (
        proxied(fake_api, protocol, cache, retry=FAST) as (ep, _),  # type: ignore[arg-type]
        pytest.raises(errors) as info,
    ):
        _ask(protocol, ep)
    assert info.value.status_code == 502
    assert "gapbench_upstream_malformed" in str(info.value.body)
    fake_api.reset_counts()
    with proxied(fake_api, protocol, cache, retry=FAST) as (ep, _):  # type: ignore[arg-type]
        assert "You said" in _ask(protocol, ep)  # asked again (--retry-errors), not replayed
    assert fake_api.n_requests == 1


def test_a_malformed_entry_an_older_cache_holds_is_passed_over(
    fake_api: FakeAPI, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with proxied(fake_api, "openai", cache) as (ep, _):
        good = _ask("openai", ep)
    # Put a cut-off answer in front of the good one, as an older gapbench could have.
    db = cache / "requests"
    body = json.dumps({"model": "fake-gpt", "messages": HELLO}).encode()
    key = request_key("fake-gpt@openai", "POST", "/chat/completions", body)

    async def plant() -> None:
        c = AnswerCache(db)
        stored = [await c.lookup(key)]
        assert stored[0] is not None
        await c.close()
        import sqlite3

        conn = sqlite3.connect(db / "answers.sqlite")
        conn.execute("UPDATE answers SET idx = 1 WHERE key = ?", (key,))
        conn.execute(
            "INSERT INTO answers VALUES (?, 0, 'application/json', ?)", (key, b'{"choices": [')
        )
        conn.commit()
        conn.close()

    asyncio.run(plant())
    fake_api.reset_counts()
    with proxied(fake_api, "openai", cache) as (ep, ledger):
        assert _ask("openai", ep) == good
    assert fake_api.n_requests == 0 and ledger.n_cache_hits == 1


def test_stream_shapes() -> None:
    done = b'data: {"choices": [{"delta": {"content": "hi"}}]}\n\ndata: [DONE]\n\n'
    assert problem("openai", "/chat/completions", "text/event-stream", done) is None
    assert "[DONE]" in str(problem("openai", "/chat/completions", "text/event-stream", done[:40]))
    stop = b'data: {"type": "message_start"}\n\ndata: {"type": "message_stop"}\n\n'
    assert problem("anthropic", "/messages", "text/event-stream", stop) is None
    assert problem("anthropic", "/messages", "text/event-stream", stop[:30]) is not None
    assert problem("openai", "/models", "application/json", b'{"data": []}') is None


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_a_key_the_upstream_echoes_never_reaches_the_client(
    fake_api: FakeAPI, tmp_path: Path, protocol: str, fake_api_key: str
) -> None:
    fake_api.set_echo_key(True)
    fake_api.fail_next("401")
    errors = (openai.APIStatusError, anthropic.APIStatusError)
    with (
        proxied(fake_api, protocol, tmp_path / "cache", retry=FAST) as (ep, _),  # type: ignore[arg-type]
        pytest.raises(errors) as info,
    ):
        _ask(protocol, ep)
    seen = f"{info.value} {info.value.body} {info.value.response.text}"
    assert info.value.status_code == 401 and "key used: [masked:" in seen
    assert FAKE_API_KEY not in seen and "request_headers" in seen
    # The fake really echoed it: the same request without the proxy shows the key.
    fake_api.fail_next("401")
    with pytest.raises(errors) as raw:
        if protocol == "openai":
            openai.OpenAI(
                base_url=fake_api.openai_base_url, api_key=FAKE_API_KEY, max_retries=0
            ).chat.completions.create(model="fake-gpt", messages=HELLO)  # type: ignore[arg-type]
        else:
            anthropic.Anthropic(
                base_url=fake_api.base_url, api_key=FAKE_API_KEY, max_retries=0
            ).messages.create(model="fake-claude", max_tokens=8, messages=HELLO)  # type: ignore[arg-type]
    assert FAKE_API_KEY in str(raw.value)


def _chat(message: object, usage: object = None) -> bytes:
    body: dict[str, object] = {"choices": [{"message": message, "finish_reason": "stop"}]}
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body).encode()


def _msg(content: object, usage: object = None) -> bytes:
    body: dict[str, object] = {"type": "message", "content": content, "stop_reason": "end_turn"}
    if usage is not None:
        body["usage"] = usage
    return json.dumps(body).encode()


TEXT = {"role": "assistant", "content": "hi"}
COUNTS = {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}


@pytest.mark.parametrize(
    ("protocol", "body", "why"),
    [
        # A3's fault server (issue 19's acceptance): 200s that parse but are no answer. A
        # content object crashed the run's store write ("worker died (ArrowTypeError)"), a
        # null text block was scored as a wrong answer, a negative count ran the spend
        # backwards ($-196 spent, the budget never stopping), a count past 2^63 ended the
        # command with an OverflowError traceback.
        ("openai", b'{"error": {"message": "internal", "type": "server_error"}}', "choices"),
        ("openai", _chat({"role": "assistant", "content": {"nested": 5}}), "content"),
        ("openai", _chat({"content": ["part"]}), "content part"),
        ("openai", _chat({"content": None, "tool_calls": [{"function": {"name": "f"}}]}),
         "arguments"),
        ("openai", _chat({"content": None, "tool_calls": {"name": "f"}}), "tool_calls"),
        ("openai", _chat(TEXT, {"prompt_tokens": -1000000, "completion_tokens": 3}),
         "prompt_tokens"),
        ("openai", _chat(TEXT, {"prompt_tokens": 10**19, "completion_tokens": 3}), "0 to"),
        ("openai", _chat(TEXT, {"prompt_tokens": "12", "completion_tokens": 3}), "number"),
        ("openai", _chat(TEXT, {**COUNTS, "prompt_tokens_details": {"cached_tokens": -5}}),
         "cached_tokens"),
        ("openai", _chat(TEXT, [1, 2]), "usage is not an object"),
        ("anthropic", _msg([{"type": "text", "text": None}]), "text block"),
        ("anthropic", _msg([{"type": "tool_use", "name": "f", "input": "x"}]), "tool_use"),
        ("anthropic", _msg(["hi"]), "content block"),
        ("anthropic", _msg([], {"input_tokens": -1, "output_tokens": 1}), "input_tokens"),
        ("anthropic", _msg([], {"input_tokens": 1, "output_tokens": 1.5}), "output_tokens"),
    ],
)  # fmt: skip
def test_answers_of_the_wrong_shape_are_malformed(protocol: str, body: bytes, why: str) -> None:
    path = "/chat/completions" if protocol == "openai" else "/messages"
    found = problem(protocol, path, "application/json", body)  # type: ignore[arg-type]
    assert found is not None and why in found, found


@pytest.mark.parametrize(
    ("protocol", "body"),
    [
        ("openai", _chat(TEXT, COUNTS)),
        ("openai", _chat({"content": [{"type": "text", "text": "hi"}]})),
        ("openai", _chat({"content": None, "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
            {**COUNTS, "cost": 0.0012, "prompt_tokens_details": {"cached_tokens": None}})),
        ("anthropic", _msg([{"type": "text", "text": "hi"},
                            {"type": "tool_use", "id": "t", "name": "f", "input": {}},
                            {"type": "server_tool_use", "whatever": 1}],
                           {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": None,
                            "cache_creation": {"ephemeral_5m_input_tokens": 0},
                            "service_tier": "standard"})),
    ],
)  # fmt: skip
def test_answers_as_providers_send_them_are_well_formed(protocol: str, body: bytes) -> None:
    path = "/chat/completions" if protocol == "openai" else "/messages"
    assert problem(protocol, path, "application/json", body) is None  # type: ignore[arg-type]


def test_streamed_counts_are_checked_too() -> None:
    bad = b'data: {"choices": [], "usage": {"prompt_tokens": -9}}\n\ndata: [DONE]\n\n'
    assert "prompt_tokens" in str(problem("openai", "/chat/completions", "text/event-stream", bad))
    start = {"type": "message_start", "message": {"usage": {"input_tokens": -9}}}
    events = f'data: {json.dumps(start)}\n\ndata: {{"type": "message_stop"}}\n\n'.encode()
    assert "input_tokens" in str(problem("anthropic", "/messages", "text/event-stream", events))


def test_a_count_no_call_can_have_is_no_cost() -> None:
    from harness.serve.proxy.usage import usage_from_json

    usage = usage_from_json(
        "openai", {"usage": {"prompt_tokens": -(10**6), "completion_tokens": 10**19}}
    )
    assert (usage.input_tokens, usage.output_tokens) == (None, None)
