"""Where each wire protocol lives upstream: the one place that knows the APIs' default hosts.

Both the proxy (forwarding) and the preflight (reachability, model listing) use these, so no
URL or header convention is written down twice.
"""

from __future__ import annotations

from harness._types import Protocol, Provider

# The SDKs' own defaults. The OpenAI SDK's base URL includes /v1 (it appends
# "chat/completions"); the Anthropic SDK's does not (it appends "/v1/messages").
DEFAULT_BASE_URLS: dict[Protocol, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}


def protocol_of(provider: Provider) -> Protocol:
    """Every provider but Anthropic speaks the OpenAI chat-completions protocol."""
    return "anthropic" if provider == "anthropic" else "openai"


def upstream_base_url(protocol: Protocol, base_url: str | None) -> str:
    """The upstream base URL without a trailing slash (the SDK default when None)."""
    return (base_url or DEFAULT_BASE_URLS[protocol]).rstrip("/")


def local_prefix(protocol: Protocol) -> str:
    """The path prefix a client puts before API paths when its base URL is the proxy root.

    OpenAI clients are given ``http://127.0.0.1:PORT/v1`` (they append ``/chat/completions``);
    Anthropic clients ``http://127.0.0.1:PORT`` (they append ``/v1/messages``). The proxy
    strips this prefix and appends the rest to the upstream base URL, which keeps whatever
    path the deployment configured (``https://openrouter.ai/api/v1`` and the like).
    """
    return "/v1" if protocol == "openai" else ""


def models_path(protocol: Protocol) -> str:
    """The model-listing path relative to the upstream base URL."""
    return "/models" if protocol == "openai" else "/v1/models"
