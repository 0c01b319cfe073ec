"""A sweep (sweeps/*.yaml, or built in code): which models face which suites, how many times,
with what limits.

    SweepSpec(name="frontier", models=["smollm2-135m-instruct", "gpt-5"],
              suites=["ladder_standard", "ladder_agentic"], epochs=3, limit=50)

Every bound on a number is declared here once; the CLI and the API check their arguments
against these same fields (`SweepSpec.check`), so `--epochs 0`, `epochs=0` and `epochs: 0` in a
file are refused alike, with one line naming the option or field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness._loading import check_value, load_model, validation_to_config_error
from harness.errors import UserError

MAX_SAMPLES = 10_000_000
MAX_EPOCHS = 1000
SampleCount = Annotated[int, Field(ge=1, le=MAX_SAMPLES)]
_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
T = TypeVar("T")


class SweepSpec(BaseModel):
    """A sweep: models x suites x epochs, with limits. Build it in code or load a YAML file."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=100, description="the sweep id on every row"
    )
    description: str = ""
    models: list[str] = Field(min_length=1, description="model ids or deployment ids")
    suites: list[str] = Field(min_length=1, description="suite names (`gapbench suites`)")
    epochs: int = Field(
        default=1, ge=1, le=MAX_EPOCHS, description="repeats per sample (pass^k needs k<=epochs)"
    )
    limit: SampleCount | tuple[SampleCount, SampleCount] | None = Field(
        default=None,
        description="first N samples of each suite, or samples A to B (1-based, inclusive: '11-20')",
    )
    smoke: bool = Field(default=False, description="run only each suite's smoke subset")
    samples: list[str] | None = Field(
        default=None,
        description="only these sample ids (in suites that have them; paired suites share ids)",
    )
    concurrency: int | None = Field(
        default=None, ge=1, le=1024, description="cap on parallel samples per deployment"
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
        le=MAX_SAMPLES,
        description="older name of write_batch (execution no longer runs in chunks)",
    )
    write_batch: int | None = Field(
        default=None,
        ge=1,
        le=MAX_SAMPLES,
        description="finished samples per atomic store write (default 16, or every 2 s); a crash loses at most one batch",
    )
    shards: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="worker processes a large run is split over (default: the number of cores)",
    )
    max_error_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="a run with a larger share of errored samples makes the exit code PARTIAL",
    )

    @field_validator("limit", mode="before")
    @classmethod
    def _parse_range(cls, value: Any) -> Any:
        """'20' -> 20; '11-20' -> (11, 20) (as inspect's --limit); bools are not numbers."""
        if isinstance(value, bool):
            raise ValueError("must be a whole number N or a range A-B")
        if isinstance(value, str):
            text = value.strip()
            if text.isdigit():
                return int(text)
            match = _RANGE.match(text)
            if not match:
                raise ValueError("must be a whole number N or a range A-B")
            return (int(match.group(1)), int(match.group(2)))
        return value

    @field_validator("limit")
    @classmethod
    def _ordered_range(cls, value: int | tuple[int, int] | None) -> int | tuple[int, int] | None:
        if isinstance(value, tuple) and value[0] > value[1]:
            raise ValueError(f"range {value[0]}-{value[1]} is empty (A must be <= B)")
        return value

    def apply_limit(self, ids: Sequence[T]) -> list[T]:
        """The samples `limit` selects from `ids` (all of them without a limit)."""
        if self.limit is None:
            return list(ids)
        if isinstance(self.limit, tuple):
            first, last = self.limit
            return list(ids[first - 1 : last])
        return list(ids[: self.limit])

    @classmethod
    def check(cls, field: str, value: Any) -> Any:
        """Validate one value for `field` (a CLI option, an API argument) with this model's
        own bounds; returns the parsed value or raises UserError naming the field."""
        return check_value(cls, _CHECK_BASE, field, value)

    def with_options(self, **updates: Any) -> SweepSpec:
        """A validated copy with some fields replaced (None values are ignored)."""
        updates = {k: v for k, v in updates.items() if v is not None}
        if not updates:
            return self
        try:
            return SweepSpec.model_validate({**self.model_dump(), **updates})
        except ValidationError as exc:
            err = validation_to_config_error("sweep", exc)
            raise UserError(f"{err.field}: {err.problem}") from None


_CHECK_BASE = {"name": "check", "models": ["m"], "suites": ["s"]}


def load_sweep(path: Path) -> SweepSpec:
    """The sweep in a YAML file; any problem is one ConfigError naming the file and field."""
    return load_model(path, SweepSpec)
