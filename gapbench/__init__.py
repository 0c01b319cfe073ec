"""gapbench: how far open-weight models trail closed ones, on standard and agentic suites.

The public Python API (the `gapbench` command is a thin layer over it)::

    import gapbench

    # one line, like lm_eval.simple_evaluate / inspect_ai.eval
    res = gapbench.evaluate(
        models=["smollm2-135m-instruct"],
        suites=["ladder_standard", "ladder_agentic"],
        limit=6,
        results_dir="results",
    )
    res.runs       # DataFrame: one row per run, status, score, ci_low, ci_high
    res.samples    # DataFrame: one row per (run, sample, epoch)

    # a sweep built in code, then run
    sweep = gapbench.Sweep(name="mine", models=["smollm2-135m-instruct"],
                           suites=["ladder_standard"], epochs=3, limit="1-20")
    res = gapbench.run(sweep, results_dir="results")

    # a model that is not in the registry: any OpenAI-compatible server
    local = gapbench.endpoint("http://127.0.0.1:8080/v1", "my-model",
                              access="open", release_date="2025-04-05")
    res = gapbench.evaluate(models=[local], suites=["humaneval"], limit=20)

    gapbench.results(results_dir="results", sweep="mine")   # open what is stored
    ws = gapbench.workspace(results_dir="results")
    gapbench.analyze(ws)   # every report table, with the answer on .answer

    # the answer (`gapbench analyze --format json` is ans.to_json()), under the primary
    # specification or another one (every `gapbench analyze` option is a spec field)
    ans = gapbench.answer(ws)
    ans.verdict, ans.primary["d"], ans.power.mde, ans.settle.ranked
    ans = gapbench.answer(ws, gapbench.spec_from_options(censoring="none", since=""))
    nxt = gapbench.next_sweep(ws, top=20)   # what to evaluate next, as a sweep
    open("next.yaml", "w").write(nxt.yaml())

The names are harness.api's (`from harness import api` gives the same functions).

Every function has a docstring (`help(gapbench.evaluate)`). Bad input raises
`gapbench.UserError` with one line naming the argument or file and field.
"""

from harness import __version__
from harness.analysis.spec import PRIMARY, AnalysisSpec, spec_from_options
from harness.api import (
    Model,
    Results,
    Workspace,
    add_model,
    analyze,
    answer,
    build_report,
    endpoint,
    estimate,
    evaluate,
    import_results,
    models,
    next_sweep,
    nightly,
    plan,
    plan_warnings,
    publish,
    resolve_sweep_path,
    results,
    run,
    run_sweep,
    samples,
    scan_secrets,
    score_table,
    scrub_secrets,
    serve_command,
    skipped_warnings,
    suites,
    workspace,
)
from harness.api.runs import GapbenchWarning
from harness.errors import ConfigError, GapbenchError, UserError
from harness.sweep.spec import SweepSpec

Sweep = SweepSpec  # the name a notebook reaches for

__all__ = [
    "PRIMARY",
    "AnalysisSpec",
    "ConfigError",
    "GapbenchError",
    "GapbenchWarning",
    "Model",
    "Results",
    "Sweep",
    "SweepSpec",
    "UserError",
    "Workspace",
    "__version__",
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
    "spec_from_options",
    "suites",
    "workspace",
]
