"""What every command shares: the consoles, the one-line parser, the workspace from options,
option types that check values before anything runs, and help text (examples, exit codes)."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from rich.console import Console

from harness.errors import UserError

if TYPE_CHECKING:
    from harness.api import Workspace

# Off a terminal (CI logs, pipes) rich would wrap tables at 80 columns; give them room.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and epilogs keep their line breaks and indented lines (examples, the exit
    code table); an unindented line longer than the terminal is wrapped."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        for line in text.splitlines():
            if len(line) > width and not line.startswith(" "):
                out.extend(
                    textwrap.wrap(
                        line,
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                    )
                )
            else:
                out.append(indent + line)
        return "\n".join(out)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) and help text kept as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

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
    p.add_argument(
        "--reports-dir",
        default=default,
        help="where reports go (default ./reports or $GAPBENCH_REPORTS_DIR)",
    )


def ws(args: argparse.Namespace) -> Workspace:
    from harness import api

    return api.workspace(
        results_dir=getattr(args, "results_dir", None) or None,
        reports_dir=getattr(args, "reports_dir", None) or None,
    )


def checked(check: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse `type=` that runs one of gapbench's validators on the raw string.

    argparse calls it while parsing, i.e. before any file is read or anything planned, and
    turns the failure into one line naming the option (exit 2).
    """

    def parse(raw: str) -> Any:
        try:
            return check(raw)
        except UserError as exc:
            text = str(exc)
            # "epochs: must be >= 1 (got '0')" -> "must be >= 1 (got '0')": argparse names the option.
            raise argparse.ArgumentTypeError(text.split(": ", 1)[-1]) from None

    parse.__name__ = getattr(check, "__name__", "value")
    return parse


def sweep_value(field: str) -> Callable[[str], Any]:
    """An option type validated by SweepSpec's own field (the same bounds as in a file)."""
    from harness.sweep.spec import SweepSpec

    def check(raw: str) -> Any:
        return SweepSpec.check(field, raw)

    check.__name__ = field
    return checked(check)


# ---- help text -----------------------------------------------------------------------------

_EXIT_LINE = re.compile(r"^([A-Z_]+)\s*=\s*(\d+)\s*#\s*(.+)$")


def exit_code_lines() -> list[str]:
    """'  0  OK            everything asked for ran ...' for each code in harness/exitcodes.py."""
    import harness.exitcodes as codes

    source = Path(codes.__file__).read_text(encoding="utf-8")
    out = []
    for line in source.splitlines():
        match = _EXIT_LINE.match(line)
        if match:
            name, value, why = match.groups()
            out.append(f"  {value:>3}  {name:<12} {why}")
    return out


def exit_codes_block() -> str:
    return "\n".join(["exit codes:", *exit_code_lines()])


def epilog(*examples: str, notes: str = "") -> str:
    """Help epilog: examples, notes, then the exit codes (declared once in exitcodes.py)."""
    parts = ["examples:", *(f"  {e}" for e in examples)]
    if notes:
        parts += ["", notes]
    return "\n".join(parts) + "\n\n" + exit_codes_block()


def complete_epilog(own: str | None, examples: list[str]) -> str:
    """`own` plus what it lacks of examples and the exit-code table (for every --help)."""
    parts = [own] if own else []
    if "examples:" not in (own or ""):
        parts.append("\n".join(["examples:", *(f"  {e}" for e in examples)]))
    if "INTERRUPTED" not in (own or ""):
        parts.append(exit_codes_block())
    return "\n\n".join(parts)
