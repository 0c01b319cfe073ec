"""Endpoints for deployments gapbench does not start (APIs, given base URLs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.config import load_settings
from harness.errors import ServeError
from harness.models import Deployment, ModelCard, load_registry
from harness.serve import serving


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry(load_settings().registry_path)


def _serve(dep: Deployment, card: ModelCard, tmp_path: Path) -> Any:
    with serving(dep, card, log_dir=tmp_path / "logs", cache_dir=tmp_path / "cache") as ep:
        return ep


def test_openai_endpoint(registry: Any, tmp_path: Path) -> None:
    card, dep = registry.resolve("gpt-5@openai")
    ep = _serve(dep, card, tmp_path)
    assert ep.protocol == "openai"
    assert ep.model_name == "gpt-5-2025-08-07"
    assert ep.base_url is None  # the SDK's default
    assert ep.api_key_env == "OPENAI_API_KEY"
    assert ep.facts.server == "api.openai.com"
    assert ep.facts.provider == "openai"
    assert ep.facts.deployment_id == "gpt-5@openai"
    assert ep.facts.model_sha256 == ""
    assert ep.max_connections == dep.max_connections
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_anthropic_endpoint(registry: Any, tmp_path: Path) -> None:
    card, dep = registry.resolve("claude-sonnet-4.5@anthropic")
    ep = _serve(dep, card, tmp_path)
    assert ep.protocol == "anthropic"
    assert ep.api_key_env == "ANTHROPIC_API_KEY"
    assert ep.facts.server == "api.anthropic.com"


def test_openai_compatible_endpoint(registry: Any, tmp_path: Path) -> None:
    card, dep = registry.resolve("deepseek-v3.2@deepseek")
    ep = _serve(dep, card, tmp_path)
    assert ep.protocol == "openai"
    assert ep.base_url == "https://api.deepseek.com/v1"
    assert ep.api_key_env == "DEEPSEEK_API_KEY"
    assert ep.model_name == "deepseek-chat"
    assert ep.facts.server == "api.deepseek.com"


def test_local_provider_with_base_url_is_not_started(tmp_path: Path) -> None:
    card = ModelCard.model_validate(
        {
            "id": "m",
            "name": "M",
            "organisation": "o",
            "access": "open",
            "release_date": "2025-01-01",
            "licence": "x",
            "source": "https://example.org",
        }
    )
    dep = Deployment.model_validate(
        {
            "id": "m@mine",
            "model": "m",
            "provider": "llama-cpp",
            "base_url": "http://user:pw@127.0.0.1:8080/v1",
            "tool_call_format": "chatml-function-calling",
            "context_length": 4096,
            "weights": {"path": "/x.gguf", "quantization": "Q8_0"},
        }
    )
    ep = _serve(dep, card, tmp_path)
    assert ep.base_url == "http://user:pw@127.0.0.1:8080/v1"
    assert ep.model_name == "m"  # no api_model: the card id
    assert ep.api_key_env is None
    assert ep.facts.server == "127.0.0.1:8080"  # userinfo never lands in stored facts
    assert ep.facts.tool_call_format == "chatml-function-calling"
    assert ep.facts.context_length == 4096
    assert ep.facts.quantization == "Q8_0"


def test_managed_hf_is_not_supported_yet(tmp_path: Path) -> None:
    card = ModelCard.model_validate(
        {
            "id": "m",
            "name": "M",
            "organisation": "o",
            "access": "open",
            "release_date": "2025-01-01",
            "licence": "x",
            "source": "https://example.org",
        }
    )
    dep = Deployment.model_validate(
        {"id": "m@hf", "model": "m", "provider": "hf", "weights": {"path": "/x"}}
    )
    with pytest.raises(ServeError) as err:
        _serve(dep, card, tmp_path)
    assert "not supported yet" in str(err.value) and "\n" not in str(err.value)
