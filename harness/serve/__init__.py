"""Model servers: start/stop local ones (llama.cpp on CPU, vLLM on GPU) or use a given URL.

`serving(deployment, card, log_dir=..., cache_dir=...)` is the one entry point: a context
manager yielding the Endpoint runners talk to. Servers it starts are always stopped when the
context exits, however it exits (see process.py for how orphans are prevented).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from harness._types import Endpoint
from harness.errors import ServeError
from harness.models import Deployment, ModelCard
from harness.serve.remote import remote_endpoint


@contextlib.contextmanager
def serving(
    deployment: Deployment,
    card: ModelCard,
    *,
    log_dir: Path,
    cache_dir: Path,
    start_timeout_s: float | None = None,
) -> Iterator[Endpoint]:
    """Yield an Endpoint for `deployment`, starting (and afterwards stopping) a local server
    when the deployment is managed; for APIs and base URLs nothing is started.

    start_timeout_s bounds the health wait (default: 180 s llama.cpp, 1200 s vLLM).
    Raises ServeError (one line, with the server log's last lines) if the server cannot start,
    OfflineError if its weights are neither local nor downloadable.
    """
    if not deployment.managed:
        yield remote_endpoint(deployment, card)
        return
    if deployment.provider == "llama-cpp":
        from harness.serve.llama import llama_cpp_server

        kwargs = {} if start_timeout_s is None else {"start_timeout_s": start_timeout_s}
        with llama_cpp_server(
            deployment, card, log_dir=log_dir, cache_dir=cache_dir, **kwargs
        ) as ep:
            yield ep
        return
    if deployment.provider == "vllm":
        from harness.serve.vllm import vllm_server

        kwargs = {} if start_timeout_s is None else {"start_timeout_s": start_timeout_s}
        with vllm_server(deployment, card, log_dir=log_dir, cache_dir=cache_dir, **kwargs) as ep:
            yield ep
        return
    raise ServeError(
        f"deployment {deployment.id}: managed provider '{deployment.provider}' is not supported "
        "yet (give it a base_url of a running OpenAI-compatible server)"
    )


__all__ = ["serving"]
