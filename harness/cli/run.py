"""`gapbench run`: plan a sweep, print it (--dry-run) or execute it."""

from __future__ import annotations

import argparse

from rich.table import Table

from harness.cli._common import console, ws
from harness.errors import GapbenchError


def print_plan(plan) -> None:
    table = Table(title=f"plan: sweep {plan.sweep.name}")
    for col in ("model", "deployment", "suite", "samples", "epochs", "stored", "to run"):
        table.add_column(col)
    for r in plan.runs:
        table.add_row(
            r.card.id,
            r.deployment.id,
            r.suite.label,
            str(len(r.sample_ids)),
            str(r.epochs),
            str(r.n_done),
            str(len(r.todo)),
        )
    console.print(table)
    for s in plan.skipped:
        console.print(f"skipped {s.what}: {s.reason}")


def cmd_run(args: argparse.Namespace) -> int:
    from harness import api

    w = ws(args)
    plan = api.plan(
        args.sweep, ws=w, smoke=True if args.smoke else None, limit=args.limit, epochs=args.epochs
    )
    from harness.cli.progress import RichReporter
    from harness.sweep.execute import execute

    if args.dry_run:
        print_plan(plan)
        return 0
    if not plan.runs:
        raise GapbenchError("nothing to run: every model or suite in the sweep was skipped")
    reporter = RichReporter(console)
    try:
        outcome = execute(plan, w.settings, reporter=reporter, budget_usd=args.budget)
    finally:
        reporter.stop()
    console.print(
        f"stored in {w.settings.results_dir} | model calls: {outcome.upstream_calls} "
        f"(cache hits {outcome.cache_hits}) | cost ${outcome.cost_usd:.4f}"
    )
    if args.report:
        path = api.build_report(args.report, ws=w, sweep=plan.sweep.name)
        console.print(f"report: {path}")
    return 0 if outcome.complete else 1


def add_sweep_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--budget", type=float, metavar="USD", help="stop starting samples past this spend"
    )
    sp.add_argument("--report", metavar="NAME", help="render reports/NAME after the run")


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser(
        "run", parents=[common], help="run a sweep (resumes: only samples not yet stored are run)"
    )
    r.add_argument("sweep", help="sweep YAML path, or a name in sweeps/ (e.g. demo)")
    r.add_argument("--smoke", action="store_true", help="only each suite's smoke subset")
    r.add_argument("--limit", type=int, metavar="N", help="first N samples per suite")
    r.add_argument("--epochs", type=int, metavar="K", help="override the sweep's epochs")
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (what runs, what is skipped); spend nothing",
    )
    add_sweep_options(r)
    r.set_defaults(func=cmd_run)
