"""Results: what a run or a store holds, as DataFrames a notebook can use directly."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.api.workspace import Workspace, workspace
from harness.errors import GapbenchError

if TYPE_CHECKING:  # pandas: imported where a frame is made (not at `import harness.api`)
    import pandas as pd

    from harness.store.secret_scan import ScrubSummary, SecretFinding
    from harness.sweep.execute import SweepOutcome
    from harness.sweep.plan import Plan

# One row per run in Results.runs (scores on 0-1; CI: 95% percentile bootstrap over samples).
RUN_COLUMNS = [
    "run_id",
    "model_id",
    "access",
    "deployment_id",
    "suite",
    "suite_version",
    "kind",
    "status",
    "message",
    "n_samples",
    "n_scored",
    "n_error",
    "n_limit",
    "error_rate",
    "score",
    "ci_low",
    "ci_high",
    "null_baseline",
    "score_note",
]


@dataclass(frozen=True)
class Results:
    """What `evaluate`, `run` or `results` return.

    runs: one row per run (model x deployment x suite version) with status, counts, score and
      its 95% CI (RUN_COLUMNS); with fewer than 5 scored samples the score is NaN and
      score_note says why (a CI over 3 samples would mislead).
    samples: one row per (run, sample, epoch), newest attempt (docs/schema.md has every column).
    outcome: the executor's SweepOutcome (None when read from a store without running).
    """

    runs: pd.DataFrame
    samples: pd.DataFrame
    results_dir: Path
    outcome: SweepOutcome | None = None

    @property
    def exit_code(self) -> int:
        """What `gapbench run` would exit with (harness.exitcodes): OK or PARTIAL."""
        if self.outcome is None:
            return 0
        return int(self.outcome.exit_code)

    @property
    def complete(self) -> bool:
        """True when every run completed (no run partial or failed)."""
        return bool((self.runs["status"] == "complete").all()) if len(self.runs) else True

    def score(self, model_id: str, suite: str) -> float:
        """The score (0-1) of one model on one suite (NaN when not computable)."""
        hit = self.runs[(self.runs["model_id"] == model_id) & (self.runs["suite"] == suite)]
        if hit.empty:
            raise KeyError(f"no run of {model_id} on {suite} in these results")
        return float(hit["score"].iloc[-1])

    def __repr__(self) -> str:
        cols = ["model_id", "suite", "status", "n_samples", "score", "ci_low", "ci_high"]
        body = self.runs[cols].to_string(index=False) if len(self.runs) else "(no runs)"
        return f"Results({len(self.samples)} sample rows in {self.results_dir})\n{body}"


def run_table(
    samples: pd.DataFrame,
    statuses: dict[str, tuple[str, str | None]] | None = None,
    null_baselines: dict[str, float] | None = None,
) -> pd.DataFrame:
    """RUN_COLUMNS from sample rows; statuses: run_id -> (status, message) when known."""
    import pandas as pd

    from harness.analysis import model_scores

    statuses = statuses or {}
    rows = []
    if len(samples):
        for run_id, group in samples.groupby("run_id", sort=False):
            scores = model_scores(group, null_baselines=null_baselines)
            s = scores.iloc[0]
            status, message = statuses.get(str(run_id), ("stored", None))
            dep = group["deployment_id"].iloc[0] if "deployment_id" in group else None
            rows.append(
                {
                    "run_id": run_id,
                    "model_id": s["model_id"],
                    "access": s["access"],
                    "deployment_id": dep,
                    "suite": s["suite"],
                    "suite_version": s["suite_version"],
                    "kind": s["kind"],
                    "status": status,
                    "message": message,
                    "n_samples": int(group["sample_id"].nunique()),
                    "n_scored": int(s["n_scored"]),
                    "n_error": int(s["n_error"]),
                    "n_limit": int(s["n_limit"]),
                    "error_rate": s["error_rate"],
                    "score": s["score"],
                    "ci_low": s["ci_low"],
                    "ci_high": s["ci_high"],
                    "null_baseline": s["null_baseline"],
                    # why score is NaN, e.g. "3 scored samples (< 5)"; "" when it is a number
                    "score_note": s["reason"],
                }
            )
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


def _null_baselines(ws: Workspace) -> dict[str, float]:
    return {s.name: s.null_baseline for s in ws.suites.suites if s.null_baseline is not None}


def _stored_statuses(ws: Workspace, run_ids: Iterable[str]) -> dict[str, tuple[str, str | None]]:
    import pandas as pd

    wanted = set(run_ids)
    try:
        runs = ws.store.runs()
    except GapbenchError:  # an unreadable runs table must not hide the samples
        return {}
    out: dict[str, tuple[str, str | None]] = {}
    for rec in runs[runs["run_id"].isin(wanted)].to_dict("records"):
        msg = rec.get("message")
        out[str(rec["run_id"])] = (str(rec["status"]), None if pd.isna(msg) else str(msg))
    return out


def _without_canaries(df: pd.DataFrame) -> pd.DataFrame:
    """Sample rows that are results: nightly canary rows (drift checks) left out."""
    if not len(df) or "canary" not in df:
        return df
    return df[~df["canary"].fillna(False).astype(bool)].reset_index(drop=True)


def results_of_plan(
    ws: Workspace, plan: Plan, outcome: SweepOutcome | None, *, include_canaries: bool = False
) -> Results:
    """The stored rows of every sample the plan covers (run now or stored before); a
    nightly plan's canary runs only when include_canaries."""
    import pandas as pd

    keys: set[str] = set()
    for run in plan.runs:
        if include_canaries or not run.canary:
            keys.update(run.keys)
    # read only the plan's suite partitions, then its exact sample keys
    suites = sorted({run.suite.name for run in plan.runs})
    frames = [ws.store.samples(suite=name) for name in suites]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(df):
        df = df[df["sample_key"].isin(keys)].reset_index(drop=True)
    if not include_canaries:
        df = _without_canaries(df)
    statuses = _stored_statuses(ws, (r.run_id for r in plan.runs))
    if outcome is not None:
        for r in outcome.runs:
            statuses[r.run.run_id] = (r.status, r.message)
    return Results(
        runs=run_table(df, statuses, _null_baselines(ws)),
        samples=df,
        results_dir=ws.settings.results_dir,
        outcome=outcome,
    )


def results(
    *,
    results_dir: str | Path | None = None,
    sweep: str | None = None,
    model: str | None = None,
    suite: str | None = None,
    ws: Workspace | None = None,
    include_canaries: bool = False,
) -> Results:
    """Open stored results (own runs; imported rows are left to `analyze`).

    results_dir: the store to read (default: the workspace's, ./results); sweep, model,
    suite: keep only those rows. include_canaries: keep nightly canary rows (drift checks,
    not results; left out by default, so `score()` is the sweep's own).
    """
    ws = ws or workspace(results_dir=results_dir)
    df = ws.store.samples(sweep_id=sweep, model_id=model, suite=suite)
    if len(df) and "source" in df:
        df = df[df["source"] == "own"].reset_index(drop=True)
    if not include_canaries:
        df = _without_canaries(df)
    statuses = _stored_statuses(ws, df["run_id"].unique() if len(df) else [])
    return Results(
        runs=run_table(df, statuses, _null_baselines(ws)),
        samples=df,
        results_dir=ws.settings.results_dir,
    )


def scan_secrets(
    *, results_dir: str | Path | None = None, ws: Workspace | None = None
) -> list[SecretFinding]:
    """Every API key (a value a deployment's key variable holds, or a key shape) left in the
    store: table cells, raw engine logs, ledgers; each finding names the file, the column or
    archive member and the kind, never the value. [] when clean (`results --check`)."""
    from harness.store.secret_scan import scan_store

    ws = ws or workspace(results_dir=results_dir)
    return scan_store(ws.settings.results_dir, _secret_values(ws))


def scrub_secrets(
    *, results_dir: str | Path | None = None, ws: Workspace | None = None
) -> ScrubSummary:
    """Mask every secret `scan_secrets` finds, in place (each file rewritten atomically,
    everything else kept); what changed. UserError while a sweep runs on the folder
    (`results --scrub`)."""
    from harness.store.secret_scan import scrub_store

    ws = ws or workspace(results_dir=results_dir)
    return scrub_store(ws.settings.results_dir, _secret_values(ws))


def _secret_values(ws: Workspace) -> tuple[str, ...]:
    from harness.secrets import secret_values

    return secret_values(d.key_env for d in ws.registry.deployments if d.key_env)
