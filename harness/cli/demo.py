"""`gapbench demo`: published history + a real local run + the report, offline."""

from __future__ import annotations

import argparse

from harness.cli._common import console, ws
from harness.cli.run import cmd_run


def cmd_demo(args: argparse.Namespace) -> int:
    """Published history (Epoch AI hub, shipped in data/published) + a real local run + report."""
    from harness import api
    from harness.config import BUNDLED_EPOCH_DUMP

    w = ws(args)
    summary = api.import_results("epoch", BUNDLED_EPOCH_DUMP, ws=w)
    console.print(summary.line())
    args.sweep, args.smoke, args.limit, args.epochs = "demo", False, None, None
    args.dry_run, args.budget, args.report = False, None, None
    code = cmd_run(args)
    from harness.cli.report import ReportProgress

    with ReportProgress(console) as progress:
        path = api.build_report("demo", ws=w, progress=progress)
    console.print(f"report: {path}")
    return code


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    d = sub.add_parser(
        "demo",
        parents=[common],
        help="import the shipped Epoch AI results, run the embedded default (SmolLM2, offline), render reports/demo",
    )
    d.set_defaults(func=cmd_demo)
