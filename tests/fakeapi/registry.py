"""Model cards, deployments, endpoints and a models.yaml aimed at a running FakeAPI.

For tests above the request path (engines, the sweep executor, the CLI): they describe the
fake models the way the real registry describes real ones, so the same code paths run.
"""

from __future__ import annotations

from datetime import date

import yaml

from harness._types import Access, DeploymentFacts, Endpoint, Protocol
from harness.models import Deployment, ModelCard, Pricing
from tests.fakeapi.server import FakeAPI

PRICING = Pricing(input_per_m=2.0, output_per_m=8.0, cached_input_per_m=0.5)
RELEASE = date(2026, 1, 15)


def fake_card(model_id: str = "fake-gpt", access: Access = "closed") -> ModelCard:
    return ModelCard(
        id=model_id,
        name=model_id,
        organisation="Fake Labs",
        access=access,
        release_date=RELEASE,
        licence="proprietary",
        source="http://example.invalid",
    )


def fake_deployment(
    protocol: Protocol,
    base_url: str | None,
    *,
    api_model: str | None = None,
    pricing: Pricing | None = PRICING,
    dep_id: str | None = None,
    api_key_env: str | None = None,
) -> Deployment:
    """provider openai (fake-gpt) or anthropic (fake-claude) at base_url."""
    model = api_model or ("fake-gpt" if protocol == "openai" else "fake-claude")
    return Deployment(
        id=dep_id or f"{model}@{protocol}",
        model=model.split("-2026")[0],
        provider=protocol,
        api_model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        pricing=pricing,
    )


def fake_endpoint(dep: Deployment, *, timeout_s: float = 10.0, max_retries: int = 2) -> Endpoint:
    """The Endpoint serve/ would build for an API deployment."""
    protocol: Protocol = "anthropic" if dep.provider == "anthropic" else "openai"
    return Endpoint(
        protocol=protocol,
        model_name=dep.api_model or dep.model,
        base_url=dep.base_url,
        api_key_env=dep.key_env,
        facts=DeploymentFacts(deployment_id=dep.id, provider=dep.provider, server="fakeapi"),
        timeout_s=timeout_s,
        max_retries=max_retries,
    )


def upstream_url(fake: FakeAPI, protocol: Protocol) -> str:
    return fake.openai_base_url if protocol == "openai" else fake.base_url


def registry_yaml(fake: FakeAPI, *, timeout_s: float = 10.0, max_retries: int = 2) -> str:
    """A models.yaml with closed models fake-gpt (OpenAI protocol) and fake-claude
    (Anthropic protocol) served by `fake`; keys from OPENAI_API_KEY / ANTHROPIC_API_KEY."""
    cards = [
        fake_card("fake-gpt").model_dump(mode="json"),
        fake_card("fake-claude").model_dump(mode="json"),
    ]
    deps = []
    for protocol in ("openai", "anthropic"):
        dep = fake_deployment(protocol, upstream_url(fake, protocol))  # type: ignore[arg-type]
        data = dep.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data.update(provider=dep.provider, timeout_s=timeout_s, max_retries=max_retries)
        deps.append(data)
    return yaml.safe_dump({"models": cards, "deployments": deps}, sort_keys=False)
