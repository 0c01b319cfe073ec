"""What every importer shares: the summary it returns and how an imported row is built.

Imported rows are never confusable with own runs: source is "imported:<name>", sweep_id is
"", the run_id is a hash that includes the importer's name, and the deployment is
"imported:<name>" with provider "unknown" (nothing is known about how it was served).
Keys are stable hashes of what identifies a row in its source file, so re-importing the
same file writes nothing new.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, cast

from harness import __version__
from harness._types import Access, DeploymentFacts, Engine, Kind, Provider, SampleRecord, Status
from harness.store.keys import sample_key, stable_hash

AGGREGATE_ID = "__aggregate__"  # sample_id of a row that is a published per-model score


@dataclass(frozen=True)
class ImportSummary:
    name: str  # importer: epoch | lm_eval | inspect
    path: str
    rows_read: int  # candidate rows found in the source
    rows_written: int  # new rows stored
    rows_present: int  # rows whose key was already stored (re-import)
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count), rows not imported
    models: int = 0
    suites: int = 0
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        skipped = sum(n for _, n in self.skipped)
        return (
            f"imported {self.rows_written} new rows from {self.path} ({self.name}): "
            f"{self.rows_present} already stored, {skipped} skipped, "
            f"{self.models} models, {self.suites} suites"
        )


@dataclass
class Collector:
    """Accumulates records and skip reasons while an importer walks its source."""

    name: str
    records: list[SampleRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def summary(self, path: Path | str, written: int) -> ImportSummary:
        return ImportSummary(
            name=self.name,
            path=str(path),
            rows_read=len(self.records) + sum(self.skipped.values()),
            rows_written=written,
            rows_present=len({r.sample_key for r in self.records}) - written,
            skipped=tuple(sorted(self.skipped.items())),
            models=len({r.model_id for r in self.records}),
            suites=len({r.suite for r in self.records}),
            warnings=tuple(self.warnings),
        )


def imported_facts(name: str) -> DeploymentFacts:
    return DeploymentFacts(
        deployment_id=f"imported:{name}", provider=cast(Provider, "unknown"), server=name
    )


def imported_run_id(name: str, identity: dict[str, Any]) -> str:
    return stable_hash({"importer": name, **identity}, length=24)


def imported_record(
    *,
    name: str,
    run_id: str,
    model_id: str,
    access: Access,
    release_date: date | None,
    suite: str,
    suite_version: str,
    kind: Kind,
    task: str,
    sample_id: str,
    epoch: int,
    status: Status,
    engine: str,
    engine_version: str,
    score: float | None = None,
    extra: dict[str, str] | None = None,
    **fields: Any,
) -> SampleRecord:
    return SampleRecord(
        run_id=run_id,
        sample_key=sample_key(run_id, sample_id, epoch),
        sweep_id="",
        model_id=model_id,
        access=access,
        release_date=release_date,
        suite=suite,
        suite_version=suite_version,
        kind=kind,
        task=task,
        sample_id=sample_id,
        epoch=epoch,
        status=status,
        engine=cast(Engine, engine),
        engine_version=engine_version,
        harness_version=__version__,
        facts=imported_facts(name),
        score=score,
        source=f"imported:{name}",
        extra={k: v for k, v in (extra or {}).items() if v not in (None, "")},
        **fields,
    )


def parse_date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def parse_datetime(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
