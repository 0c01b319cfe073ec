"""A sweep file (sweeps/*.yaml): which models face which suites, how many times, with what limits."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from harness._loading import load_model


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="the sweep id on every row")
    description: str = ""
    models: list[str] = Field(min_length=1, description="model ids or deployment ids")
    suites: list[str] = Field(min_length=1, description="suite names (`gapbench suites`)")
    epochs: int = Field(default=1, ge=1, description="repeats per sample (pass^k needs k<=epochs)")
    limit: int | None = Field(default=None, ge=1, description="first N samples of each suite")
    smoke: bool = Field(default=False, description="run only each suite's smoke subset")
    samples: list[str] | None = Field(
        default=None,
        description="only these sample ids (in suites that have them; paired suites share ids)",
    )
    concurrency: int | None = Field(
        default=None, ge=1, description="cap on parallel samples per deployment"
    )
    user_simulator: str | None = Field(
        default=None, description="model/deployment playing the user in tau2 (same for all agents)"
    )
    budget_usd: float | None = Field(
        default=None, gt=0, description="stop starting samples past this"
    )
    chunk: int | None = Field(
        default=None,
        ge=1,
        description="older name of write_batch (execution no longer runs in chunks)",
    )
    write_batch: int | None = Field(
        default=None,
        ge=1,
        description="finished samples per atomic store write (default 16, or every 2 s); a crash loses at most one batch",
    )
    shards: int | None = Field(
        default=None,
        ge=1,
        description="worker processes a large run is split over (default: the number of cores)",
    )
    max_error_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="a run with a larger share of errored samples makes the exit code PARTIAL",
    )


def load_sweep(path: Path) -> SweepSpec:
    return load_model(path, SweepSpec)
