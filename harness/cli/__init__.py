"""gapbench command line: a thin layer over harness.api.

One module per command (or small family of commands); each exposes `register(sub, common)`,
which adds its subparser(s). `common` carries the global options so they are accepted after
the subcommand as well as before it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from harness import __version__
from harness.cli import (
    analyze,
    catalog,
    demo,
    importing,
    nightly,
    publish,
    report,
    results,
    run,
)
from harness.cli._common import Parser, add_global_options, err_console
from harness.errors import GapbenchError

# Order here is the order in `gapbench --help`.
COMMANDS = [catalog, run, nightly, publish, report, analyze, results, importing, demo]


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gapbench",
        description="Measure the gap between open-weight and closed models on standard and agentic suites.",
        epilog="Quick start: `gapbench demo` runs the embedded SmolLM2 model offline and writes reports/demo/index.html.",
    )
    p.add_argument("--version", action="version", version=f"gapbench {__version__}")
    add_global_options(p, suppress_default=False)
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, suppress_default=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMANDS:
        module.register(sub, common)
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
