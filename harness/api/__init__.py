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

if TYPE_CHECKING:
    from harness.api.analysis import analyze, answer, build_report
    from harness.api.imports import import_results
    from harness.api.models import Model, add_model, endpoint, models, serve_command, suites
    from harness.api.nightly import nightly, publish
    from harness.api.results import Results, results
    from harness.api.runs import evaluate, plan, plan_warnings, run, run_sweep, samples
    from harness.api.workspace import Workspace, resolve_sweep_path, workspace
    from harness.sweep.spec import SweepSpec

# name -> module. Imported on first use, so that `gapbench run bad.yaml` can say what is wrong
# in a second instead of first importing every engine (inspect, lm-eval, the SDKs, scipy).
# Add a public name here AND under TYPE_CHECKING above.
_HOMES = {
    "analyze": "harness.api.analysis",
    "answer": "harness.api.analysis",
    "build_report": "harness.api.analysis",
    "import_results": "harness.api.imports",
    "Model": "harness.api.models",
    "add_model": "harness.api.models",
    "endpoint": "harness.api.models",
    "models": "harness.api.models",
    "serve_command": "harness.api.models",
    "suites": "harness.api.models",
    "nightly": "harness.api.nightly",
    "publish": "harness.api.nightly",
    "Results": "harness.api.results",
    "results": "harness.api.results",
    "evaluate": "harness.api.runs",
    "plan": "harness.api.runs",
    "plan_warnings": "harness.api.runs",
    "run": "harness.api.runs",
    "run_sweep": "harness.api.runs",
    "samples": "harness.api.runs",
    "Workspace": "harness.api.workspace",
    "resolve_sweep_path": "harness.api.workspace",
    "workspace": "harness.api.workspace",
    "SweepSpec": "harness.sweep.spec",
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
    "evaluate",
    "import_results",
    "models",
    "nightly",
    "plan",
    "plan_warnings",
    "publish",
    "resolve_sweep_path",
    "results",
    "run",
    "run_sweep",
    "samples",
    "serve_command",
    "suites",
    "workspace",
]
