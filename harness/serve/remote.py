"""Endpoints gapbench does not start: closed APIs and any server given by base URL."""

from __future__ import annotations

from urllib.parse import urlparse

from harness._types import DeploymentFacts, Endpoint
from harness.models import Deployment, ModelCard

_DEFAULT_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}


def server_host(deployment: Deployment) -> str:
    """The host (with a non-default port) of the base URL, or the provider's API host."""
    if deployment.base_url:
        parsed = urlparse(deployment.base_url)
        return parsed.netloc.rsplit("@", 1)[-1] or deployment.base_url  # never keep userinfo
    return _DEFAULT_HOSTS.get(deployment.provider, "")


def remote_endpoint(deployment: Deployment, card: ModelCard) -> Endpoint:
    facts = DeploymentFacts(
        deployment_id=deployment.id,
        provider=deployment.provider,
        server=server_host(deployment),
        quantization=deployment.weights.quantization if deployment.weights else "",
        tool_call_format=deployment.tool_call_format,
        context_length=deployment.context_length,
    )
    return Endpoint(
        protocol="anthropic" if deployment.provider == "anthropic" else "openai",
        model_name=deployment.api_model or card.id,
        base_url=deployment.base_url,
        api_key_env=deployment.key_env,
        facts=facts,
        max_connections=deployment.max_connections,
        timeout_s=deployment.timeout_s,
        max_retries=deployment.max_retries,
    )
