"""Does the ladder measure what it claims? Known-competence agents (bench/fidelity/ladder_agents.py)
through the real path, and the same agents simulated at scale.

    python -m bench.fidelity ladder [--replicates R] [--seed S]

1. Horizon recovery. For p in PS, agents whose every agentic step succeeds with probability p
   (true h50 = ln 0.5 / ln p) run on the whole ladder. The production `horizons()` gives each
   an h50 and a 95% CI; coverage is how often the CI holds the truth. For p = 0.99 the truth
   (69 steps) lies beyond the largest rung (32): the right answer there is a bound.
2. The paired test's power. A closed agent (p = 0.95) and an open one (p = 0.90) answer the
   standard form equally well (0.99^h at every rung): the open model's deficit is agentic
   only. The production `ladder()` test detects it when the pooled D's CI lies above 0.
   Power at the ladder's size, the type-I error (both p = 0.95), and the items per rung
   that 80% power needs, by simulation over ladder sizes (and by the normal approximation).

The first REAL_REPLICATES replicates of each p go through the real path (fake endpoint,
runner, proxy, store); every one of their samples is compared with the agent's own
prediction. All replicates are also simulated from the agents' coins (the same coins, so the
real-path replicates are reproduced exactly), which is what makes thousands of replicates
and other ladder sizes affordable. Results: bench/fidelity/results/ladder/{horizon,power}.json.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Any

from bench.fidelity.ladder_agents import KnownAgent
from bench.fidelity.ladder_path import Entrant, compare, run_through_path, simulate
from bench.fidelity.ladder_stats import (
    analytic_items_per_rung,
    horizon_summary,
    power_summary,
    true_d,
)
from harness.analysis.horizon import H50_CI_METHOD
from harness.config import REPO_ROOT
from harness.suites import ladder as ladder_suite
from harness.suites.registry import load_suite

FULL_REPLICATES = 1000  # simulated replicates per p (the first REAL_REPLICATES also run for real)
REAL_REPLICATES = 10
POWER_REPLICATES = 400  # simulated pairs per ladder size
PS = (0.80, 0.90, 0.95, 0.99)
STANDARD = tuple((h, round(0.99**h, 6)) for h in ladder_suite.HORIZONS)
CLOSED_P, OPEN_P = 0.95, 0.90
SIZES = (10, 15, 20, 25, 30, 40, 50, 60)  # items per rung for the power curve
OLD_SIZE = 10  # the ladder's size before issue 21 (60 items)


def agents(p: float, n: int, seed: int, start: int = 0) -> list[KnownAgent]:
    return [KnownAgent(p, STANDARD, seed=seed, replicate=r) for r in range(start, n)]


def entrants(p: float, n: int, seed: int, start: int = 0) -> list[Entrant]:
    """The p = CLOSED_P agents are the closed side of the power pairs, p = OPEN_P the open
    side (both also run the standard form); the others run the agentic form only."""
    access = "closed" if p == CLOSED_P else "open"
    forms = ("agentic", "standard") if p in (CLOSED_P, OPEN_P) else ("agentic",)
    return [Entrant(a, access, forms) for a in agents(p, n, seed, start)]  # type: ignore[arg-type]


def pairs_of(es: list[Entrant]) -> list[tuple[str, str]]:
    closed = [e.agent.name for e in es if e.agent.p == CLOSED_P]
    opened = [e.agent.name for e in es if e.agent.p == OPEN_P]
    return list(zip(closed, opened, strict=True))


def _by_name(es: list[Entrant]) -> dict[str, KnownAgent]:
    return {e.agent.name: e.agent for e in es}


def real_path_part(per_rung: int, n: int, seed: int, workdir: Path) -> dict[str, Any]:
    es = [e for p in PS for e in entrants(p, n, seed)]
    started = time.monotonic()
    stored = run_through_path(es, per_rung, workdir)
    wall = time.monotonic() - started
    expected = sum(len(e.forms) for e in es) * per_rung * len(ladder_suite.HORIZONS)
    agree = compare(stored, _by_name(es), expected)
    by_p = {
        f"{p:g}": horizon_summary(stored, _by_name([e for e in es if e.agent.p == p])) for p in PS
    }
    print(f"ladder: real path {len(stored)} samples in {wall:.0f} s", flush=True)
    return {
        "replicates_per_p": n,
        "samples": len(stored),
        "samples_expected": expected,
        "compared": agree.compared,
        "equal_to_prediction": agree.equal,
        "not_scored": agree.not_scored,
        "differences": list(agree.examples),
        "horizon_by_p": by_p,
        "power": power_summary(stored, pairs_of(es)),
    }


def horizon_part(per_rung: int, n: int, seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in sorted({per_rung, OLD_SIZE}):
        for method in ("isotonic", "logistic"):
            rows = {}
            for p in PS:
                es = entrants(p, n, seed)
                sim = simulate(es, size)
                rows[f"{p:g}"] = horizon_summary(sim, _by_name(es), method=method)  # type: ignore[arg-type]
            out[f"{method}@{size}"] = rows
            print(f"ladder: horizons {method} at {size} per rung done", flush=True)
    return out


def power_part(per_rung: int, n: int, seed: int) -> dict[str, Any]:
    closed = agents(CLOSED_P, n, seed)
    opened = agents(OPEN_P, n, seed)
    null_open = [KnownAgent(CLOSED_P, STANDARD, seed=seed + 1, replicate=r) for r in range(n)]
    effect = true_d(closed[0], opened[0])
    curve = []
    for size in sorted({*SIZES, per_rung}):
        es = [Entrant(a, "closed", ("agentic", "standard")) for a in closed] + [
            Entrant(a, "open", ("agentic", "standard")) for a in opened
        ]
        sim = simulate(es, size)
        pairs = [(c.name, o.name) for c, o in zip(closed, opened, strict=True)]
        row = {"items_per_rung": size, **power_summary(sim, pairs)}
        curve.append(row)
        print(f"ladder: power at {size} per rung: {row['rate']}", flush=True)
    es = [Entrant(a, "closed", ("agentic", "standard")) for a in closed] + [
        Entrant(a, "open", ("agentic", "standard")) for a in null_open
    ]
    null = power_summary(
        simulate(es, per_rung), [(c.name, o.name) for c, o in zip(closed, null_open, strict=True)]
    )
    needed = _crossing([(r["items_per_rung"], r["rate"]) for r in curve], 0.8)
    others = []
    for cp, op in ((0.97, 0.95), (0.95, 0.93), (0.99, 0.97), (0.90, 0.80)):
        c, o = KnownAgent(cp, STANDARD), KnownAgent(op, STANDARD)
        others.append(
            {
                "closed_p": cp,
                "open_p": op,
                "true_d": round(true_d(c, o), 4),
                "analytic_items_per_rung": math.ceil(analytic_items_per_rung(c, o)),
            }
        )
    return {
        "effect": {
            "closed_p": CLOSED_P,
            "open_p": OPEN_P,
            "standard": "0.99^h for both, at every rung",
            "true_d": round(effect, 4),
        },
        "pairs_per_size": n,
        "curve": curve,
        "at_size": next(r for r in curve if r["items_per_rung"] == per_rung),
        "at_old_size": next(r for r in curve if r["items_per_rung"] == OLD_SIZE),
        "type1": null,
        "items_per_rung_for_80": needed,
        "analytic_items_per_rung_for_80": math.ceil(analytic_items_per_rung(closed[0], opened[0])),
        "other_effects": others,
    }


def _crossing(curve: list[tuple[int, Any]], target: float) -> float | None:
    """The smallest items per rung whose simulated power reaches target, interpolated
    linearly between the sizes on either side (None when no size reaches it)."""
    prev = None
    for size, rate in curve:
        if rate is not None and rate >= target:
            if prev is None or prev[1] is None:
                return float(size)
            s0, r0 = prev
            return round(s0 + (target - r0) / (rate - r0) * (size - s0), 1)
        prev = (size, rate)
    return None


def run(
    replicates: int, seed: int, real_replicates: int | None = None
) -> dict[str, dict[str, Any]]:
    """The whole study -> {"horizon": ..., "power": ...} (the JSON files' contents)."""
    per_rung = ladder_suite.ITEMS_PER_H
    version = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml").version
    n_real = min(replicates, REAL_REPLICATES if real_replicates is None else real_replicates)
    workdir = Path(
        os.environ.get("GAPBENCH_FIDELITY_WORKDIR", Path.home() / ".cache" / "gapbench-fidelity")
    )
    real = real_path_part(per_rung, n_real, seed, workdir / f"ladder-s{seed}")
    common = {
        "seed": seed,
        "suite_version": version,
        "rungs": list(ladder_suite.HORIZONS),
        "items_per_rung": per_rung,
        "level": 0.95,
    }
    horizon = {
        **common,
        "ci_method": H50_CI_METHOD,
        "replicates_per_p": replicates,
        "ps": list(PS),
        "real_path": real,
        "simulated": horizon_part(per_rung, replicates, seed),
    }
    power = {
        **common,
        "real_path": {"pairs": n_real, **real["power"]},
        **power_part(per_rung, min(replicates, POWER_REPLICATES), seed),
    }
    return {"horizon": horizon, "power": power}
