"""`gapbench results`: summarise stored results, export them, check, scrub or migrate the store."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import get_args

from harness._text import visible
from harness.cli._common import console, err_console, ws
from harness.exitcodes import FAILURE, OK

# A store may come from someone else: its names and paths are shown with control and
# invisible characters as \uXXXX (an escape sequence in a model id must not drive the
# terminal: set its title, clear it, write the clipboard).


def cmd_results(args: argparse.Namespace) -> int:
    from harness import api
    from harness.store import query

    w = ws(args)
    store = w.store
    if args.migrate:
        console.print(store.migrate().line())
        return OK
    if args.scrub:
        console.print(api.scrub_secrets(ws=w).line(store.root), markup=False, highlight=False)
        return OK
    if args.check:
        problems = store.check()
        for line in problems:
            console.print(visible(line), markup=False, highlight=False, soft_wrap=True)
        secrets = api.scan_secrets(ws=w)
        for finding in secrets:
            console.print(
                visible(f"secret: {finding}"), markup=False, highlight=False, soft_wrap=True
            )
        if problems:
            err_console.print(f"{len(problems)} problem files in {store.root} (reads skip them)")
        if secrets:
            err_console.print(
                f"{len(secrets)} secrets in {store.root}: `gapbench results --scrub` masks them"
            )
        if problems or secrets:
            return FAILURE
        console.print(f"{store.root}: every store file is readable; no secrets found")
        return OK
    if args.export:
        path = Path(args.export)
        query.format_of(path)  # a bad extension fails before anything is read
        n = query.export(store, path, table=args.table, include_canaries=args.include_canaries)
        console.print(f"exported {n} {args.table} rows to {path}")
        return OK
    df = query.summary(store, include_canaries=args.include_canaries)
    if not len(df):
        console.print("no results stored yet")
        return OK
    shown = df.rename(columns=lambda c: visible(str(c)))
    for col in shown.columns:
        shown[col] = shown[col].map(lambda v: visible(v) if isinstance(v, str) else v)
    console.print(shown.to_string(index=False), markup=False, highlight=False)
    return OK


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from harness.store.query import ExportTable

    res = sub.add_parser(
        "results",
        parents=[common],
        help="summarise stored results, export them, check, scrub or migrate the store",
        description=(
            "Without options: one line per (sweep, model, suite, source) with counts by "
            "status, mean score and cost. Reads keep the newest attempt of each sample; "
            "nightly canary rows are left out (--include-canaries keeps them)."
        ),
    )
    what = res.add_mutually_exclusive_group()
    what.add_argument(
        "--export",
        metavar="PATH",
        help="write a table (newest attempt per sample) to PATH; the format comes from the "
        "extension: .csv, .parquet, .json (an array) or .jsonl (one object per line)",
    )
    what.add_argument(
        "--check",
        action="store_true",
        help="list store files that reads skip (corrupt, truncated, foreign, newer version) "
        "or that raw readers would trip on, and every API key left in the store (file, "
        "column or member, kind; never the value); exit 1 when there are any; changes nothing",
    )
    what.add_argument(
        "--scrub",
        action="store_true",
        help="mask every API key --check finds, in place (each file rewritten atomically, "
        "everything else kept); says how many cells and files changed",
    )
    what.add_argument(
        "--migrate",
        action="store_true",
        help="rewrite a store written by an older gapbench in the current schema and layout "
        "(the first write does it too)",
    )
    res.add_argument(
        "--table",
        choices=list(get_args(ExportTable)),
        default="samples",
        help="with --export: which table (default samples)",
    )
    res.add_argument(
        "--include-canaries",
        action="store_true",
        help="keep nightly canary rows and runs (drift checks, not results) in the summary "
        "and exports; left out by default",
    )
    res.set_defaults(func=cmd_results)
