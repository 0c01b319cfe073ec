"""nox sessions. They run in the environment made by `./run install` (.venv), so that the
slow llama.cpp build happens once: `.venv/bin/nox -s lint typecheck tests`."""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """All tests, slow end-to-end ones included (pass `-- -m "not slow"` for the fast set)."""
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    session.run("ruff", "check", "harness", "tests", "bench")
    session.run("ruff", "format", "--check", "harness", "tests", "bench")


@nox.session(venv_backend="none")
def typecheck(session: nox.Session) -> None:
    session.run("mypy", "harness")


@nox.session(venv_backend="none")
def demo(session: nox.Session) -> None:
    """The embedded default, offline: SmolLM2 through the demo sweep, then reports/demo."""
    session.run("gapbench", "demo")


@nox.session(venv_backend="none")
def fidelity(session: nox.Session) -> None:
    """The full fidelity runs (every suite against its official evaluator, the ladder's
    known-competence agents), then docs/fidelity.md; `-- SUITE` for one suite, `-- doc` for
    the report alone. The official evaluators get their own venv (bench/fidelity/env.sh)."""
    from pathlib import Path

    if Path("bench/fidelity/env.sh").exists():
        session.run("bash", "bench/fidelity/env.sh", external=True)
    session.run("python", "-m", "bench.fidelity", *(session.posargs or ["all"]))
