"""`gapbench run`: plan a sweep (a file, or --model/--suite), print it (--dry-run) or run it."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from rich.markup import escape
from rich.table import Table

from harness import exitcodes
from harness.cli._common import checked, console, epilog, err_console, sweep_value, ws
from harness.errors import GapbenchError, UserError

if TYPE_CHECKING:
    from harness.api import Model, Workspace
    from harness.sweep.plan import Plan
    from harness.sweep.spec import SweepSpec

# --model given as a URL: these options describe it (registry models have them in their card).
_URL_OPTIONS = {
    "access": "--access",
    "release_date": "--release-date",
    "api_model": "--api-model",
    "id": "--id",
    "organisation": "--organisation",
    "api_key_env": "--api-key-env",
}


def _is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def print_plan(plan: Plan, *, budget: float | None = None, warnings: Sequence[str] = ()) -> None:
    """The plan as a table, then one marked line per thing a run would skip or warn about."""
    table = Table(title=f"plan: sweep {plan.sweep.name}")
    cols = ("model", "deployment", "suite", "samples", "epochs", "stored", "errored", "retry")
    for col in (*cols, "to run"):
        table.add_column(col)
    for r in plan.runs:
        n_retry = getattr(r, "n_retry", 0)
        errored = n_retry + getattr(r, "n_stored_error", 0)
        table.add_row(
            r.card.id,
            r.deployment.id,
            r.suite.label,
            str(len(r.sample_ids)),
            str(r.epochs),
            str(r.n_done),
            str(errored),
            str(n_retry),
            str(len(r.todo)),
        )
    console.print(table)
    n_retry = sum(getattr(r, "n_retry", 0) for r in plan.runs)
    kept = sum(getattr(r, "n_stored_error", 0) for r in plan.runs)
    total = f"{plan.n_todo} samples to run"
    n_cached = getattr(plan, "n_cached", 0)
    if n_cached:
        total += f" ({n_cached} copied from the rows cache, not run; --no-cache runs them)"
    if n_retry:
        total += f", of which {n_retry} errored before and retried (--retry-errors)"
    if kept:
        total += f"; {kept} errored samples stored and not retried (add --retry-errors)"
    if budget is not None or plan.sweep.budget_usd is not None:
        total += f"; budget ${budget if budget is not None else plan.sweep.budget_usd:g}"
    console.print(total, markup=False, highlight=False)
    for s in plan.skipped:
        console.print(f"[yellow]SKIP[/] {escape(s.what)}: {escape(s.reason)}", highlight=False)
    for line in warnings:
        console.print(f"[yellow]WARN[/] {escape(line)}", highlight=False)
    if not plan.runs:
        console.print("nothing would run", highlight=False)


def _url_model(args: argparse.Namespace, url: str) -> Model:
    from harness import api

    required = ("api_model", "access", "release_date")
    missing = [_URL_OPTIONS[key] for key in required if not getattr(args, key, None)]
    if missing:
        raise UserError(
            f"--model {url}: a model given by URL needs {', '.join(missing)} "
            "(or add it to the registry: gapbench models add --help)"
        )
    return api.endpoint(
        url,
        args.api_model,
        access=args.access,
        release_date=args.release_date,
        id=args.id,
        organisation=args.organisation or "unknown",
        api_key_env=args.api_key_env,
        names={**_URL_OPTIONS, "base_url": "--model", "name": "--api-model"},
    )


def quick_sweep(args: argparse.Namespace, w: Workspace) -> tuple[SweepSpec, Workspace]:
    """The SweepSpec of `run --model ... --suite ...`, and the workspace that knows its models.

    Every problem names the option it came from (exit 2) and is found before planning.
    """
    from harness.sweep.spec import SweepSpec

    models = args.model or []
    if not models or not args.suite:
        raise UserError("a run without a sweep file needs --model and --suite (see --help)")
    urls = [m for m in models if _is_url(m)]
    if len(urls) > 1:
        raise UserError(
            "--model: give at most one URL per command (add others with `gapbench models add`)"
        )
    if not urls:
        given = [opt for key, opt in _URL_OPTIONS.items() if getattr(args, key, None)]
        if given:
            raise UserError(
                f"{given[0]}: describes a model given by URL; a registry model's card has it"
            )
    refs: list[str] = []
    for ref in models:
        if _is_url(ref):
            model = _url_model(args, ref)
            w = w.with_models((model.card,), (model.deployment,))
            refs.append(model.deployment.id)
            continue
        try:
            w.registry.resolve(ref)
        except KeyError as exc:
            raise UserError(f"--model: {exc.args[0]}") from None
        refs.append(ref)
    for name in args.suite:
        try:
            w.suites.get(name)
        except KeyError as exc:
            raise UserError(f"--suite: {exc.args[0]}") from None
    spec = SweepSpec(name=args.name or "quick", models=refs, suites=list(args.suite))
    return spec, w


def cmd_run(args: argparse.Namespace) -> int:
    from harness import api

    sweep_ref = getattr(args, "sweep", None)
    quick = bool(getattr(args, "model", None) or getattr(args, "suite", None))
    if quick and sweep_ref:
        raise UserError(f"give a sweep ({sweep_ref}) or --model/--suite, not both")
    if not quick and not sweep_ref:
        raise UserError("give a sweep file or name, or --model and --suite (see --help)")
    if getattr(args, "name", None) and not quick:
        raise UserError("--name: only for runs without a sweep file (a sweep file has its name)")
    executor: Literal["local", "ray"] = (
        "ray" if getattr(args, "executor", None) == "ray" else "local"
    )
    if getattr(args, "address", None) and executor != "ray":
        raise UserError("--address: only with --executor ray")
    w = ws(args)
    if quick:
        target, w = quick_sweep(args, w)
        source = None
    else:  # read and validate the file before the engines are even imported
        from harness.api.workspace import load_sweep_ref

        target, source = load_sweep_ref(str(sweep_ref), w)
    dry_run = bool(getattr(args, "dry_run", False))
    plan = api.plan(
        target,
        source=source,
        ws=w,
        smoke=True if getattr(args, "smoke", False) else None,
        limit=getattr(args, "limit", None),
        epochs=getattr(args, "epochs", None),
        retry_errors=bool(getattr(args, "retry_errors", False)),
        dry_run=dry_run,
        use_cache=not getattr(args, "no_cache", False),
    )
    warnings = api.plan_warnings(plan)
    if dry_run:
        print_plan(plan, budget=getattr(args, "budget", None), warnings=warnings)
        return exitcodes.OK
    from harness.cli.progress import RichReporter
    from harness.sweep.execute import execute

    for line in warnings:
        err_console.print(f"gapbench: {line}", markup=False, highlight=False, soft_wrap=True)
    if not plan.runs:
        for skip in plan.skipped:  # why, on a normal run too (not only under --dry-run)
            err_console.print(
                f"skipped {skip.what}: {skip.reason}", markup=False, highlight=False, soft_wrap=True
            )
        raise GapbenchError("nothing to run: every model or suite in the sweep was skipped")
    reporter = RichReporter(console)
    try:
        outcome = execute(
            plan,
            w.settings,
            reporter=reporter,
            budget_usd=getattr(args, "budget", None),
            executor=executor,
            address=getattr(args, "address", None),
            workers=getattr(args, "workers", None),
            lock_wait_s=getattr(args, "wait_lock", None) or 0.0,
        )
    finally:
        reporter.stop()
    console.print(
        f"stored in {w.settings.results_dir} | {outcome.money_line()}",
        markup=False,
        highlight=False,
    )
    for line in outcome.summary_lines():
        console.print(line, markup=False, highlight=False)
    if getattr(args, "report", None):
        from harness.cli.report import ReportProgress

        with ReportProgress(console) as progress:
            path = api.build_report(args.report, ws=w, sweep=plan.sweep.name, progress=progress)
        console.print(f"report: {path}")
    return int(outcome.exit_code)


def _workers(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise UserError(f"workers: must be a whole number (got {raw!r})") from None
    if not 1 <= value <= 1024:
        raise UserError(f"workers: must be 1..1024 (got {raw!r})")
    return value


def _seconds(raw: str) -> float:
    from harness._loading import finite

    try:
        value = finite(float(raw), "wait-lock")
    except ValueError:
        raise UserError(f"wait-lock: must be a number of seconds (got {raw!r})") from None
    if not 0 <= value <= 7 * 86_400:
        raise UserError(f"wait-lock: must be 0..604800 seconds (got {raw!r})")
    return value


def add_execution_options(sp: argparse.ArgumentParser) -> None:
    """--executor/--address/--workers/--wait-lock (how a plan is executed; E's executor)."""
    g = sp.add_argument_group("execution")
    g.add_argument(
        "--executor",
        choices=["local", "ray"],
        help="local worker processes (default) or a Ray cluster",
    )
    g.add_argument("--address", metavar="ADDR", help="Ray cluster address (default: start one)")
    g.add_argument(
        "--workers", type=checked(_workers), metavar="N", help="worker processes (default: cores)"
    )
    g.add_argument(
        "--wait-lock",
        type=checked(_seconds),
        metavar="SECONDS",
        help="wait this long for another process running the same sweep (default: exit 7 at once)",
    )


def add_sweep_options(sp: argparse.ArgumentParser) -> None:
    sp.add_argument(
        "--budget",
        type=sweep_value("budget_usd"),
        metavar="USD",
        help="stop starting samples past this projected spend (a finite number > 0)",
    )
    sp.add_argument("--report", metavar="NAME", help="render reports/NAME after the run")


def _release_date(raw: str) -> Any:
    from harness._loading import check_value
    from harness.models import ModelCard

    base = {
        "id": "x",
        "name": "x",
        "organisation": "x",
        "access": "open",
        "licence": "x",
        "source": "x",
    }
    return check_value(ModelCard, base, "release_date", raw)


RUN_EPILOG = epilog(
    "gapbench run demo --dry-run                      # the plan of sweeps/demo.yaml; spends nothing",
    "gapbench run sweeps/frontier.yaml --budget 20    # resumes: only samples not yet stored run",
    "gapbench run --model smollm2-135m-instruct --suite ladder_standard --limit 10",
    "gapbench run --model gpt-5 --suite humaneval --suite tau2_airline --limit 1-20 --epochs 3",
    "gapbench run --model http://127.0.0.1:8080/v1 --api-model my-model --access open \\",
    "             --release-date 2025-04-05 --suite ladder_agentic --limit 6",
    "gapbench run frontier --retry-errors             # errored samples run again",
    "gapbench run frontier --no-cache                 # no stored answer read: all run again",
    notes=(
        "A sample already stored in the results folder never runs again. One missing here\n"
        "that an identical run (same model, deployment, suite, engine) finished elsewhere is\n"
        "copied from the cache (GAPBENCH_CACHE_DIR/rows) instead of run; --no-cache runs it.\n"
        "--limit, --epochs and --budget are checked before anything is read or planned, with\n"
        "the same bounds as the sweep file's fields. --dry-run always prints the plan (exit 0):\n"
        "models that would be skipped (an unset API key, an unreachable endpoint) are SKIP\n"
        "lines, a stock llama-cpp-python server used for agentic suites is a WARN line.\n"
        "A run without a sweep file is recorded as sweep 'quick' (--name to change it)."
    ),
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    r = sub.add_parser(
        "run",
        parents=[common],
        help="run a sweep, or --model/--suite without a file (resumes: only missing samples run)",
        description="Run a sweep file, or models x suites given as options. Resumes: only "
        "samples not yet stored are run.",
        epilog=RUN_EPILOG,
    )
    r.add_argument("sweep", nargs="?", help="sweep YAML path, or a name in sweeps/ (e.g. demo)")
    quick = r.add_argument_group("without a sweep file")
    quick.add_argument(
        "--model",
        action="append",
        metavar="ID|URL",
        help="model or deployment id (`gapbench models`), or an OpenAI-compatible base URL; repeatable",
    )
    quick.add_argument(
        "--suite",
        action="append",
        metavar="NAME",
        help="suite name (`gapbench suites`); repeatable",
    )
    quick.add_argument(
        "--name", type=sweep_value("name"), help="sweep id recorded on every row (default quick)"
    )
    url = r.add_argument_group("a --model given by URL (not in the registry)")
    url.add_argument(
        "--api-model", metavar="NAME", help="the model name the server knows (required)"
    )
    url.add_argument(
        "--access", choices=["open", "closed"], help="open weights or API-only (required)"
    )
    url.add_argument(
        "--release-date",
        type=checked(_release_date),
        metavar="YYYY-MM-DD",
        help="the model's release date (required)",
    )
    url.add_argument("--id", metavar="SLUG", help="model id to record (default: from --api-model)")
    url.add_argument("--organisation", metavar="ORG", help="who made it (default unknown)")
    url.add_argument("--api-key-env", metavar="VAR", help="environment variable holding its key")
    r.add_argument("--smoke", action="store_true", help="only each suite's smoke subset")
    r.add_argument(
        "--limit",
        type=sweep_value("limit"),
        metavar="N|A-B",
        help="first N samples per suite, or samples A to B (1-based, inclusive)",
    )
    r.add_argument(
        "--epochs", type=sweep_value("epochs"), metavar="K", help="repeats per sample (1..1000)"
    )
    r.add_argument(
        "--retry-errors",
        action="store_true",
        help="run stored errored samples again (the newest attempt wins)",
    )
    r.add_argument(
        "--no-cache",
        action="store_true",
        help="read no stored answer: samples missing here run through the engine and every "
        "model call goes upstream (new answers are still cached)",
    )
    r.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan (what runs, what is skipped and why); spends nothing; exit 0",
    )
    add_sweep_options(r)
    add_execution_options(r)
    r.set_defaults(func=cmd_run)
