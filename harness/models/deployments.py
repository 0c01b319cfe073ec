"""A deployment: how a model card is reached (provider, endpoint or weights, flags, price)."""

from __future__ import annotations

from datetime import date
from typing import Literal
from urllib.parse import urlparse

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness._types import DeployProvider


class Pricing(BaseModel):
    """$ per million tokens for APIs; $ per hour of hardware for local servers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    input_per_m: float = Field(default=0.0, ge=0)
    output_per_m: float = Field(default=0.0, ge=0)
    cached_input_per_m: float | None = Field(default=None, ge=0)
    usd_per_hour: float = Field(default=0.0, ge=0, description="local hardware cost")
    # Where the prices were read and when: prices change, and a plan's estimate is only as
    # good as its prices. Not result facts (pricing is out of run keys).
    source: str | None = Field(default=None, description="URL of the price page")
    as_of: date | None = Field(default=None, description="when the prices were read there")

    @property
    def per_token(self) -> bool:
        """Priced by tokens (an API), not only by the hour (local hardware)."""
        return bool(self.input_per_m or self.output_per_m)

    def cost(
        self, input_tokens: int, output_tokens: int, cached_tokens: int = 0, seconds: float = 0.0
    ) -> float:
        cached = min(cached_tokens, input_tokens)
        cached_rate = (
            self.input_per_m if self.cached_input_per_m is None else self.cached_input_per_m
        )
        return (
            (input_tokens - cached) * self.input_per_m
            + cached * cached_rate
            + output_tokens * self.output_per_m
        ) / 1e6 + seconds * self.usd_per_hour / 3600.0


class LocalWeights(BaseModel):
    """Where GGUF (or HF) weights come from: a file path, a file inside an installed Python
    package, or a Hugging Face Hub repo+file (downloaded only when online)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    path: str | None = None
    package: str | None = Field(default=None, description="installed package holding the file")
    file: str | None = Field(default=None, description="file name or glob inside package / repo")
    hf_repo: str | None = None
    quantization: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> LocalWeights:
        sources = [self.path is not None, self.package is not None, self.hf_repo is not None]
        if sum(sources) != 1:
            raise ValueError("give exactly one of path, package, hf_repo")
        if (self.package or self.hf_repo) and not self.file:
            raise ValueError("file is required with package or hf_repo")
        return self


class Deployment(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._@/-]*$")
    model: str = Field(description="id of the model card this deploys")
    provider: DeployProvider
    api_model: str | None = Field(default=None, description="model name sent to the API")
    base_url: str | None = Field(default=None, description="OpenAI-compatible or API base URL")
    api_key_env: str | None = Field(default=None, description="env var holding the API key")
    weights: LocalWeights | None = None
    server_flags: dict[str, str | int | float | bool] = Field(default_factory=dict)
    tool_call_format: Literal["native", "chatml-function-calling", "none", "unknown"] = "native"
    context_length: int | None = Field(default=None, ge=1, le=10_000_000)
    max_connections: int = Field(default=4, ge=1, le=1024)
    timeout_s: float = Field(default=120.0, gt=0, le=86_400)
    max_retries: int = Field(default=5, ge=0, le=100)
    pricing: Pricing | None = Field(default=None, description="None: unknown, cost not computed")

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise ValueError(f"'{value}' is not an http(s) URL (e.g. http://127.0.0.1:8080/v1)")
        return value

    @model_validator(mode="after")
    def _reachable(self) -> Deployment:
        if self.provider in ("llama-cpp", "hf") and self.weights is None and self.base_url is None:
            raise ValueError(f"provider {self.provider} needs weights or base_url")
        if self.provider == "vllm" and self.weights is None and self.base_url is None:
            raise ValueError("provider vllm needs weights (hf_repo/path) or base_url")
        if self.provider == "openai-compatible" and self.base_url is None:
            raise ValueError("provider openai-compatible needs base_url")
        if self.provider in ("openai", "anthropic") and self.api_model is None:
            raise ValueError(f"provider {self.provider} needs api_model")
        return self

    @property
    def managed(self) -> bool:
        """True when gapbench starts and stops the server itself."""
        return self.provider in ("llama-cpp", "vllm", "hf") and self.base_url is None

    @property
    def key_env(self) -> str | None:
        """The env var holding this deployment's key (provider default when not set)."""
        if self.api_key_env:
            return self.api_key_env
        return {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}.get(self.provider)
