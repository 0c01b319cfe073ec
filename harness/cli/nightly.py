"""`gapbench nightly`: plan + run + report, incremental and idempotent (for schedulers)."""

from __future__ import annotations

import argparse

from harness.cli.run import add_sweep_options, cmd_run


def cmd_nightly(args: argparse.Namespace) -> int:
    args.smoke, args.limit, args.epochs, args.dry_run = False, None, None, False
    args.report = args.report or args.sweep
    return cmd_run(args)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    n = sub.add_parser(
        "nightly", parents=[common], help="plan + run + report, incremental and idempotent"
    )
    n.add_argument("sweep")
    add_sweep_options(n)
    n.set_defaults(func=cmd_nightly)
