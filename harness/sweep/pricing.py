"""A plan that prices itself: estimated tokens, dollars and wall time before anything runs.

For each planned run, the samples that will call a model (its todo less what the rows cache
copies) times a per-sample profile, taken from the first source that has one:

1. stored: this model: own stored samples of the same model on the same suite (any
   deployment or version; the run's own finished samples included);
2. stored: other models: own stored samples of the suite by any model (tokens depend on the
   model: its tokenizer and verbosity; a rough guide, and said so);
3. declared: the suite's `token_profile:` in its suite.yaml;
4. none: no estimate (the run is listed, its numbers are unknown).

Only samples that ended scored or limit enter a profile (an error stops early and would make a
sample look cheap); canaries are left out. Dollars: tokens times the deployment's registry
prices ($/M input and output tokens; the cached-input discount is not assumed, so API costs
are an upper side estimate), plus local hardware's $/hour times the deployment's wall time.
Wall time: per-sample seconds measured on stored samples of the same deployment and suite,
else the deployment's measured output tokens per second on any suite applied to the
estimated output tokens, divided by the deployment's concurrency (its max_connections, capped
by the sweep's concurrency). Deployments run side by side: the sweep takes as long as its
slowest deployment. Calls of a tau2 user simulator are not included.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from harness.models import Deployment
from harness.store import Store
from harness.sweep.plan import Plan, PlannedRun

ProfileSource = Literal["stored: this model", "stored: other models", "declared", "none"]
TimeSource = Literal["stored: this deployment and suite", "stored: this deployment", "none"]


@dataclass(frozen=True)
class Measured:
    """Means over stored scored/limit samples of one (model, deployment, suite) group."""

    model_id: str
    deployment_id: str
    suite: str
    n: int
    input_tokens: float  # sums, so that groups combine exactly
    output_tokens: float
    steps: float
    n_steps: int
    latency_s: float
    n_latency: int


@dataclass(frozen=True)
class SampleProfile:
    """What one sample is expected to take, and where that came from."""

    input_tokens: float
    output_tokens: float
    turns: float | None
    source: ProfileSource
    detail: str  # e.g. "12 stored samples of gpt-5 on humaneval"


@dataclass(frozen=True)
class RunEstimate:
    run: PlannedRun
    n_samples: int  # samples that will call a model
    profile: SampleProfile | None
    input_tokens: float | None
    output_tokens: float | None
    token_cost_usd: float | None  # tokens x $/M; None: no profile or no token price
    seconds: float | None  # serial: n_samples x seconds per sample
    time_source: TimeSource
    time_detail: str


@dataclass(frozen=True)
class DeploymentEstimate:
    deployment: Deployment
    concurrency: int
    runs: tuple[RunEstimate, ...]
    input_tokens: float | None  # None: some run has no profile
    output_tokens: float | None
    cost_usd: float | None  # None: unknown (a missing profile, price or wall time)
    wall_s: float | None
    price_note: str  # how the cost was made, or why it is unknown
    known_cost_usd: float = 0.0  # the part of the cost that is known (runs with a profile)


@dataclass(frozen=True)
class PlanEstimate:
    deployments: tuple[DeploymentEstimate, ...]
    budget_usd: float | None

    @property
    def n_samples(self) -> int:
        return sum(r.n_samples for d in self.deployments for r in d.runs)

    @property
    def total_cost_usd(self) -> float | None:
        """Sum over deployments; None when any deployment that will run has an unknown cost."""
        costs = [d.cost_usd for d in self.deployments if any(r.n_samples for r in d.runs)]
        return None if any(c is None for c in costs) else float(sum(c or 0.0 for c in costs))

    @property
    def known_cost_usd(self) -> float:
        """The known part of the cost (runs with a profile and a price)."""
        return float(sum(d.known_cost_usd for d in self.deployments))

    @property
    def wall_s(self) -> float | None:
        """Deployments run side by side: the slowest one (None when any is unknown)."""
        walls = [d.wall_s for d in self.deployments if any(r.n_samples for r in d.runs)]
        if any(w is None for w in walls):
            return None
        return max((w or 0.0 for w in walls), default=0.0)

    def notes(self) -> list[str]:
        out = []
        total = self.total_cost_usd
        if self.budget_usd is not None and total is not None and total > self.budget_usd:
            out.append(
                f"estimated cost ${total:.2f} is above the budget ${self.budget_usd:g}: "
                "the run stops starting samples near the budget"
            )
        if any(r.run.suite.needs_user_simulator for d in self.deployments for r in d.runs):
            out.append("the user simulator's calls (tau2 suites) are not included")
        return out


def measured_profiles(
    store: Store, suites: Iterable[str], deployments: Iterable[str] = ()
) -> list[Measured]:
    """Per (model, deployment, suite): sums of tokens, steps and latency of own stored samples
    that ended scored or limit (newest attempt; canaries out), of the given suites, and of
    any suite for the given deployments (their throughput)."""
    names = sorted(set(suites))
    deps = sorted(set(deployments))
    if not names and not deps:
        return []

    def marks(values: list[str]) -> str:
        return ", ".join("?" for _ in values) or "NULL"

    sql = f"""
        SELECT model_id, deployment_id, suite,
               count(*) AS n,
               sum(input_tokens)::DOUBLE AS input_tokens,
               sum(output_tokens)::DOUBLE AS output_tokens,
               coalesce(sum(steps), 0)::DOUBLE AS steps,
               count(steps) AS n_steps,
               coalesce(sum(latency_s), 0)::DOUBLE AS latency_s,
               count(latency_s) AS n_latency
        FROM samples
        WHERE source = 'own' AND NOT coalesce(canary, false)
          AND status IN ('scored', 'limit')
          AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL
          AND (suite IN ({marks(names)}) OR deployment_id IN ({marks(deps)}))
        GROUP BY model_id, deployment_id, suite
        ORDER BY model_id, deployment_id, suite
    """
    table = store.query(sql, [*names, *deps])
    return [
        Measured(
            model_id=str(r["model_id"]),
            deployment_id=str(r["deployment_id"]),
            suite=str(r["suite"]),
            n=int(r["n"]),
            input_tokens=float(r["input_tokens"]),
            output_tokens=float(r["output_tokens"]),
            steps=float(r["steps"]),
            n_steps=int(r["n_steps"]),
            latency_s=float(r["latency_s"]),
            n_latency=int(r["n_latency"]),
        )
        for r in table.to_pylist()
    ]


def _pooled(rows: Sequence[Measured], source: ProfileSource, what: str) -> SampleProfile | None:
    n = sum(r.n for r in rows)
    if not n:
        return None
    n_steps = sum(r.n_steps for r in rows)
    models = sorted({r.model_id for r in rows})
    return SampleProfile(
        input_tokens=sum(r.input_tokens for r in rows) / n,
        output_tokens=sum(r.output_tokens for r in rows) / n,
        turns=sum(r.steps for r in rows) / n_steps if n_steps else None,
        source=source,
        detail=f"{n} stored samples of {', '.join(models)} on {what}",
    )


def sample_profile(run: PlannedRun, measured: Sequence[Measured]) -> SampleProfile | None:
    """The first source with a profile for this run (module docstring, 1-4)."""
    suite = run.suite
    same_suite = [m for m in measured if m.suite == suite.name]
    mine = [m for m in same_suite if m.model_id == run.card.id]
    profile = _pooled(mine, "stored: this model", suite.name)
    if profile is None:
        profile = _pooled(same_suite, "stored: other models", suite.name)
    if profile is None and suite.token_profile is not None:
        tp = suite.token_profile
        profile = SampleProfile(
            input_tokens=tp.input_tokens,
            output_tokens=tp.output_tokens,
            turns=tp.turns,
            source="declared",
            detail=f"{suite.name}'s suite.yaml: {tp.source}",
        )
    return profile


def _seconds_per_sample(
    run: PlannedRun, profile: SampleProfile | None, measured: Sequence[Measured]
) -> tuple[float | None, TimeSource, str]:
    dep = run.deployment.id
    here = [m for m in measured if m.deployment_id == dep and m.suite == run.suite.name]
    n = sum(m.n_latency for m in here)
    if n:
        return (
            sum(m.latency_s for m in here) / n,
            "stored: this deployment and suite",
            (f"mean latency of {n} stored samples"),
        )
    anywhere = [m for m in measured if m.deployment_id == dep and m.n_latency == m.n]
    seconds = sum(m.latency_s for m in anywhere)
    tokens = sum(m.output_tokens for m in anywhere)
    if profile is not None and seconds > 0 and tokens > 0:
        rate = tokens / seconds
        return (
            profile.output_tokens / rate,
            "stored: this deployment",
            (f"{rate:.1f} output tokens/s measured on {sum(m.n for m in anywhere)} stored samples"),
        )
    return None, "none", "no stored sample of this deployment"


def _concurrency(plan: Plan, dep: Deployment) -> int:
    cap = plan.sweep.concurrency
    return max(1, min(dep.max_connections, cap) if cap else dep.max_connections)


def estimate_run(run: PlannedRun, measured: Sequence[Measured]) -> RunEstimate:
    n = max(0, len(run.todo) - run.n_cached)
    profile = sample_profile(run, measured)
    per_s, time_source, time_detail = _seconds_per_sample(run, profile, measured)
    pricing = run.deployment.pricing
    token_cost = None
    inp = out = None
    if profile is not None:
        inp, out = n * profile.input_tokens, n * profile.output_tokens
        if pricing is not None:
            token_cost = (inp * pricing.input_per_m + out * pricing.output_per_m) / 1e6
    return RunEstimate(
        run=run,
        n_samples=n,
        profile=profile,
        input_tokens=inp,
        output_tokens=out,
        token_cost_usd=token_cost,
        seconds=None if per_s is None else n * per_s,
        time_source=time_source,
        time_detail=time_detail,
    )


def _sum(values: Iterable[float | None]) -> float | None:
    vals = list(values)
    return None if any(v is None for v in vals) else float(sum(v or 0.0 for v in vals))


def estimate_deployment(
    plan: Plan, dep: Deployment, runs: Sequence[RunEstimate]
) -> DeploymentEstimate:
    working = [r for r in runs if r.n_samples]
    conc = _concurrency(plan, dep)
    serial = _sum(r.seconds for r in working)
    wall = None if serial is None else serial / conc
    pricing = dep.pricing
    cost: float | None
    if not working:
        cost, note = 0.0, "nothing to run"
    elif pricing is None:
        cost, note = None, "no price in the registry (deployment pricing unset)"
    else:
        parts: list[float | None] = []
        notes = []
        if pricing.per_token:
            parts.append(_sum(r.token_cost_usd for r in working))
            notes.append(f"${pricing.input_per_m:g}/M in, ${pricing.output_per_m:g}/M out")
        if pricing.usd_per_hour:
            parts.append(None if wall is None else wall * pricing.usd_per_hour / 3600.0)
            notes.append(f"${pricing.usd_per_hour:g}/hour x wall time")
        cost = _sum(parts) if parts else 0.0
        note = " + ".join(notes) or "priced at $0"
        if cost is None:
            note += " (unknown: a run has no token profile or no wall-time estimate)"
    known = sum(r.token_cost_usd or 0.0 for r in working)
    if pricing is not None and pricing.usd_per_hour and wall is not None:
        known += wall * pricing.usd_per_hour / 3600.0
    return DeploymentEstimate(
        deployment=dep,
        concurrency=conc,
        runs=tuple(runs),
        input_tokens=_sum(r.input_tokens for r in working),
        output_tokens=_sum(r.output_tokens for r in working),
        cost_usd=cost,
        wall_s=wall if working else 0.0,
        price_note=note,
        known_cost_usd=cost if cost is not None else known,
    )


def estimate_plan(plan: Plan, store: Store) -> PlanEstimate:
    """The plan's estimated tokens, cost and wall time, per run and per deployment."""
    measured = measured_profiles(
        store, (r.suite.name for r in plan.runs), (r.deployment.id for r in plan.runs)
    )
    by_dep: dict[str, list[RunEstimate]] = {}
    deps: dict[str, Deployment] = {}
    for run in plan.runs:
        deps[run.deployment.id] = run.deployment
        by_dep.setdefault(run.deployment.id, []).append(estimate_run(run, measured))
    return PlanEstimate(
        deployments=tuple(estimate_deployment(plan, deps[d], rs) for d, rs in by_dep.items()),
        budget_usd=plan.sweep.budget_usd,
    )


def human_seconds(seconds: float | None) -> str:
    """'?' | '45 s' | '12 min' | '3.4 h' | '2.1 days'."""
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
