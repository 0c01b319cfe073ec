"""The agreement runs, by suite: `python -m bench.fidelity SUITE` calls SUITES[SUITE](n, seed)
and writes what it returns to bench/fidelity/results/SUITE.json (format: bench.fidelity.doc.AgreementResult).

Each fidelity module exposes `run(n: int, seed: int) -> dict` for its suite (or one function
per suite of its family) and adds it here, one line per suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RunFn = Callable[[int, int], dict[str, Any]]

SUITES: dict[str, RunFn] = {}
