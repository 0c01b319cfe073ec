"""`gapbench nightly SWEEP --refresh-hub [URL]`: bring the published timeline up to date first.

Before planning, the night imports Epoch AI's hub dump from URL (default Epoch's public zip;
a local zip or folder works too) with the same importer as `gapbench import epoch`. Every dump
is kept as a snapshot (harness.store.importers.epoch_snapshots), so each refresh that brings a
new dump adds one point to the answer's history; one already kept changes nothing.

When a new snapshot was kept the night re-renders the report even if the sweep had nothing
new to run ("hub refreshed"). A refresh that fails (offline, an HTTP error, a file that is not
a dump) does not stop the sweep's runs: it is listed as skipped with its one line, and the
night's outcome is "partial" (exit 4), since the refresh that was asked for did not happen.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import GapbenchError

HubOutcome = Literal["new", "unchanged", "failed"]
# Epoch's public zip (= harness.store.importers.epoch.EPOCH_ZIP_URL, which imports pandas;
# this module is read by every `gapbench` start; a test keeps the two equal)
DEFAULT_HUB_URL = "https://epoch.ai/data/benchmark_data.zip"


class HubRefresh(BaseModel):
    """What a night's hub refresh did (in the nightly summary JSON as `hub_refresh`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(description="URL or path the dump was read from")
    outcome: HubOutcome = Field(
        description="new: a snapshot was kept; unchanged: already kept; failed: see message"
    )
    message: str = Field(description="the import's one line, or why it failed")
    snapshot: str | None = Field(default=None, description="id of the snapshot kept tonight")
    dump_version: str | None = None
    data_as_of: date | None = None
    rows_written: int = Field(default=0, description="rows the store's current view changed by")
    snapshots: int = Field(default=0, description="snapshots kept after tonight")

    @property
    def kept(self) -> bool:
        return self.outcome == "new"

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"


def refresh_hub(results_dir: Path, source: str, timeout_s: float = 5.0) -> HubRefresh:
    """Import the Epoch hub dump at `source` into the store at results_dir; never raises for
    an anticipated failure (it is the refresh's outcome)."""
    from harness.store import Store
    from harness.store.importers.epoch import import_epoch
    from harness.store.importers.epoch_snapshots import list_snapshots

    try:
        before = {s.id for s in list_snapshots(results_dir)}
        summary = import_epoch(source, Store(results_dir), timeout_s=timeout_s)
        after = list_snapshots(results_dir)
    except GapbenchError as exc:  # offline, HTTP error, not a dump, a broken snapshot
        return HubRefresh(source=source, outcome="failed", message=f"hub refresh: {exc}")
    new = [s for s in after if s.id not in before]
    snap = new[0] if new else None
    return HubRefresh(
        source=source,
        outcome="new" if snap else "unchanged",
        message=summary.line(),
        snapshot=snap.id if snap else None,
        dump_version=snap.dump_version if snap else None,
        data_as_of=snap.data_as_of if snap else None,
        rows_written=summary.rows_written,
        snapshots=len(after),
    )
