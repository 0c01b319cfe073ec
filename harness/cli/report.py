"""`gapbench report`: render the static HTML gap report from the store."""

from __future__ import annotations

import argparse

from harness.cli._common import console, ws


def cmd_report(args: argparse.Namespace) -> int:
    from harness import api

    w = ws(args)
    path = api.build_report(args.name, ws=w, sweep=args.sweep)
    console.print(f"report: {path}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rep = sub.add_parser(
        "report", parents=[common], help="render the HTML gap report from the store"
    )
    rep.add_argument("--name", default="latest", help="reports/NAME/index.html (default latest)")
    rep.add_argument("--sweep", help="only rows from this sweep")
    rep.set_defaults(func=cmd_report)
