"""`gapbench run`: plan a sweep (a file, or --model/--suite), print it (--dry-run) or run it."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Literal

from harness import exitcodes
from harness.cli._common import checked, console, epilog, err_console
from harness.cli._sweep_args import Target, add_sweep_arguments, check_target, make_plan
from harness.errors import GapbenchError, UserError

if TYPE_CHECKING:
    from harness.api import Workspace
    from harness.sweep.execute import SweepOutcome


def cmd_run(args: argparse.Namespace) -> int:
    if getattr(args, "address", None) and getattr(args, "executor", None) != "ray":
        raise UserError("--address: only with --executor ray")
    # Every argument problem first (one line, exit 2, nothing written, not even the lock).
    target = check_target(args)
    if getattr(args, "dry_run", False):
        return _run(args, target)
    # The sweep's lock next: a second process on the same sweep and results folder refuses
    # at once (exit 7), before the preflight asks any endpoint; execute() takes it again.
    with _sweep_lock(args, target):
        return _run(args, target)


@contextlib.contextmanager
def _sweep_lock(args: argparse.Namespace, target: Target) -> Iterator[None]:
    from harness.sweep.lock import sweep_lock

    wait = getattr(args, "wait_lock", None) or 0.0
    with sweep_lock(target.ws.settings.results_dir, target.sweep.name, wait):
        yield


def _run(args: argparse.Namespace, target: Target) -> int:
    from harness import api
    from harness.cli.plan import show

    executor: Literal["local", "ray"] = (
        "ray" if getattr(args, "executor", None) == "ray" else "local"
    )
    dry_run = bool(getattr(args, "dry_run", False))
    plan, w = make_plan(args, dry_run=dry_run, target=target)
    warnings = api.plan_warnings(plan)
    if dry_run:
        whole, _ = make_plan(args, dry_run=True, check_endpoints=False)
        show(plan, w, warnings, whole)
        return exitcodes.OK
    from harness.cli.progress import SweepProgress
    from harness.sweep.execute import execute

    for line in warnings:
        err_console.print(f"gapbench: {line}", markup=False, highlight=False, soft_wrap=True)
    if not plan.runs:
        for skip in plan.skipped:  # why, on a normal run too (not only under --dry-run)
            err_console.print(
                f"skipped {skip.what}: {skip.reason}", markup=False, highlight=False, soft_wrap=True
            )
        raise GapbenchError("nothing to run: every model or suite in the sweep was skipped")
    reporter = SweepProgress(console, interval_s=getattr(args, "progress_interval", None))
    try:
        outcome = execute(
            plan,
            w.settings,
            reporter=reporter,
            budget_usd=getattr(args, "budget", None),
            executor=executor,
            address=getattr(args, "address", None),
            workers=getattr(args, "workers", None),
            lock_wait_s=getattr(args, "wait_lock", None) or 0.0,
        )
    finally:
        reporter.stop()
    print_run_end(w, outcome)
    if getattr(args, "report", None):
        from harness.cli.report import ReportProgress

        with ReportProgress(console) as progress:
            path = api.build_report(args.report, ws=w, sweep=plan.sweep.name, progress=progress)
        console.print(f"report: {path}")
    return int(outcome.exit_code)


def print_run_end(w: Workspace, outcome: SweepOutcome) -> None:
    """What a run ends with: the score table of every run in the plan (run now or stored
    before), where the rows are and the money line, then one line per run that is not
    complete, saying why."""
    from harness.api.scoretable import run_end_table
    from harness.cli.score_table import print_score_table

    print_score_table(
        console,
        run_end_table(w.store, outcome),
        title=f"results: sweep {outcome.plan.sweep.name}",
    )
    console.print(
        f"stored in {w.settings.results_dir} | {outcome.money_line()}",
        markup=False,
        highlight=False,
    )
    for line in outcome.summary_lines():
        console.print(line, markup=False, highlight=False)


def _workers(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise UserError(f"workers: must be a whole number (got {raw!r})") from None
    if not 1 <= value <= 1024:
        raise UserError(f"workers: must be 1..1024 (got {raw!r})")
    return value


def _seconds(raw: str) -> float:
    from harness._loading import finite

    try:
        value = finite(float(raw), "wait-lock")
    except ValueError:
        raise UserError(f"wait-lock: must be a number of seconds (got {raw!r})") from None
    if not 0 <= value <= 7 * 86_400:
        raise UserError(f"wait-lock: must be 0..604800 seconds (got {raw!r})")
    return value


def _interval(raw: str) -> float:
    from harness._loading import finite

    try:
        value = finite(float(raw), "progress-interval")
    except ValueError:
        raise UserError(f"progress-interval: must be a number of seconds (got {raw!r})") from None
    if not 1 <= value <= 86_400:
        raise UserError(f"progress-interval: must be 1..86400 seconds (got {raw!r})")
    return value


def add_execution_options(sp: argparse.ArgumentParser) -> None:
    """--executor/--address/--workers/--wait-lock (how a plan is executed; E's executor)."""
    g = sp.add_argument_group("execution")
    g.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="local worker processes (default) or a Ray cluster",
    )
    g.add_argument("--address", metavar="ADDR", help="Ray cluster address (default: start one)")
    g.add_argument(
        "--workers", type=checked(_workers), metavar="N", help="worker processes (default: cores)"
    )
    g.add_argument(
        "--wait-lock",
        type=checked(_seconds),
        metavar="SECONDS",
        help="wait this long for another process running the same sweep (default: exit 7 at once)",
    )
    g.add_argument(
        "--progress-interval",
        type=checked(_interval),
        metavar="SECONDS",
        help="off a terminal (nohup, CI, cron): seconds between progress lines (default 30, or "
        "$GAPBENCH_PROGRESS_INTERVAL)",
    )


RUN_EPILOG = epilog(
    "gapbench run demo --dry-run                      # the plan of sweeps/demo.yaml; spends nothing",
    "gapbench run sweeps/frontier.yaml --budget 20    # resumes: only samples not yet stored run",
    "gapbench run --model smollm2 --suite ladder_standard --limit 10   # a card alias",
    "gapbench run --model gpt-5 --suite tau2_airline --user-simulator gpt-5 --limit 1-20 \\",
    "             --epochs 3 --concurrency 8 --max-error-rate 0.1",
    "gapbench run --model http://127.0.0.1:8080/v1 --api-model my-model --access open \\",
    "             --release-date 2025-04-05 --suite ladder_agentic --limit 6",
    "gapbench run frontier --retry-errors             # errored samples run again",
    "gapbench run frontier --no-cache                 # no stored answer read: all run again",
    notes=(
        "A sample already stored in the results folder never runs again. One missing here\n"
        "that an identical run (same model, deployment, suite, engine) finished elsewhere is\n"
        "copied from the cache (GAPBENCH_CACHE_DIR/rows) instead of run; --no-cache runs it.\n"
        "Every sweep-file field has an option of the same name (--limit, --epochs, --samples,\n"
        "--concurrency, --user-simulator, --shards, --write-batch, --max-error-rate, --budget),\n"
        "checked with the same bounds before anything is read or planned; with a sweep file it\n"
        "overrides the file's value. --dry-run prints the plan and its estimated tokens, cost\n"
        "and wall time, as `gapbench plan` (exit 0): models that would be skipped (an unset API\n"
        "key, an unreachable endpoint) are SKIP lines, a stock llama-cpp-python server used for\n"
        "agentic suites is a WARN line. A run ends with a table of scores (95% Wilson\n"
        "intervals), errors, limits and cost per model and suite. Off a terminal a progress\n"
        "line is printed every 30 s (--progress-interval). A run without a sweep file is\n"
        "recorded as sweep 'quick' (--name to change it)."
    ),
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser(
        "run",
        parents=[common],
        help="run a sweep, or --model/--suite without a file (resumes: only missing samples run)",
        description="Run a sweep file, or models x suites given as options. Resumes: only "
        "samples not yet stored are run.",
        epilog=RUN_EPILOG,
    )
    add_sweep_arguments(r)
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan and its estimated cost (as `gapbench plan`); spends nothing; exit 0",
    )
    r.add_argument("--report", metavar="NAME", help="render reports/NAME after the run")
    add_execution_options(r)
    r.set_defaults(func=cmd_run)
