"""The nightly summary: what ran, what was skipped and why, drift alerts, spend, the report.

Written as JSON (`gapbench nightly --json PATH`) for schedulers; its `exit_code` is the
process's exit code, so a scheduler may read either. The format is versioned (`format`).

Outcomes and exit codes (harness/exitcodes.py), first match wins:
    locked       another process holds this sweep on this results folder: nothing ran  LOCKED
    error        bad input or an anticipated failure before anything ran               USAGE/FAILURE
    drift        a canary moved beyond 2 SE of its history, or the snapshot changed     DRIFT
    partial      something ran, and a run ended partial or failed                       PARTIAL
    ok           something ran, and everything completed                                OK
    nothing_new  the plan was empty: every run up to date, tonight's canaries done      NOTHING_NEW
Drift wins over partial because a drift alert needs a person and is raised once (the night
the canary moved), while partial runs are retried by the next night anyway; the summary
still lists every run's status.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from harness import exitcodes
from harness._files import write_text_atomic
from harness.nightly.refresh import HubRefresh

FORMAT: Literal["gapbench-nightly/1"] = "gapbench-nightly/1"

Outcome = Literal["nothing_new", "ok", "drift", "partial", "locked", "error"]

EXIT_CODES: dict[Outcome, int] = {
    "nothing_new": exitcodes.NOTHING_NEW,
    "ok": exitcodes.OK,
    "drift": exitcodes.DRIFT,
    "partial": exitcodes.PARTIAL,
    "locked": exitcodes.LOCKED,
    "error": exitcodes.FAILURE,
}


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RanRun(_Frozen):
    """One run that had work tonight."""

    model_id: str
    deployment_id: str
    suite: str
    suite_version: str
    run_id: str
    canary: bool
    why: str = Field(description="why it ran: new model, new suite version, canary, ...")
    n_todo: int = Field(description="(sample, epoch) pairs planned tonight")
    n_retry: int = Field(default=0, description="of n_todo: errored samples run again")
    n_written: int = Field(default=0, description="rows stored tonight")
    status: str = Field(description="complete | partial | failed | interrupted")
    message: str | None = None
    cost_usd: float | None = Field(default=None, description="cost of the rows written")


class SkippedItem(_Frozen):
    what: str = Field(description="'model', 'model x suite' or 'model x suite (canary)'")
    reason: str


class DriftAlert(_Frozen):
    model_id: str
    deployment_id: str
    suite: str
    suite_version: str
    run_id: str = Field(description="tonight's canary run")
    kind: str = Field(description="score | snapshot | score+snapshot")
    reason: str
    score: float | None = None
    baseline: float | None = None
    threshold: float | None = None
    snapshot: str = ""


class Spend(_Frozen):
    spent_usd: float = Field(default=0.0, description="API money spent tonight (ledger)")
    rows_cost_usd: float = Field(
        default=0.0, description="priced cost of the rows written (local $/hour included)"
    )
    upstream_calls: int = 0
    cache_hits: int = 0
    budget_usd: float | None = Field(default=None, description="the night's spending limit")
    budget_stop: str | None = Field(
        default=None, description="why the budget left samples for a later night, if it did"
    )


class NightlySummary(_Frozen):
    format: Literal["gapbench-nightly/1"] = FORMAT
    sweep: str
    night: date
    started_at: datetime
    finished_at: datetime
    outcome: Outcome
    exit_code: int
    message: str = Field(description="the one line the command printed last")
    ran: list[RanRun] = Field(default_factory=list)
    skipped: list[SkippedItem] = Field(default_factory=list)
    drift: list[DriftAlert] = Field(default_factory=list)
    spend: Spend = Field(default_factory=Spend)
    report: str | None = Field(default=None, description="index.html rendered tonight")
    results_dir: str = ""
    hub_refresh: HubRefresh | None = Field(
        default=None, description="--refresh-hub: the Epoch hub import tonight (refresh.py)"
    )

    def write_json(self, path: Path) -> Path:
        """Write atomically (a scheduler polling the file never reads half of it)."""
        return write_text_atomic(Path(path), self.model_dump_json(indent=2) + "\n")


def outcome_of(*, ran_anything: bool, any_drift: bool, all_complete: bool) -> Outcome:
    if any_drift:
        return "drift"
    if not ran_anything:
        return "nothing_new"
    return "ok" if all_complete else "partial"
