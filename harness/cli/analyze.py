"""`gapbench analyze`: the answer under a specification, and the tables behind it.

The method options (--since ... --ci) are shared with `gapbench report`: `add_spec_arguments`
adds them to a parser and `spec_from_args` turns them into an AnalysisSpec (one line naming
the option and exit 2 on a bad value); both live in the light cli/spec_options.py.
"""

from __future__ import annotations

import argparse
import sys

from harness.cli._common import console, ws
from harness.cli.spec_options import add_spec_arguments, spec_from_args

# Nothing heavy at module level: every gapbench command builds this parser; harness.analysis
# is imported when `analyze` runs (issue 14, fast start).

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


COVERAGE_VIEW = [
    "benchmark",
    "kind",
    "n_closed",
    "n_open",
    "first_closed",
    "first_open",
    "closed_spacing_months",
    "open_spacing_months",
    "counted",
    "bounds",
    "dropped",
    "note",
]


def _show(title: str, df: object, max_rows: int) -> None:
    import pandas as pd

    if isinstance(df, pd.DataFrame) and len(df):
        console.rule(title)
        console.print(df.to_string(index=False, max_rows=max_rows), markup=False, highlight=False)


def cmd_analyze(args: argparse.Namespace) -> int:
    from harness import api

    spec = spec_from_args(args)
    w = ws(args)
    if args.format == "json":
        ans = api.answer(
            w,
            spec,
            sweep=args.sweep,
            substitute=args.substitute,
            suite=args.suite,
            kind=args.kind,
        )
        sys.stdout.write(ans.to_json() + "\n")
        return 0
    from harness.analysis.build import headline

    tables = api.analyze(
        w,
        sweep=args.sweep,
        spec=spec,
        substitute=args.substitute,
        suite=args.suite,
        kind=args.kind,
    )
    for line in headline(tables):
        console.print(line, markup=False, highlight=False)
    a = tables.answer
    if a is not None:
        s = a.summary
        console.rule("specification curve")
        console.print(
            f"{s.get('n_specs', 0)} specifications; D > 0 in {s.get('share_d_positive', 0):.0%}; "
            f"CI excludes 0 in {s.get('share_ci_excludes_zero', 0):.0%} "
            f"(above 0: {s.get('share_ci_above_zero', 0):.0%}, below 0: "
            f"{s.get('share_ci_below_zero', 0):.0%}); verdict: {a.verdict}",
            markup=False,
            highlight=False,
        )
        _show("answer: the four measures under this specification", a.understatement, args.max_rows)
        _show("coverage per benchmark", a.coverage[COVERAGE_VIEW], args.max_rows)
        _show(
            "cross-checks (published rows are cited, not ours)",
            a.crosschecks[["check", "origin", "value", "low", "high", "unit", "window", "n"]],
            args.max_rows,
        )
        _show(f"substitutes for {args.substitute}", a.substitutes, args.max_rows)
    own = tables.scores[tables.scores["source"] == "own"] if len(tables.scores) else tables.scores
    _show("scores (own runs)", own[[c for c in SCORE_VIEW if c in own.columns]], args.max_rows)
    _show("horizons", tables.horizons, args.max_rows)
    _show("pass^k", tables.passk, args.max_rows)
    _show("paired ladder", tables.ladder, args.max_rows)
    _show("flags", tables.flags, args.max_rows)
    console.print(
        "full tables: `gapbench analyze --format json` (the answer) and `gapbench report` (CSV "
        f"next to the HTML); showing at most {args.max_rows} rows each here",
        markup=False,
        highlight=False,
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    a = sub.add_parser(
        "analyze",
        parents=[common],
        help="the answer (verdict, D with CI, sensitivity) and the gap tables",
        description="Does the gap on standard benchmarks understate the gap on agentic ones? "
        "Prints the verdict by the written rule, D = gap(agentic) - gap(standard) under the "
        "chosen method (default: the primary specification of docs/methods.md), the "
        "specification curve's summary, coverage diagnostics and cross-checks.",
    )
    a.add_argument("--sweep", help="only rows from this sweep")
    a.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="table (default) or json: the answer as documented in docs/analysis-json.md",
    )
    a.add_argument(
        "--substitute",
        metavar="MODEL",
        help="a closed model: the best open model at each date, its gap, and when an open "
        "model first matched it",
    )
    a.add_argument("--suite", help="with --substitute: one benchmark only")
    a.add_argument(
        "--kind", choices=("standard", "agentic"), help="with --substitute: one kind only"
    )
    a.add_argument("--max-rows", type=int, default=30, help="rows shown per table (default 30)")
    add_spec_arguments(a)
    a.set_defaults(func=cmd_analyze)
