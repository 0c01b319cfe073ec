"""The Python API: everything the CLI does, as functions returning typed results.

from harness import api            # or: import gapbench (the same names, re-exported)
res = api.evaluate(models=["smollm2-135m-instruct"], suites=["ladder_standard"], limit=6)
res = api.run(api.SweepSpec(name="s", models=[...], suites=[...]), results_dir="out")
outcome = api.run_sweep("sweeps/demo.yaml")
path = api.build_report("demo", sweep="demo")

One module per area (workspace, runs, analysis, imports, ...); this package re-exports the
public names so callers need only `from harness import api`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Light modules whose names are also names of functions here (workspace, models, results,
# nightly) are imported eagerly: importing a submodule later would set `harness.api.<name>`
# to the module and shadow the function of the same name.
from harness.api.models import Model, add_model, endpoint, models, serve_command, suites
from harness.api.nightly import nightly, publish
from harness.api.results import Results, results, scan_secrets, scrub_secrets
from harness.api.workspace import Workspace, resolve_sweep_path, workspace
from harness.sweep.spec import SweepSpec

if TYPE_CHECKING:
    from harness.api.analysis import analyze, answer, build_report, next_sweep
    from harness.api.imports import import_results
    from harness.api.runs import (
        estimate,
        evaluate,
        plan,
        plan_warnings,
        run,
        run_sweep,
        samples,
        skipped_warnings,
    )
    from harness.api.scoretable import score_table

# name -> module. Imported on first use, so that `gapbench run bad.yaml` can say what is wrong
# in a second instead of first importing every engine (inspect, lm-eval, the SDKs, scipy).
# Add a public name here AND under TYPE_CHECKING above (or eagerly, if its module is light).
_HOMES = {
    "analyze": "harness.api.analysis",
    "answer": "harness.api.analysis",
    "build_report": "harness.api.analysis",
    "next_sweep": "harness.api.analysis",
    "import_results": "harness.api.imports",
    "estimate": "harness.api.runs",
    "evaluate": "harness.api.runs",
    "plan": "harness.api.runs",
    "plan_warnings": "harness.api.runs",
    "run": "harness.api.runs",
    "run_sweep": "harness.api.runs",
    "samples": "harness.api.runs",
    "skipped_warnings": "harness.api.runs",
    "score_table": "harness.api.scoretable",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'harness.api' has no attribute '{name}'")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Model",
    "Results",
    "SweepSpec",
    "Workspace",
    "add_model",
    "analyze",
    "answer",
    "build_report",
    "endpoint",
    "estimate",
    "evaluate",
    "import_results",
    "models",
    "next_sweep",
    "nightly",
    "plan",
    "plan_warnings",
    "publish",
    "resolve_sweep_path",
    "results",
    "run",
    "run_sweep",
    "samples",
    "scan_secrets",
    "score_table",
    "scrub_secrets",
    "serve_command",
    "skipped_warnings",
    "suites",
    "workspace",
]
