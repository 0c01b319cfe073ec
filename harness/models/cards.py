"""A model card: facts about what a model is, independent of how it is served."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from harness._types import Access


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="stable slug used everywhere")
    name: str = Field(description="display name")
    organisation: str
    access: Access = Field(description="open: weights downloadable; closed: API only")
    release_date: date
    parameters: int | None = Field(default=None, description="total parameters, if published")
    licence: str
    source: str = Field(description="URL backing these facts")
    notes: str = ""
