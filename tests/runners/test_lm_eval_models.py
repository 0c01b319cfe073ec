"""The instrumented lm-eval models build the payloads and headers the APIs expect."""

from __future__ import annotations

import pytest

from harness._types import DeploymentFacts, Endpoint, Protocol
from harness.runners.lm_eval_models import make_model

MESSAGES = [{"role": "user", "content": "hi"}]
GEN = {"until": [], "max_gen_toks": 77, "temperature": 0.0, "do_sample": False}


def _model(protocol: Protocol, base_url: str | None, key_env: str | None = "GB_TEST_KEY"):  # type: ignore[no-untyped-def]
    ep = Endpoint(protocol=protocol, model_name="m-1", base_url=base_url, api_key_env=key_env,
                  facts=DeploymentFacts(deployment_id="d", provider="openai"))  # fmt: skip
    return make_model(ep, max_gen_toks=77, num_concurrent=3)


def test_openai_compatible_payload() -> None:
    model = _model("openai", "http://127.0.0.1:9/v1")
    assert model.base_url == "http://127.0.0.1:9/v1/chat/completions"
    payload = model._create_payload(MESSAGES, generate=True, gen_kwargs=dict(GEN), eos=None)
    assert payload["messages"] == MESSAGES and payload["model"] == "m-1"
    assert payload["max_tokens"] == 77 and payload["temperature"] == 0.0
    assert "stop" not in payload  # an empty stop list is left out
    assert model.tokenizer is None  # nothing to download


def test_openai_api_payload_uses_max_completion_tokens() -> None:
    model = _model("openai", None)
    assert model.base_url == "https://api.openai.com/v1/chat/completions"
    # eos=None: what model_call passes when there is no tokenizer
    payload = model._create_payload(MESSAGES, generate=True, gen_kwargs=dict(GEN), eos=None)
    assert payload["max_completion_tokens"] == 77 and "stop" not in payload


def test_anthropic_payload_has_valid_stop_sequences() -> None:
    model = _model("anthropic", "http://127.0.0.1:9")
    assert model.base_url == "http://127.0.0.1:9/v1/messages"
    payload = model._create_payload(MESSAGES, generate=True, gen_kwargs=dict(GEN), eos=None, seed=1)
    assert payload["max_tokens"] == 77 and "seed" not in payload
    assert payload["stop_sequences"] and all(
        isinstance(s, str) and s for s in payload["stop_sequences"]
    )
    assert payload["messages"][0]["content"][0] == {"type": "text", "text": "hi"}


def test_key_is_read_at_call_time_and_never_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GB_TEST_KEY", raising=False)
    model = _model("openai", "http://127.0.0.1:9/v1")
    assert model.header == {}
    monkeypatch.setenv("GB_TEST_KEY", "sk-secret-value")
    assert model.header == {"Authorization": "Bearer sk-secret-value"}
    assert "sk-secret-value" not in repr(vars(model))
    anthropic = _model("anthropic", None)
    assert anthropic.header["x-api-key"] == "sk-secret-value"
    assert "sk-secret-value" not in repr(vars(anthropic))


def test_no_key_env_sends_no_authorization() -> None:
    assert _model("openai", "http://127.0.0.1:9/v1", key_env=None).header == {}
