"""`gapbench results`: summarise stored results, or export them."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._common import console, ws


def cmd_results(args: argparse.Namespace) -> int:
    from harness.store import query

    w = ws(args)
    if args.export:
        path = Path(args.export)
        query.export(w.store, path, "csv" if path.suffix == ".csv" else "parquet")
        console.print(f"exported to {path}")
        return 0
    df = query.summary(w.store)
    console.print(df.to_string(index=False) if len(df) else "no results stored yet")
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    res = sub.add_parser(
        "results", parents=[common], help="summarise stored results, or export them"
    )
    res.add_argument(
        "--export", metavar="PATH", help="write all samples to PATH (.csv or .parquet)"
    )
    res.set_defaults(func=cmd_results)
