"""The clock nightly decides "tonight" by: injectable, so that tests (and backfills) can say
which night it is without touching the system time.

A night is a UTC calendar date: a scheduler firing at 02:00 UTC and a rerun at 09:00 UTC are
the same night; the canaries of a night run once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """Always the same instant (tests; `gapbench nightly --night DATE`)."""

    at: datetime

    def now(self) -> datetime:
        return self.at if self.at.tzinfo else self.at.replace(tzinfo=UTC)

    @classmethod
    def on(cls, night: date, hour: int = 2) -> FixedClock:
        """02:00 UTC of the given night (when a nightly schedule would fire)."""
        return cls(datetime.combine(night, time(hour), tzinfo=UTC))


def night_of(moment: datetime) -> date:
    """The night (UTC date) a moment belongs to."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()
