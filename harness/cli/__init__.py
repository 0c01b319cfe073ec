"""gapbench command line: a thin layer over harness.api.

One module per command (or small family of commands); each exposes `register(sub, common)`,
which adds its subparser(s). `common` carries the global options so they are accepted after
the subcommand as well as before it. A command without its own help epilog gets the
examples below and the exit codes (declared once in harness/exitcodes.py).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from harness import __version__, exitcodes
from harness.cli import (
    _exit,
    analyze,
    catalog,
    demo,
    importing,
    nightly,
    plan,
    publish,
    report,
    results,
    run,
    serve,
)
from harness.cli._common import (
    Parser,
    add_global_options,
    complete_epilog,
    epilog,
    err_console,
)
from harness.errors import GapbenchError

# Order here is the order in `gapbench --help`.
COMMANDS = [catalog, plan, run, nightly, publish, report, analyze, results, importing, serve, demo]

# Examples for commands whose module gives no epilog of its own.
EXAMPLES: dict[str, list[str]] = {
    "nightly": [
        "gapbench nightly frontier                        # plan + run + report, incremental",
    ],
    "publish": [
        "gapbench publish latest --to /srv/www/gapbench   # copy reports/latest into a folder",
        "gapbench publish latest --git-branch gh-pages    # commit the site onto a branch",
    ],
    "report": [
        "gapbench report --name latest                    # reports/latest/index.html",
        "gapbench report --name demo --sweep demo --results-dir results",
    ],
    "analyze": [
        "gapbench analyze",
        "gapbench analyze --sweep frontier --max-rows 50",
        "gapbench analyze --format json > answer.json",
        "gapbench analyze --next-sweep next.yaml --next 20   # then: gapbench run next.yaml",
    ],
    "results": [
        "gapbench results                                 # what is stored, per model and suite",
        "gapbench results --export samples.csv",
    ],
    "demo": ["gapbench demo --results-dir /tmp/r --reports-dir /tmp/rep"],
}

MAIN_EPILOG = epilog(
    "gapbench demo                                    # offline: SmolLM2 + published data -> reports/demo",
    "gapbench models; gapbench suites                 # what can be run",
    "gapbench run --model smollm2-135m-instruct --suite ladder_standard --limit 10",
    "gapbench plan frontier                           # what it runs, skips, and would cost",
    "gapbench report --name latest                    # HTML report from the store",
    "gapbench COMMAND --help                          # options and examples of a command",
    notes=(
        "Global options (--results-dir, --reports-dir) work before or after the command.\n"
        "Environment: GAPBENCH_RESULTS_DIR, GAPBENCH_REPORTS_DIR, GAPBENCH_CACHE_DIR,\n"
        "GAPBENCH_REGISTRY (models.yaml), GAPBENCH_TASKS_DIR, GAPBENCH_SWEEPS_DIR; API keys as\n"
        "each deployment names them (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...).\n"
        "Python: import gapbench; help(gapbench.evaluate)."
    ),
)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(
        prog="gapbench",
        description="Measure the gap between open-weight and closed models on standard and agentic suites.",
        epilog=MAIN_EPILOG,
    )
    p.add_argument("--version", action="version", version=f"gapbench {__version__}")
    add_global_options(p, suppress_default=False)
    common = argparse.ArgumentParser(add_help=False)
    add_global_options(common, suppress_default=True)
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub, common)
    for name, parser in sub.choices.items():  # every --help: examples and the exit codes
        examples = EXAMPLES.get(name, [f"gapbench {name} --help"])
        parser.epilog = complete_epilog(parser.epilog, examples)
    return p


def _input_problem(exc: BaseException) -> str:
    """One line for an input problem that escaped the validators (a backstop, not the fix)."""
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        from harness._loading import validation_to_config_error

        return str(validation_to_config_error(exc.title, exc))
    if isinstance(exc, RecursionError):
        return "input nested too deeply"
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (harness.exitcodes)."""
    # The process's own command (no argv given: the gapbench script, python -m harness.cli)
    # ends without the interpreter's slow teardown (cli/_exit.py); in-process callers
    # (tests, scripts) get the exit code back and their signal handlers as they were.
    finished = _exit.own_process() if argv is None else None
    code = exitcodes.FAILURE
    try:
        code = _parse_and_run(argv)
        return code
    except SystemExit as exc:  # a sys.exit() inside a command keeps its code
        code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        raise
    finally:
        if finished is not None:
            finished(code)


def _parse_and_run(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, and argparse's one-line errors
        return exc.code if isinstance(exc.code, int) else exitcodes.USAGE
    restore = _sigterm_as_interrupt()
    try:
        return _command(args)
    finally:
        restore()


def _command(args: argparse.Namespace) -> int:
    import yaml
    from pydantic import ValidationError

    try:
        return int(args.func(args))
    except GapbenchError as exc:
        err_console.print(f"gapbench: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except (ValidationError, yaml.YAMLError, RecursionError) as exc:
        err_console.print(
            f"gapbench: bad input: {_input_problem(exc)}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return exitcodes.USAGE
    except KeyboardInterrupt:
        err_console.print(
            "gapbench: interrupted (finished samples are stored; rerun to resume)",
            markup=False,
            highlight=False,
        )
        return exitcodes.INTERRUPTED


def _sigterm_as_interrupt() -> Callable[[], None]:
    """SIGTERM (a scheduler's stop, `kill`) ends a command as Ctrl-C does: every child is
    ended by the code that started it, exit 130 with one line. Returns the undo.

    SIGINT is honoured too when it arrives ignored: a shell starts background jobs (`cmd &`
    in a script, a CI step, some schedulers) with SIGINT ignored, and Python then installs no
    handler, so `kill -INT` would be silently dropped and the run would go on."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
        previous_int = signal.getsignal(signal.SIGINT)
        if previous_int == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
    except (ValueError, OSError):
        return lambda: None

    def undo() -> None:
        signal.signal(signal.SIGTERM, previous)
        if previous_int == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    return undo
