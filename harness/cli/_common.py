"""What every command shares: the consoles, the one-line parser, the workspace from options."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from rich.console import Console

if TYPE_CHECKING:
    from harness.api import Workspace

# Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns; give them room.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def add_global_options(p: argparse.ArgumentParser, *, suppress_default: bool) -> None:
    """--results-dir / --reports-dir, accepted before and after the subcommand.

    On subparsers the defaults are suppressed so that a value given before the subcommand
    is not overwritten by the subparser's None.
    """
    default = argparse.SUPPRESS if suppress_default else None
    p.add_argument(
        "--results-dir",
        default=default,
        help="Parquet store (default ./results or $GAPBENCH_RESULTS_DIR)",
    )
    p.add_argument("--reports-dir", default=default, help="where reports go (default ./reports)")


def ws(args: argparse.Namespace) -> Workspace:
    from harness import api
    from harness.config import load_settings

    settings = load_settings()
    if getattr(args, "results_dir", None):
        settings = replace(settings, results_dir=Path(args.results_dir))
    if getattr(args, "reports_dir", None):
        settings = replace(settings, reports_dir=Path(args.reports_dir))
    return api.workspace(settings)
