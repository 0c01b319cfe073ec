"""API keys travel in headers only: nothing the request path writes may contain them."""

from __future__ import annotations

import logging
from pathlib import Path

import openai
import pytest

from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import proxied
from tests.requestpath.test_proxy_sdk import LOOKUP_OPENAI, anthropic_client, run_anthropic_agent


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_key_never_written_to_cache_ledger_or_logs(
    fake_api: FakeAPI, tmp_path: Path, caplog: pytest.LogCaptureFixture, fake_api_key: str
) -> None:
    caplog.set_level(logging.DEBUG)
    cache = tmp_path / "cache"
    with proxied(fake_api, "openai", cache) as (ep, ledger):
        # The key comes from the environment variable the endpoint names, as engines do it.
        assert ep.api_key_env == "OPENAI_API_KEY"
        client = openai.OpenAI(base_url=ep.base_url, max_retries=2)
        client.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "hello"}], tools=LOOKUP_OPENAI
        )
        fake_api.fail_next("429", "drop")
        client.chat.completions.create(
            model="fake-gpt", messages=[{"role": "user", "content": "again"}]
        )
    with proxied(fake_api, "anthropic", cache, ledger) as (aep, _):
        run_anthropic_agent(anthropic_client(aep), aep.model_name)
    ledger.save(tmp_path / "logs" / "ledger.json")
    assert ledger.n_upstream_calls == 7  # 1 + (429, drop, ok) + a 3-call anthropic tool loop
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 2  # the cache database and the ledger at least
    for needle in (FAKE_API_KEY.encode(), FAKE_API_KEY.encode("utf-16-le")):
        assert _files_containing(tmp_path, needle) == []
    # Our own log lines (the SDKs' debug logs are theirs to keep clean).
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("harness")]
    assert ours and not any(FAKE_API_KEY in line for line in ours)
    assert fake_api_key == FAKE_API_KEY
