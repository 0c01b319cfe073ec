"""Helpers for request-path tests: deployments and endpoints aimed at the fake API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from harness._types import DeploymentFacts, Endpoint, Protocol
from harness.models import Deployment, ModelCard, Pricing
from harness.serve.proxy import request_path
from harness.serve.proxy_ledger import Ledger
from tests.fakeapi import FakeAPI

PRICING = Pricing(input_per_m=2.0, output_per_m=8.0, cached_input_per_m=0.5)


def card(model_id: str = "fake-gpt", access: str = "closed") -> ModelCard:
    return ModelCard(
        id=model_id,
        name=model_id,
        organisation="Fake Labs",
        access=access,  # type: ignore[arg-type]
        release_date=date(2026, 1, 15),
        licence="proprietary",
        source="http://example.invalid",
    )


def deployment(
    protocol: Protocol,
    base_url: str | None,
    *,
    api_model: str | None = None,
    pricing: Pricing | None = PRICING,
    dep_id: str | None = None,
    api_key_env: str | None = None,
) -> Deployment:
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


def endpoint(dep: Deployment, *, timeout_s: float = 10.0, max_retries: int = 2) -> Endpoint:
    protocol: Protocol = "anthropic" if dep.provider == "anthropic" else "openai"
    return Endpoint(
        protocol=protocol,
        model_name=dep.api_model or dep.model,
        base_url=dep.base_url,
        api_key_env=dep.key_env,
        facts=DeploymentFacts(deployment_id=dep.id, provider=dep.provider),
        timeout_s=timeout_s,
        max_retries=max_retries,
    )


def upstream_url(fake: FakeAPI, protocol: Protocol) -> str:
    return fake.openai_base_url if protocol == "openai" else fake.base_url


@contextmanager
def proxied(
    fake: FakeAPI,
    protocol: Protocol,
    cache_dir: Path,
    ledger: Ledger | None = None,
    *,
    timeout_s: float = 10.0,
    pricing: Pricing | None = PRICING,
) -> Iterator[tuple[Endpoint, Ledger]]:
    """The proxy in front of the fake API; yields (endpoint to use, its ledger)."""
    ledger = ledger or Ledger()
    dep = deployment(protocol, upstream_url(fake, protocol), pricing=pricing)
    with request_path(
        endpoint(dep, timeout_s=timeout_s), deployment=dep, cache_dir=cache_dir, ledger=ledger
    ) as ep:
        yield ep, ledger
