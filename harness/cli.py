"""gapbench command line: a thin layer over harness.api (one function per command)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.table import Table

from harness import __version__
from harness.errors import GapbenchError

# Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns; give them room.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _ws(args: argparse.Namespace):
    from harness import api
    from harness.config import load_settings

    settings = load_settings()
    if getattr(args, "results_dir", None):
        settings = replace(settings, results_dir=Path(args.results_dir))
    if getattr(args, "reports_dir", None):
        settings = replace(settings, reports_dir=Path(args.reports_dir))
    return api.workspace(settings)


def cmd_models(args: argparse.Namespace) -> int:
    ws = _ws(args)
    table = Table(title=f"models ({ws.registry.path})")
    for col in ("id", "name", "organisation", "access", "released", "params", "deployments"):
        table.add_column(col)
    for card in ws.registry.cards:
        deps = ", ".join(d.id.split("@", 1)[-1] for d in ws.registry.deployments_of(card.id))
        params = f"{card.parameters / 1e9:.3g}B" if card.parameters else "?"
        table.add_row(
            card.id, card.name, card.organisation, card.access, str(card.release_date), params, deps
        )
    console.print(table)
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    from harness.runners import get_runner

    ws = _ws(args)
    table = Table(title=f"suites ({ws.suites.tasks_dir})")
    for col in ("name", "kind", "engine", "size", "version", "smoke", "source"):
        table.add_column(col)
    for s in ws.suites.suites:
        size = s.size
        if size is None:
            try:
                size = len(get_runner(s.engine).sample_ids(s))
            except GapbenchError:
                size = None
        table.add_row(
            s.name,
            s.kind,
            s.engine,
            "?" if size is None else str(size),
            s.version,
            str(len(s.smoke)),
            s.source,
        )
    console.print(table)
    return 0


def _print_plan(plan) -> None:
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

    ws = _ws(args)
    plan = api.plan(
        args.sweep, ws=ws, smoke=True if args.smoke else None, limit=args.limit, epochs=args.epochs
    )
    from harness.cli_progress import RichReporter
    from harness.sweep.execute import execute

    if args.dry_run:
        _print_plan(plan)
        return 0
    if not plan.runs:
        raise GapbenchError("nothing to run: every model or suite in the sweep was skipped")
    reporter = RichReporter(console)
    try:
        outcome = execute(plan, ws.settings, reporter=reporter, budget_usd=args.budget)
    finally:
        reporter.stop()
    console.print(
        f"stored in {ws.settings.results_dir} | model calls: {outcome.upstream_calls} "
        f"(cache hits {outcome.cache_hits}) | cost ${outcome.cost_usd:.4f}"
    )
    if args.report:
        path = api.build_report(args.report, ws=ws, sweep=plan.sweep.name)
        console.print(f"report: {path}")
    return 0 if outcome.complete else 1


def cmd_report(args: argparse.Namespace) -> int:
    from harness import api

    ws = _ws(args)
    path = api.build_report(args.name, ws=ws, sweep=args.sweep)
    console.print(f"report: {path}")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from harness import api
    from harness.analysis.build import headline

    ws = _ws(args)
    tables = api.analyze(ws, sweep=args.sweep)
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


def cmd_results(args: argparse.Namespace) -> int:
    from harness.store import query

    ws = _ws(args)
    if args.export:
        path = Path(args.export)
        query.export(ws.store, path, "csv" if path.suffix == ".csv" else "parquet")
        console.print(f"exported to {path}")
        return 0
    df = query.summary(ws.store)
    console.print(df.to_string(index=False) if len(df) else "no results stored yet")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from harness import api

    ws = _ws(args)
    summary = api.import_results(
        args.source,
        Path(args.path) if args.path else None,
        ws=ws,
        access=args.access,
        model_id=args.model,
        release_date=args.release_date,
        kind=args.kind,
    )
    console.print(summary.line())
    for warning in summary.warnings:
        console.print(f"warning: {warning}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Published history (Epoch AI hub, shipped in data/published) + a real local run + report."""
    from harness import api
    from harness.config import BUNDLED_EPOCH_DUMP

    ws = _ws(args)
    summary = api.import_results("epoch", BUNDLED_EPOCH_DUMP, ws=ws)
    console.print(summary.line())
    args.sweep, args.smoke, args.limit, args.epochs = "demo", False, None, None
    args.dry_run, args.budget, args.report = False, None, None
    code = cmd_run(args)
    path = api.build_report("demo", ws=ws)
    console.print(f"report: {path}")
    return code


def cmd_nightly(args: argparse.Namespace) -> int:
    args.smoke, args.limit, args.epochs, args.dry_run = False, None, None, False
    args.report = args.report or args.sweep
    return cmd_run(args)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="gapbench",
        description="Measure the gap between open-weight and closed models on standard and agentic suites.",
        epilog="Quick start: `gapbench demo` runs the embedded SmolLM2 model offline and writes reports/demo/index.html.",
    )
    p.add_argument("--version", action="version", version=f"gapbench {__version__}")
    p.add_argument(
        "--results-dir", help="Parquet store (default ./results or $GAPBENCH_RESULTS_DIR)"
    )
    p.add_argument("--reports-dir", help="where reports go (default ./reports)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    sub.add_parser("models", help="list model cards and their deployments").set_defaults(
        func=cmd_models
    )
    sub.add_parser("suites", help="list suites with kind, size, version and source").set_defaults(
        func=cmd_suites
    )

    def sweep_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument(
            "--budget", type=float, metavar="USD", help="stop starting samples past this spend"
        )
        sp.add_argument("--report", metavar="NAME", help="render reports/NAME after the run")

    r = sub.add_parser("run", help="run a sweep (resumes: only samples not yet stored are run)")
    r.add_argument("sweep", help="sweep YAML path, or a name in sweeps/ (e.g. demo)")
    r.add_argument("--smoke", action="store_true", help="only each suite's smoke subset")
    r.add_argument("--limit", type=int, metavar="N", help="first N samples per suite")
    r.add_argument("--epochs", type=int, metavar="K", help="override the sweep's epochs")
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (what runs, what is skipped); spend nothing",
    )
    sweep_args(r)
    r.set_defaults(func=cmd_run)

    n = sub.add_parser("nightly", help="plan + run + report, incremental and idempotent")
    n.add_argument("sweep")
    sweep_args(n)
    n.set_defaults(func=cmd_nightly)

    rep = sub.add_parser("report", help="render the HTML gap report from the store")
    rep.add_argument("--name", default="latest", help="reports/NAME/index.html (default latest)")
    rep.add_argument("--sweep", help="only rows from this sweep")
    rep.set_defaults(func=cmd_report)

    a = sub.add_parser("analyze", help="print the headline gap tables")
    a.add_argument("--sweep", help="only rows from this sweep")
    a.add_argument("--max-rows", type=int, default=30, help="rows shown per table (default 30)")
    a.set_defaults(func=cmd_analyze)

    res = sub.add_parser("results", help="summarise stored results, or export them")
    res.add_argument(
        "--export", metavar="PATH", help="write all samples to PATH (.csv or .parquet)"
    )
    res.set_defaults(func=cmd_results)

    im = sub.add_parser(
        "import", help="import results made elsewhere (marked source=imported:<name>)"
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

    d = sub.add_parser(
        "demo",
        help="import the shipped Epoch AI results, run the embedded default (SmolLM2, offline), render reports/demo",
    )
    d.set_defaults(func=cmd_demo)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except GapbenchError as exc:
        err_console.print(f"gapbench: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        err_console.print("gapbench: interrupted (finished samples are stored; rerun to resume)")
        return 130


if __name__ == "__main__":
    sys.exit(main())
