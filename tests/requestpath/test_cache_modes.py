"""Cache modes: a canary run reads nothing from the call cache but still leaves its answers
(normal later runs replay them after the earlier ones); per route or per request."""

from __future__ import annotations

from pathlib import Path

import httpx

from harness.serve.proxy import CACHE_HEADER, CACHE_MODE_HEADER
from tests.fakeapi import FakeAPI, Reply
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied

BODY = {"model": "fake-gpt", "messages": [{"role": "user", "content": "same question"}]}


def _post(base_url: str | None, **headers: str) -> httpx.Response:
    h = {"authorization": f"Bearer {FAKE_API_KEY}", **headers}
    r = httpx.post(f"{base_url}/chat/completions", json=BODY, headers=h, timeout=30)
    assert r.status_code == 200, r.text
    return r


def test_bypass_read_calls_upstream_and_still_stores(fake_api: FakeAPI, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with proxied(fake_api, "openai", cache) as (ep, _):
        first = _post(ep.base_url)
    fake_api.set_policy(lambda conv: Reply(text="tonight's answer"))  # the model changed
    with proxied(fake_api, "openai", cache, cache_mode="bypass-read") as (ep, ledger):
        canary = _post(ep.base_url)  # the same request: upstream again, not the stored answer
        assert canary.headers.get(CACHE_HEADER) != "hit"
    assert fake_api.n_requests == 2 and ledger.totals().n_cache_hits == 0
    with proxied(fake_api, "openai", cache) as (ep, ledger):
        # a normal session replays both, in the order they were delivered
        replayed = [_post(ep.base_url), _post(ep.base_url)]
        # one request may ask for the mode itself (the header never goes upstream)
        _post(ep.base_url, **{CACHE_MODE_HEADER: "bypass-read"})
    assert [r.headers.get(CACHE_HEADER) for r in replayed] == ["hit", "hit"]
    texts = [r.json()["choices"][0]["message"]["content"] for r in (first, canary, *replayed)]
    assert texts[:2] == ["You said: same question\nANSWER: 42", "tonight's answer"]
    assert texts[2:] == texts[:2]
    assert fake_api.n_requests == 3 and ledger.totals().n_upstream_calls == 1
    assert all(CACHE_MODE_HEADER not in names for names in fake_api.header_names)
