"""`gapbench analyze`: print the headline gap tables."""

from __future__ import annotations

import argparse

from harness.cli._common import console, ws

SCORE_VIEW = [
    "model_id",
    "access",
    "suite",
    "suite_version",
    "kind",
    "n_rows",
    "n_scored",
    "n_error",
    "n_limit",
    "score",
    "ci_low",
    "ci_high",
    "null_baseline",
]


def cmd_analyze(args: argparse.Namespace) -> int:
    from harness import api
    from harness.analysis.build import headline

    w = ws(args)
    tables = api.analyze(w, sweep=args.sweep)
    for line in headline(tables):
        console.print(line)
    own = tables.scores[tables.scores["source"] == "own"] if len(tables.scores) else tables.scores
    sections = {
        "scores (own runs)": own[[c for c in SCORE_VIEW if c in own.columns]],
        "understatement test": tables.understatement,
        "horizons": tables.horizons,
        "pass^k": tables.passk,
        "paired ladder": tables.ladder,
        "flags": tables.flags,
    }
    for title, df in sections.items():
        if len(df):
            console.rule(title)
            console.print(
                df.to_string(index=False, max_rows=args.max_rows), markup=False, highlight=False
            )
    console.print(
        f"full tables: `gapbench report` writes them as CSV next to the HTML (showing at most {args.max_rows} rows each here)"
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser("analyze", parents=[common], help="print the headline gap tables")
    a.add_argument("--sweep", help="only rows from this sweep")
    a.add_argument("--max-rows", type=int, default=30, help="rows shown per table (default 30)")
    a.set_defaults(func=cmd_analyze)
