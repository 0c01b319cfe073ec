"""`gapbench nightly`: what is new in a sweep, plus canaries and drift alerts, for schedulers.

Exit codes (harness/exitcodes.py): OK ran clean, NOTHING_NEW nothing to do, DRIFT a canary
moved or a snapshot name changed, PARTIAL a run ended partial or failed, LOCKED another
process is running the sweep, USAGE bad input. docs/nightly.md has the rest.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from harness import exitcodes
from harness.cli._common import console, err_console, ws
from harness.errors import GapbenchError, UserError
from harness.nightly.refresh import DEFAULT_HUB_URL

if TYPE_CHECKING:
    from harness.nightly import NightlySummary

EPILOG = (
    f"exit codes: {exitcodes.OK} ran clean | {exitcodes.NOTHING_NEW} nothing new | "
    f"{exitcodes.DRIFT} drift alert | {exitcodes.PARTIAL} partial or failed | "
    f"{exitcodes.LOCKED} another process holds the sweep | {exitcodes.USAGE} bad input. "
    "Schedules to copy: schedules/ (cron, systemd, GitHub Actions); see docs/nightly.md."
)


def _usd(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive amount of USD (got {text!r})")
    return value


def _night(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 86_400:
        raise argparse.ArgumentTypeError(f"must be 0..86400 seconds (got {text!r})")
    return value


def _json_path(text: str) -> Path:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder; give a file path")
    return path


NIGHT_FIELD = "{night}"


def _dated(path: Path, night: date) -> Path:
    """--json with "{night}" replaced by the night's date (YYYY-MM-DD)."""
    return Path(str(path).replace(NIGHT_FIELD, night.isoformat()))


def _check_writable(path: Path) -> None:
    """--json must be writable: found out before the night runs, not after it."""
    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.absolute().parent, prefix=".gapbench-probe-"):
            pass
    except OSError as exc:
        raise UserError(f"--json {path}: cannot write there ({exc.strerror or exc})") from None


def _print_summary(summary: NightlySummary) -> None:
    for r in summary.ran:
        kind = "canary" if r.canary else "run"
        tail = f" ({r.message})" if r.message else ""
        console.print(
            f"{kind} {r.model_id} x {r.suite}@{r.suite_version}: {r.why}; "
            f"{r.n_written}/{r.n_todo} stored, {r.status}{tail}",
            markup=False,
            highlight=False,
        )
    hub = summary.hub_refresh
    if hub is not None and not hub.failed:  # a failed refresh is among the skipped
        console.print(f"hub: {hub.message}", markup=False, highlight=False, soft_wrap=True)
    for s in summary.skipped:
        console.print(f"skipped {s.what}: {s.reason}", markup=False, highlight=False)
    for a in summary.drift:
        console.print(f"DRIFT {a.model_id} x {a.suite}: {a.reason}", markup=False, highlight=False)
    sp = summary.spend
    if summary.ran:
        budget = ""
        if sp.budget_usd is not None:  # spend against the budget, as `run` ends
            budget = f" | budget ${sp.budget_usd:.2f}: spent {sp.spent_usd / sp.budget_usd:.0%}"
            if sp.budget_stop:
                budget += "; samples left for the next night (the budget)"
        console.print(
            f"model calls: {sp.upstream_calls} (cache hits {sp.cache_hits}) | "
            f"spent ${sp.spent_usd:.4f} | rows cost ${sp.rows_cost_usd:.4f}{budget}",
            markup=False,
            highlight=False,
        )
    if summary.report:
        console.print(f"report: {summary.report}", markup=False, highlight=False)


def cmd_nightly(args: argparse.Namespace) -> int:
    from harness import api
    from harness.nightly import FixedClock, SystemClock, night_of
    from harness.nightly.summary import NightlySummary

    clock = FixedClock.on(args.night) if args.night else SystemClock()
    # "{night}" in --json names one summary per night (schedules keep every night's).
    json_path = _dated(args.json, night_of(clock.now())) if args.json else None
    if json_path is not None:
        _check_writable(json_path)
    started = datetime.now(UTC)
    try:
        w = ws(args)
        from harness.sweep.spec import load_sweep

        # A bad sweep file is one line at once, before the executor and engines load.
        load_sweep(api.resolve_sweep_path(args.sweep, w.settings))
        from harness.cli.progress import RichReporter

        reporter = RichReporter(console)
        try:
            summary = api.nightly(
                args.sweep,
                ws=w,
                clock=clock,
                reporter=reporter,
                budget_usd=args.budget,
                report=args.report,
                render=not args.no_report,
                wait_lock_s=args.wait_lock,
                refresh_hub=args.refresh_hub,
            )
        finally:
            reporter.stop()
    except GapbenchError as exc:
        if json_path is not None:  # the scheduler reads why, even when nothing could start
            NightlySummary(
                sweep=str(args.sweep),
                night=night_of(clock.now()),
                started_at=started,
                finished_at=datetime.now(UTC),
                outcome="error",
                exit_code=exc.exit_code,
                message=str(exc),
            ).write_json(json_path)
        raise
    if json_path is not None:
        summary.write_json(json_path)
    if summary.outcome == "locked":
        err_console.print(f"gapbench: {summary.message}", markup=False, highlight=False)
        return exitcodes.LOCKED
    _print_summary(summary)
    if summary.ran:  # the sweep's scores, as `run` ends (canaries apart)
        from harness.api.scoretable import score_table
        from harness.cli.score_table import print_score_table

        stored = api.results(ws=w, sweep=summary.sweep)
        title = f"results: sweep {summary.sweep}"
        print_score_table(console, score_table(stored), title=title)
    console.print(summary.message, markup=False, highlight=False)
    return summary.exit_code


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    n = sub.add_parser(
        "nightly",
        parents=[common],
        help="run what is new in a sweep, plus canaries and drift alerts (for schedulers)",
        description=(
            "Incremental and idempotent: runs only what the store lacks (new models, suite "
            "versions, epochs, errored samples), reruns each suite's canary samples for "
            "closed models once a night (and for open models when their deployment changes) "
            "and alerts when a canary moves beyond 2 standard errors of its history or the "
            "API's snapshot name changes. A second run the same night does nothing."
        ),
        epilog=EPILOG,
    )
    n.add_argument("sweep", help="sweep YAML path, or a name in sweeps/ (e.g. demo)")
    n.add_argument(
        "--budget", type=_usd, metavar="USD", help="stop starting samples past this spend"
    )
    report = n.add_mutually_exclusive_group()
    report.add_argument("--report", metavar="NAME", help="report name (default: the sweep's name)")
    report.add_argument("--no-report", action="store_true", help="do not render the report")
    n.add_argument(
        "--json",
        type=_json_path,
        metavar="PATH",
        help="write the summary (what ran, skipped and why, drift alerts, spend, report) as JSON; "
        "'{night}' in PATH is replaced by the night's date (one file per night, e.g. "
        "summaries/nightly-{night}.json)",
    )
    n.add_argument(
        "--night",
        type=_night,
        metavar="YYYY-MM-DD",
        help="the night to run as (UTC date; default today): backfills and tests",
    )
    n.add_argument(
        "--wait-lock",
        type=_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another process running the sweep (default: exit at once)",
    )
    n.add_argument(
        "--refresh-hub",
        nargs="?",
        const=DEFAULT_HUB_URL,
        metavar="URL",
        help="first import Epoch AI's hub dump (default URL: Epoch's public zip; a path works "
        "too) as a new snapshot, and re-render the report when it brought one",
    )
    n.set_defaults(func=cmd_nightly)
