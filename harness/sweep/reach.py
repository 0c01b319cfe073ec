"""Reach a deployment: start its server when it is managed, and put the request path in front.

Every engine call of a sweep goes through the request path (harness.serve.proxy): it caches,
accounts, limits concurrency per deployment and holds the circuit breaker. Canary runs read no
cached answer (a drift check must ask the model), but still store theirs; so does every run
of `gapbench run --no-cache` (read_cache=False).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from harness._types import Endpoint
from harness.models import Deployment, ModelCard
from harness.serve import serving
from harness.serve.proxy import CacheMode, Ledger, RequestPath, request_path


@contextlib.contextmanager
def reach(
    card: ModelCard,
    deployment: Deployment,
    raw_root: Path,
    cache_dir: Path,
    ledger: Ledger,
    *,
    canary: bool = False,
    path: RequestPath | None = None,
    read_cache: bool = True,
) -> Iterator[Endpoint]:
    """The proxied Endpoint of `deployment` while the block runs (its server stops after).

    path: the sweep's one request path (local executor: every deployment in one proxy
    process); None starts one for this block (a Ray worker reaching its own deployment).
    """
    mode: CacheMode = "bypass-read" if canary or not read_cache else "normal"
    with serving(deployment, card, log_dir=raw_root / "server-logs", cache_dir=cache_dir) as ep:
        if path is not None:
            yield path.add(ep, deployment, cache_mode=mode)
            return
        with request_path(
            ep, deployment=deployment, cache_dir=cache_dir / "requests", ledger=ledger,
            cache_mode=mode,
        ) as proxied:  # fmt: skip
            yield proxied
