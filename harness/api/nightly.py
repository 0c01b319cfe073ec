"""Nightly sweeps and publishing (what `gapbench nightly` and `gapbench publish` do)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness.api.workspace import Workspace, resolve_sweep_path, workspace
from harness.errors import UserError

if TYPE_CHECKING:
    from harness.nightly import Clock, NightlySummary
    from harness.publish import PublishResult
    from harness.sweep.execute import Reporter


def nightly(
    sweep_ref: str | Path,
    *,
    ws: Workspace | None = None,
    clock: Clock | None = None,
    reporter: Reporter | None = None,
    budget_usd: float | None = None,
    report: str | None = None,
    render: bool = True,
    wait_lock_s: float = 0.0,
    refresh_hub: str | None = None,
) -> NightlySummary:
    """Run tonight's part of a sweep: what is new (new models, suite versions, epochs,
    errored samples) plus the canaries; test the canaries for drift; render the report.

    refresh_hub: first import Epoch AI's hub dump from this URL or path as a new snapshot
    (harness.nightly.refresh); a new snapshot re-renders the report even when nothing else
    ran, and a failed refresh makes the night "partial".

    clock: what "now" is (default the system clock; tests and backfills pass a FixedClock).
    report: the report's name (default: the sweep's name); render=False skips it.
    Returns the NightlySummary; its `exit_code` is what a scheduler should see. "locked" and
    "nothing_new" are outcomes, not errors; bad input raises UserError (exit 2).
    """
    from harness.sweep.spec import load_sweep

    ws = ws or workspace()
    path = resolve_sweep_path(sweep_ref, ws.settings)
    sweep_name = load_sweep(path).name  # a bad sweep file: one line, before the engines load

    from harness.api.analysis import build_report
    from harness.nightly import NightlyContext, run_night

    def render_report(name: str) -> Path:
        return build_report(name, ws=ws, sweep=sweep_name)

    return run_night(
        path,
        NightlyContext(ws.settings, ws.registry, ws.suites),
        clock=clock,
        reporter=reporter,
        budget_usd=budget_usd,
        report_name=report,
        render=render_report if render else None,
        wait_lock_s=wait_lock_s,
        hub_source=refresh_hub,
    )


def publish(
    report: str | Path | None = None,
    *,
    ws: Workspace | None = None,
    to: Path | None = None,
    git_branch: str | None = None,
    git_remote: str | None = None,
    hf_dataset: str | None = None,
    sweep: str | None = None,
    cwd: Path | None = None,
) -> PublishResult:
    """Publish a rendered report (a name under reports/ or a folder) as a static site in a
    folder (`to`) or on a git branch (`git_branch`, pushed to `git_remote` when given), or the
    results as a Hugging Face dataset (`hf_dataset`, online only; token from HF_TOKEN).

    Refused (UserError, one line, exit 2) when the store or the report holds a secret (an API
    key value or a key shape: harness.publish.guard); nothing is published then."""
    from harness.publish import find_report, publish_dir, publish_git, publish_hf
    from harness.publish.guard import refuse_secrets

    ws = ws or workspace()
    targets = [t for t in (to, git_branch, hf_dataset) if t is not None]
    if len(targets) != 1:
        raise UserError("publish: give exactly one of --to, --git-branch, --hf-dataset")
    if git_remote is not None and git_branch is None:
        raise UserError("publish: --git-remote goes with --git-branch")
    keys = [d.key_env for d in ws.registry.deployments if d.key_env]
    if hf_dataset is not None:
        # nothing secret leaves: the store is scanned first (one line, exit 2)
        refuse_secrets(results_dir=ws.settings.results_dir, key_env_names=keys)
        return publish_hf(ws.store, hf_dataset, sweep=sweep)
    if report is None:
        raise UserError("publish: name the report to publish (e.g. gapbench publish demo --to DIR)")
    site = find_report(report, ws.settings.reports_dir)
    refuse_secrets(site=site, results_dir=ws.settings.results_dir, key_env_names=keys)
    if to is not None:
        return publish_dir(site, Path(to))
    assert git_branch is not None
    return publish_git(
        site, git_branch, remote=git_remote, cwd=cwd, message=f"gapbench report {site.name}"
    )
