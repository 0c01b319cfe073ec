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
