"""A model card: facts about what a model is, independent of how it is served."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness._types import Access

# The first language models anyone would compare on these suites are from 2018; 2000 leaves room.
EARLIEST_RELEASE = date(2000, 1, 1)


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]*$",
        max_length=100,
        description="stable slug used everywhere",
    )
    name: str = Field(description="display name")
    organisation: str
    access: Access = Field(description="open: weights downloadable; closed: API only")
    release_date: date
    parameters: int | None = Field(
        default=None, ge=1, le=10**15, description="total parameters, if published"
    )
    licence: str
    source: str = Field(description="URL backing these facts")
    notes: str = ""
    # Short names `--model` and sweep files accept (`smollm2`). Not part of what the model
    # IS: left out of run keys (sweep/plan.py), so declaring one re-runs nothing.
    aliases: tuple[
        Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=100)], ...
    ] = Field(default=(), description="other names that resolve to this card")
    # The names this model's scores are published under (Epoch AI hub "Model version"
    # strings, one per reasoning-effort variant: `gpt-5-2025-08-07_medium`), the one matching
    # how its deployments run it first: calibration compares an own score with that
    # variant's published score. Documentation, not what the model IS: excluded from dumps,
    # so from run keys (declaring names re-runs nothing).
    published_names: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] = Field(
        default=(),
        exclude=True,
        description="names of this model in published results (Epoch hub model versions)",
    )

    @field_validator("release_date")
    @classmethod
    def _plausible_date(cls, value: date) -> date:
        # A typo (1025 for 2025, a month and day swapped into next year) must not silently
        # move a model on every time axis.
        latest = date.today() + timedelta(days=366)
        if not EARLIEST_RELEASE <= value <= latest:
            raise ValueError(
                f"{value} is not a plausible release date ({EARLIEST_RELEASE} .. {latest})"
            )
        return value
