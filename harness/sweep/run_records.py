"""A run's record (RunRecord: one row per attempt update) and the counts it carries.

The executor writes one when a run starts ("running"), when it ends (complete, partial,
failed, interrupted), and when the rows cache served a run whole (sweep/rows_cache.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc

from harness import __version__
from harness._types import RunRecord, RunStatus, SampleRecord, StatusRule
from harness.config import Settings
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.units import run_raw_dir


@dataclass(frozen=True)
class Tally:
    """The counts a run record carries, of the rows this command stored for the run."""

    n_scored: int = 0
    n_error: int = 0
    n_limit: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None

    def __add__(self, other: Tally) -> Tally:
        costs = [c for c in (self.cost_usd, other.cost_usd) if c is not None]
        return Tally(
            n_scored=self.n_scored + other.n_scored,
            n_error=self.n_error + other.n_error,
            n_limit=self.n_limit + other.n_limit,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=sum(costs) if costs else None,
        )

    @classmethod
    def of_records(cls, rows: list[SampleRecord]) -> Tally:
        costs = [r.cost_usd for r in rows if r.cost_usd is not None]
        return cls(
            n_scored=sum(r.status == "scored" for r in rows),
            n_error=sum(r.status == "error" for r in rows),
            n_limit=sum(r.status == "limit" for r in rows),
            input_tokens=sum(r.input_tokens or 0 for r in rows),
            output_tokens=sum(r.output_tokens or 0 for r in rows),
            cost_usd=sum(costs) if costs else None,
        )

    @classmethod
    def of_table(cls, tbl: pa.Table) -> Tally:
        statuses = tbl.column("status").to_pylist()
        costs = [c for c in tbl.column("cost_usd").to_pylist() if c is not None]
        return cls(
            n_scored=statuses.count("scored"),
            n_error=statuses.count("error"),
            n_limit=statuses.count("limit"),
            input_tokens=int(pc.sum(tbl.column("input_tokens")).as_py() or 0),
            output_tokens=int(pc.sum(tbl.column("output_tokens")).as_py() or 0),
            cost_usd=sum(costs) if costs else None,
        )


def raw_path(settings: Settings, plan: Plan, run: PlannedRun) -> str | None:
    """The run's raw folder relative to the results folder (RunRecord.raw_path)."""
    folder = run_raw_dir(settings.raw_dir, plan.sweep.name, run)
    try:
        return folder.relative_to(settings.results_dir).as_posix()
    except ValueError:  # a raw folder outside the results folder: not linkable from it
        return None


def run_record(
    run: PlannedRun,
    plan: Plan,
    attempt: str,
    started: datetime,
    status: RunStatus,
    rows: list[SampleRecord] | Tally,
    message: str | None = None,
    finished: datetime | None = None,
    raw_path: str | None = None,
    rule: StatusRule | None = None,
) -> RunRecord:
    spec = {
        "sweep": plan.sweep.name,
        "model": run.card.id,
        "deployment": run.deployment.model_dump(mode="json", exclude={"api_key_env"}),
        "suite": run.suite.model_dump(mode="json"),
        "epochs": run.epochs,
        "sample_ids": list(run.sample_ids),
        "user_simulator": plan.user_simulator[1].id if plan.user_simulator else None,
        "retry_errors": plan.retry_errors,
    }
    tally = rows if isinstance(rows, Tally) else Tally.of_records(rows)
    return RunRecord(
        run_id=run.run_id,
        attempt_id=attempt,
        sweep_id=plan.sweep.name,
        model_id=run.card.id,
        deployment_id=run.deployment.id,
        suite=run.suite.name,
        suite_version=run.suite.version,
        engine=run.suite.engine,
        engine_version=run.engine_version,
        spec_json=json.dumps(spec, sort_keys=True, default=str),
        status=status,
        message=message,
        n_planned=run.n_planned,
        n_scored=tally.n_scored,
        n_error=tally.n_error,
        n_limit=tally.n_limit,
        input_tokens=tally.input_tokens,
        output_tokens=tally.output_tokens,
        cost_usd=tally.cost_usd,
        started_at=started,
        finished_at=finished,
        harness_version=__version__,
        raw_path=raw_path,
        canary=run.canary,
        status_rule=rule,
    )
