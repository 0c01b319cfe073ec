"""The Python API: everything the CLI does, as functions returning typed results.

from harness import api
outcome = api.run_sweep("sweeps/demo.yaml")
path = api.build_report("demo", sweep="demo")

One module per area (workspace, runs, analysis, imports, ...); this package re-exports the
public names so callers need only `from harness import api`.
"""

from harness.api.analysis import analyze, build_report
from harness.api.imports import import_results
from harness.api.runs import plan, run_sweep, samples
from harness.api.workspace import Workspace, resolve_sweep_path, workspace

__all__ = [
    "Workspace",
    "analyze",
    "build_report",
    "import_results",
    "plan",
    "resolve_sweep_path",
    "run_sweep",
    "samples",
    "workspace",
]
