"""What every importer shares: the summary it returns, the model facts it is given, and how
an imported row is built.

Imported rows are never confusable with own runs: source is "imported:<name>", sweep_id is
"", the run_id is a hash that includes the importer's name, and the deployment is
"imported:<name>" with provider "unknown" (nothing is known about how it was served).
Keys are stable hashes of what identifies a row in its SOURCE (the file's own ids and model
name, never the facts the user gives), so re-importing the same file writes nothing new, and
re-importing it with corrected facts and `replace=True` writes each row's next attempt,
which wins in reads (the old rows stay as history).

Model facts (access, release date, organisation) come from a `FactsOf` function: the API
layer gives one that reads the model card when the model is in the registry and refuses a
contradiction (harness.api.imports); `given_facts` uses what the caller said.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from harness import __version__
from harness._types import (
    Access,
    DeploymentFacts,
    Engine,
    Kind,
    Provider,
    SampleRecord,
    Status,
)
from harness.errors import UserError
from harness.store.keys import sample_key, stable_hash

if TYPE_CHECKING:
    from harness.store.store import Store

AGGREGATE_ID = "__aggregate__"  # sample_id of a row that is a published per-model score


@dataclass(frozen=True)
class ImportSummary:
    name: str  # importer: epoch | lm_eval | inspect
    path: str
    rows_read: int  # candidate rows found in the source
    rows_written: int  # rows stored (new keys, plus replacements with replace=True)
    rows_present: int  # rows whose key was already stored and not written again
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count), rows not imported
    models: int = 0
    suites: int = 0
    warnings: tuple[str, ...] = ()
    rows_replaced: int = 0  # of rows_written, keys that were stored before (replace=True)
    rows_withdrawn: int = 0  # of rows_written, rows a newer dump no longer holds (epoch)
    note: str = ""  # what the import did beyond rows (epoch: the snapshot kept, or why not)

    def line(self) -> str:
        skipped = sum(n for _, n in self.skipped)
        reasons = "; ".join(f"{n} {reason}" for reason, n in self.skipped)
        new = self.rows_written - self.rows_replaced
        replaced = f", {self.rows_replaced} replaced" if self.rows_replaced else ""
        # withdrawn rows replace stored keys: they are among the replaced
        withdrawn = f" ({self.rows_withdrawn} withdrawn)" if self.rows_withdrawn else ""
        return (
            f"imported {new} new rows{replaced}{withdrawn} from {self.path} ({self.name}): "
            f"{self.rows_present} already stored, {skipped} skipped"
            f"{f' ({reasons})' if reasons else ''}, {self.models} models, {self.suites} suites"
            f"{f'; {self.note}' if self.note else ''}"
        )


@dataclass
class Collector:
    """Accumulates records and skip reasons while an importer walks its source."""

    name: str
    records: list[SampleRecord] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    filters: set[str] = field(default_factory=set)  # lm-eval: every filter seen

    def skip(self, reason: str) -> None:
        self.skipped[reason] += 1

    def summary(self, path: Path | str, written: int, replaced: int = 0) -> ImportSummary:
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
            rows_replaced=replaced,
        )


def store_collected(out: Collector, path: Path | str, store: Store, replace: bool) -> ImportSummary:
    """Append what an importer collected, as one atomic batch (all of it or nothing).
    replace=True: every row is written again as its key's next attempt."""
    replaced = 0
    if replace and out.records:
        stored = store.sample_status(sorted({r.run_id for r in out.records}))
        replaced = len({r.sample_key for r in out.records} & stored.keys())
    written = store.append_samples(out.records, replace="all" if replace else "none")
    return out.summary(path, written, replaced)


@dataclass(frozen=True)
class ModelFacts:
    """What an import records about a model (its card, or what the user said)."""

    access: Access
    release_date: date | None = None
    organisation: str | None = None
    from_card: bool = False  # True: read from the registry's model card


FactsOf = Callable[[str], ModelFacts]  # model id -> its facts (raises UserError, one line)


def release_date_of(value: str | date | None, what: str = "--release-date") -> date | None:
    """A release date from the user: YYYY-MM-DD or nothing; anything else is refused."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise UserError(f"{what}: '{value}' is not a valid date (YYYY-MM-DD)") from None


def given_facts(
    access: Access | None, release_date: str | date | None = None, organisation: str | None = None
) -> FactsOf:
    """Facts the caller gave, the same for every model of the import."""
    if access is None:
        raise UserError("--access open|closed is required (the log does not say)")
    if access not in ("open", "closed"):
        raise UserError(f"--access: '{access}' is not open or closed")
    facts = ModelFacts(access, release_date_of(release_date), organisation)
    return lambda _model_id: facts


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
