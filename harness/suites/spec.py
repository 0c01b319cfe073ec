"""A suite: versioned data describing one benchmark, engine-agnostic.

Each suite lives in tasks/<kind or family>/<name>/suite.yaml. Bump `version` whenever the
prompt, the data or the scoring changes: every result row carries it, so results from
different versions are never silently pooled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness._types import Kind, RunEngine


class SuiteLimits(BaseModel):
    """Per-sample limits, identical for every model (open or closed) facing the suite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    max_tokens: int = Field(default=512, ge=1, le=1_000_000, description="per generation")
    message_limit: int | None = Field(
        default=None, ge=1, le=100_000, description="agentic: messages"
    )
    token_limit: int | None = Field(
        default=None, ge=1, le=1_000_000_000, description="agentic: total tokens"
    )
    time_limit_s: float | None = Field(
        default=None, gt=0, le=7 * 86_400, description="wall clock per sample"
    )
    temperature: float = Field(default=0.0, ge=0, le=2)


class HubProtocol(BaseModel):
    """How a suite's protocol differs from the published benchmark it measures (the Epoch AI
    hub's), so that own scores are placed next to published ones knowingly (calibration)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # same: the hub's item set; subset: part of it (e.g. text-only items); different: another
    # item set of the same kind (e.g. real AIME problems for OTIS mock AIME)
    items: Literal["same", "subset", "different"]
    prompt: str = Field(min_length=1, description="prompt and template against the hub's")
    attempts: str = Field(min_length=1, description="samples per item and how they are averaged")
    scorer: str = Field(min_length=1, description="how an answer is judged against the hub's")


class TokenProfile(BaseModel):
    """What one sample of a suite costs in tokens, declared where no stored run measured it
    (`gapbench plan` prefers stored runs). Means over samples, every model call included."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    input_tokens: float = Field(ge=0, le=1e9, description="mean input tokens per sample")
    output_tokens: float = Field(ge=0, le=1e9, description="mean output tokens per sample")
    turns: float | None = Field(
        default=None, ge=1, le=1e6, description="agentic: mean model calls per sample"
    )
    source: str = Field(min_length=1, description="how these numbers were obtained")


class SuiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    version: str = Field(min_length=1)
    kind: Kind
    engine: RunEngine
    description: str
    task: str = Field(description="engine task: inspect task name or lm-eval task name/builder")
    source: str = Field(description="where the data comes from (package, generator, URL)")
    licence: str
    citation: str = ""
    size: int | None = Field(default=None, ge=0, le=100_000_000, description="number of samples")
    smoke: list[str] = Field(default_factory=list, description="sample ids run in CI")
    limits: SuiteLimits = Field(default_factory=SuiteLimits)
    data: str | None = Field(
        default=None,
        description="JSONL file or folder, relative to this folder and inside the tasks folder",
    )
    scorer: str | None = Field(
        default=None, description="standard suites: scorer name (harness.suites.scorers)"
    )
    task_args: dict[str, str | int | float | bool] = Field(default_factory=dict)
    needs_user_simulator: bool = False
    pair: str | None = Field(default=None, description="the same items in the other form")
    prompt_variant: str | None = Field(default=None, description="set when a prompt is adapted")
    requires: list[str] = Field(
        default_factory=list, description="importable modules needed; missing -> suite skipped"
    )
    # Data read from outside the repository and its packages (the user's Hugging Face cache):
    # absent -> the suite is skipped with one line; `size`, smoke and canary ids describe the
    # full data set and are not checked against a local copy, which may hold part of it.
    # (An lm-eval registry task without `data` is external already.)
    external_data: bool = Field(
        default=False,
        exclude=True,  # where data come from is not a result: changing it re-runs nothing
        description="data come from outside the repository (e.g. the HF cache)",
    )
    null_baseline: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="score of a do-nothing agent on this suite, when known",
    )
    # Nightly drift checks rerun these samples (see docs/nightly.md). Excluded from dumps, and
    # so from run keys and run specs: declaring or changing canaries re-runs nothing.
    canary: list[str] = Field(
        default_factory=list,
        exclude=True,
        description="sample ids rerun every night to catch a model changing behind its name",
    )
    # The Epoch AI hub benchmark this suite measures (a suite name in
    # harness/store/importers/epoch_benchmarks.yaml) and how its protocol differs. Excluded
    # from dumps like canaries: documentation for calibration, they change no result.
    hub_benchmark: str | None = Field(
        default=None,
        exclude=True,
        pattern=r"^[a-z0-9][a-z0-9_]*$",
        description="the published (Epoch hub) benchmark this suite measures",
    )
    protocol: HubProtocol | None = Field(
        default=None, exclude=True, description="how the protocol differs from the hub's"
    )
    # For `gapbench plan`'s price estimate only. Excluded from dumps like canary: declaring or
    # correcting a profile changes no run key and needs no version bump.
    token_profile: TokenProfile | None = Field(
        default=None,
        exclude=True,
        description="declared tokens per sample (used when no stored run measured them)",
    )
    # Set by the loader, not read from YAML: the folder holding suite.yaml and its data.
    directory: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _hub_fields_together(self) -> SuiteSpec:
        if (self.hub_benchmark is None) != (self.protocol is None):
            raise ValueError("hub_benchmark and protocol go together: give both or neither")
        return self

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"
