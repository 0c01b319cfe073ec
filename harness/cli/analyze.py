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
    "ci_method",
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


# own runs on the published timeline (issue 20): calibration and D per Epoch snapshot
CALIBRATION_VIEW = [
    "benchmark",
    "model_id",
    "published_model",
    "own_score",
    "own_ci_low",
    "own_ci_high",
    "published_score",
    "published_ci_low",
    "published_ci_high",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "verdict",
]
HISTORY_VIEW = ["dump_version", "data_as_of", "d", "ci_low", "ci_high", "status"]

NEXT_VIEW = [
    "rank",
    "model_id",
    "access",
    "benchmark",
    "kind",
    "registry_model",
    "suite",
    "width_gain",
]


def _write_next_sweep(args: argparse.Namespace, w: object, spec: object) -> int:
    from pathlib import Path

    from harness import api
    from harness._files import write_text_atomic

    nxt = api.next_sweep(w, spec, sweep=args.sweep, top=args.next)  # type: ignore[arg-type]
    target = Path(args.next_sweep)
    write_text_atomic(target, nxt.yaml())
    _show(
        "what to evaluate next (ranked by how much each narrows the CI of D(lag))",
        nxt.pairs[NEXT_VIEW],
        args.max_rows,
    )
    runnable = int(nxt.pairs["runnable"].sum()) if len(nxt.pairs) else 0
    console.print(
        f"wrote {target}: {runnable} of {len(nxt.pairs)} ranked evaluations can run here"
        + (f" (run it: gapbench run {target})" if nxt.sweep is not None else ""),
        markup=False,
        highlight=False,
    )
    for line in nxt.cards_to_add:
        console.print(f"add first: {line}", markup=False, highlight=False)
    if nxt.no_suite:
        console.print(
            "no gapbench suite runs: " + ", ".join(nxt.no_suite), markup=False, highlight=False
        )
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from harness import api

    spec = spec_from_args(args)
    if args.next < 1:
        from harness.errors import UserError

        raise UserError(f"--next: must be at least 1 (got {args.next})")
    w = ws(args)
    if args.next_sweep:
        return _write_next_sweep(args, w, spec)
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
        console.rule("specification curves (full benchmark sets; the verdict reads the lag's)")
        by_measure = a.summary.get("by_measure")
        for m, s in (by_measure if isinstance(by_measure, dict) else {}).items():
            if not s.get("n_specs"):
                continue
            console.print(
                f"{m} ({s['unit']}): {s['n_specs']} specifications; D > 0 in "
                f"{s['share_d_positive']:.0%}; CI above 0 in {s['share_ci_above_zero']:.0%}, "
                f"below 0 in {s['share_ci_below_zero']:.0%}",
                markup=False,
                highlight=False,
            )
        console.print(f"verdict: {a.verdict}", markup=False, highlight=False)
        _show("answer: the four measures under this specification", a.understatement, args.max_rows)
        _show(
            "influence: D(lag) with each benchmark left out (largest shift first)",
            a.influence[a.influence["measure"] == "lag_months"],
            args.max_rows,
        )
        _show(
            "what to evaluate next (gapbench analyze --next-sweep FILE writes it as a sweep)",
            a.settle.ranked,
            args.max_rows,
        )
        _show("coverage per benchmark", a.coverage[COVERAGE_VIEW], args.max_rows)
        _show(
            "cross-checks (published rows are cited, not ours)",
            a.crosschecks[
                ["check", "origin", "value", "low", "high", "unit", "window", "n", "n_bounds"]
            ],
            args.max_rows,
        )
        _show(f"substitutes for {args.substitute}", a.substitutes, args.max_rows)
    if not tables.own_effect.empty:  # how much own runs move D, and why
        console.rule("your runs on the published timeline")
        sentence = str(tables.own_effect["sentence"].iloc[0])
        console.print(sentence, markup=False, highlight=False)
    _show(
        "calibration: own vs published scores", tables.calibration[CALIBRATION_VIEW], args.max_rows
    )
    _show("D(lag) per Epoch hub snapshot", tables.history[HISTORY_VIEW], args.max_rows)
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
    a.add_argument(
        "--next-sweep",
        metavar="FILE",
        help="write the missing evaluations that would narrow the CI of D(lag) most as a "
        "sweep file (models mapped to the registry, benchmarks to suites; what cannot run is "
        "named, models as `gapbench models add` commands), then exit",
    )
    a.add_argument(
        "--next",
        type=int,
        default=10,
        metavar="N",
        help="with --next-sweep: how many ranked evaluations to take (default 10)",
    )
    add_spec_arguments(a)
    a.set_defaults(func=cmd_analyze)
