"""`gapbench plan` (and `run --dry-run`): what a sweep would run, what it would skip and why,
and what it would cost: tokens, dollars and wall time per deployment, with their sources."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.table import Table

from harness import exitcodes
from harness.cli._common import console, epilog
from harness.cli._sweep_args import add_sweep_arguments, make_plan

if TYPE_CHECKING:
    from harness.api import Workspace
    from harness.sweep.plan import Plan
    from harness.sweep.pricing import PlanEstimate


def print_plan(plan: Plan, *, warnings: Sequence[str] = ()) -> None:
    """The plan as a table, then one marked line per thing a run would skip or warn about."""
    table = Table(title=f"plan: sweep {plan.sweep.name}")
    cols = ("model", "deployment", "suite", "samples", "epochs", "stored", "errored", "retry")
    for col in (*cols, "to run"):
        table.add_column(col)
    for r in plan.runs:
        errored = r.n_retry + r.n_stored_error
        table.add_row(
            escape(r.card.id),
            escape(r.deployment.id),
            escape(r.suite.label),
            str(len(r.sample_ids)),
            str(r.epochs),
            str(r.n_done),
            str(errored),
            str(r.n_retry),
            str(len(r.todo)),
        )
    console.print(table)
    kept = sum(r.n_stored_error for r in plan.runs)
    total = f"{plan.n_todo} samples to run"
    if plan.n_cached:
        total += f" ({plan.n_cached} copied from the rows cache, not run; --no-cache runs them)"
    if plan.n_retry:
        total += f", of which {plan.n_retry} errored before and retried (--retry-errors)"
    if kept:
        total += f"; {kept} errored samples stored and not retried (add --retry-errors)"
    if plan.sweep.budget_usd is not None:
        total += f"; budget ${plan.sweep.budget_usd:g}"
    console.print(total, markup=False, highlight=False)
    for s in plan.skipped:
        console.print(f"[yellow]SKIP[/] {escape(s.what)}: {escape(s.reason)}", highlight=False)
    for line in warnings:
        console.print(f"[yellow]WARN[/] {escape(line)}", highlight=False)
    if not plan.runs:
        console.print("nothing would run", highlight=False)


def _tokens(n: float | None) -> str:
    if n is None:
        return "?"
    for unit, size in (("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def _usd(x: float | None) -> str:
    return "?" if x is None else f"${x:,.2f}" if x >= 1 else f"${x:.4f}"


def print_estimate(est: PlanEstimate, runnable: set[str] | None = None) -> None:
    """Per deployment: samples, tokens in/out, cost, wall time; per run: where its numbers
    came from. Unknown numbers are '?' with the reason, never a guess. runnable: the
    deployments that would run now (others are priced too, marked as skipped now)."""
    from harness.sweep.pricing import human_seconds

    if not est.deployments:
        return
    table = Table(title="estimate: what the samples to run will take (spends nothing)")
    cols = ("deployment", "samples", "tokens in", "tokens out", "cost", "wall time", "parallel")
    for col in cols:
        table.add_column(col, justify="left" if col == "deployment" else "right")
    skipped_now = []
    for d in est.deployments:
        name = d.deployment.id
        if runnable is not None and name not in runnable:
            skipped_now.append(name)
            name += " (skipped now)"
        table.add_row(
            escape(name),
            str(sum(r.n_samples for r in d.runs)),
            _tokens(d.input_tokens),
            _tokens(d.output_tokens),
            _usd(d.cost_usd)
            if d.cost_usd is not None or not d.known_cost_usd
            else f">= {_usd(d.known_cost_usd)}",
            human_seconds(d.wall_s),
            str(d.concurrency),
        )
    console.print(table)
    total = est.total_cost_usd
    cost = (
        _usd(total) if total is not None else f"at least {_usd(est.known_cost_usd)} (some unknown)"
    )
    console.print(
        f"estimated total: {est.n_samples} samples, {cost}, wall time "
        f"{human_seconds(est.wall_s)} (deployments side by side)",
        markup=False,
        highlight=False,
    )
    if skipped_now:
        console.print(
            f"  includes {', '.join(skipped_now)}: skipped now (SKIP lines above), priced as "
            "if it ran",
            markup=False,
            highlight=False,
        )
    for d in est.deployments:
        console.print(f"  {d.deployment.id}: price {d.price_note}", markup=False, highlight=False)
        # one line per distinct source, naming the suites it covers
        by_source: dict[str, list[str]] = {}
        for r in d.runs:
            if not r.n_samples:
                continue
            if r.profile is None:
                tokens = "tokens unknown (no stored run, no token_profile in suite.yaml)"
            elif r.profile.source == "declared":
                tokens = "tokens declared (token_profile in its suite.yaml)"
            else:
                tokens = f"tokens {r.profile.source} ({r.profile.detail})"
            time_text = f"time {r.time_source} ({r.time_detail})"
            by_source.setdefault(f"{tokens}; {time_text}", []).append(r.run.suite.label)
        for text, labels in by_source.items():
            console.print(f"    {', '.join(labels)}: {text}", markup=False, highlight=False)
    for note in est.notes():
        console.print(f"note: {note}", markup=False, highlight=False)


def show(plan: Plan, w: Workspace, warnings: Sequence[str] = (), whole: Plan | None = None) -> None:
    """The plan, then the estimate (what `plan` and `run --dry-run` print). whole: the same
    plan with nothing skipped for keys or endpoints, priced so that a sweep's cost is seen
    before its keys are set."""
    from harness import api

    print_plan(plan, warnings=warnings)
    priced = whole if whole is not None else plan
    if priced.runs:
        runnable = {r.deployment.id for r in plan.runs}
        print_estimate(api.estimate(priced, ws=w), runnable)


def cmd_plan(args: argparse.Namespace) -> int:
    from harness import api

    plan, w = make_plan(args, dry_run=True)
    whole, _ = make_plan(args, dry_run=True, check_endpoints=False)
    show(plan, w, api.plan_warnings(plan), whole)
    return exitcodes.OK


PLAN_EPILOG = epilog(
    "gapbench plan frontier                           # sweeps/frontier.yaml: runs, skips, cost",
    "gapbench plan sweeps/frontier.yaml --limit 20 --epochs 3",
    "gapbench plan --model gpt-5 --model smollm2 --suite humaneval --concurrency 8",
    notes=(
        "Prints what `run` would do (as `run --dry-run`) and, per deployment, the estimated\n"
        "input and output tokens, cost and wall time of the samples left to run. Tokens per\n"
        "sample come from stored runs of the same model and suite, else of other models, else\n"
        "the suite's declared token_profile (suite.yaml); each run says which. Cost: tokens x\n"
        "the registry's $/M prices (no cache discount assumed) plus $/hour x wall time for\n"
        "local hardware. Wall time: per-sample latency measured on the deployment, divided by\n"
        "its concurrency. Unknown numbers are '?' with the reason. Spends nothing; exit 0."
    ),
)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "plan",
        parents=[common],
        help="what a sweep would run and skip, and its estimated tokens, cost and wall time",
        description="Plan a sweep file, or --model/--suite, and price it: per deployment, "
        "estimated tokens, cost and wall time, with where each number came from. Spends "
        "nothing.",
        epilog=PLAN_EPILOG,
    )
    add_sweep_arguments(p)
    p.set_defaults(func=cmd_plan)
