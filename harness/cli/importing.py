"""`gapbench import`: results made elsewhere (Epoch AI hub, lm-eval, inspect logs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._common import console, ws


def cmd_import(args: argparse.Namespace) -> int:
    from harness import api

    w = ws(args)
    summary = api.import_results(
        args.source,
        Path(args.path) if args.path else None,
        ws=w,
        access=args.access,
        model_id=args.model,
        release_date=args.release_date,
        kind=args.kind,
    )
    console.print(summary.line())
    for warning in summary.warnings:
        console.print(f"warning: {warning}")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    im = sub.add_parser(
        "import",
        parents=[common],
        help="import results made elsewhere (marked source=imported:<name>)",
    )
    im.add_argument("source", choices=["epoch", "lm-eval", "inspect"])
    im.add_argument(
        "--from",
        dest="path",
        metavar="PATH",
        help="file, folder or zip to import (epoch without --from downloads Epoch's public zip when online)",
    )
    im.add_argument(
        "--access",
        choices=["open", "closed"],
        help="lm-eval/inspect: the model's access (required)",
    )
    im.add_argument(
        "--model", help="lm-eval/inspect: model id to record (default: the name in the log)"
    )
    im.add_argument(
        "--release-date", metavar="YYYY-MM-DD", help="lm-eval/inspect: the model's release date"
    )
    im.add_argument(
        "--kind",
        choices=["standard", "agentic"],
        help="lm-eval/inspect: suite kind (default standard / agentic)",
    )
    im.set_defaults(func=cmd_import)
