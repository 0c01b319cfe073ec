"""The Python API: everything the CLI does, as functions returning typed results.

from harness import api            # or: import gapbench (the same names, re-exported)
res = api.evaluate(models=["smollm2-135m-instruct"], suites=["ladder_standard"], limit=6)
res = api.run(api.SweepSpec(name="s", models=[...], suites=[...]), results_dir="out")
outcome = api.run_sweep("sweeps/demo.yaml")
path = api.build_report("demo", sweep="demo")

One module per area (workspace, runs, analysis, imports, ...); this package re-exports the
public names so callers need only `from harness import api`.
"""

from harness.api.analysis import analyze, build_report
from harness.api.imports import import_results
from harness.api.nightly import nightly, publish
from harness.api.models import Model, add_model, endpoint, models, serve_command, suites
from harness.api.results import Results, results
from harness.api.runs import evaluate, plan, plan_warnings, run, run_sweep, samples
from harness.api.workspace import Workspace, resolve_sweep_path, workspace
from harness.sweep.spec import SweepSpec

__all__ = [
    "Model",
    "Results",
    "SweepSpec",
    "Workspace",
    "add_model",
    "analyze",
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
