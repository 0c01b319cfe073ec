"""Helpers for request-path tests: the proxy in front of the fake API."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness._types import Endpoint, Protocol
from harness.models import Pricing
from harness.serve.proxy import BreakerPolicy, RetryPolicy, request_path
from harness.serve.proxy.ledger import Ledger
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import PRICING, fake_card, fake_deployment, fake_endpoint, upstream_url

card = fake_card
deployment = fake_deployment
endpoint = fake_endpoint

__all__ = ["PRICING", "card", "deployment", "endpoint", "proxied", "upstream_url"]


@contextmanager
def proxied(
    fake: FakeAPI,
    protocol: Protocol,
    cache_dir: Path,
    ledger: Ledger | None = None,
    *,
    timeout_s: float = 10.0,
    pricing: Pricing | None = PRICING,
    max_connections: int | None = None,
    limit_concurrency: bool = True,
    retry: RetryPolicy | None = None,
    breaker: BreakerPolicy | None = None,
    cache_mode: str = "normal",
) -> Iterator[tuple[Endpoint, Ledger]]:
    """The proxy in front of the fake API; yields (endpoint to use, its ledger).

    retry: the proxy's retry policy (default: the deployment's, 3 attempts here)."""
    ledger = ledger or Ledger()
    dep = deployment(protocol, upstream_url(fake, protocol), pricing=pricing)
    if max_connections is not None:
        dep = dep.model_copy(update={"max_connections": max_connections})
    with request_path(
        endpoint(dep, timeout_s=timeout_s),
        deployment=dep,
        cache_dir=cache_dir,
        ledger=ledger,
        limit_concurrency=limit_concurrency,
        retry=retry,
        breaker=breaker,
        cache_mode=cache_mode,  # type: ignore[arg-type]
    ) as ep:
        yield ep, ledger
