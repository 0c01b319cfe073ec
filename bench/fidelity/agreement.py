"""Comparing gapbench's scores with the official evaluator's, trajectory by trajectory, into the
results format of bench/fidelity/results/<suite>.json (bench.fidelity.doc.AgreementResult).

Agreement is exact: gapbench's stored score equals the official score (both 0/1 for the
suites here). A gapbench sample that errored never agrees (an error is not a score).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.fidelity.replay import GapbenchScore, Trajectory

Explain = Callable[[Trajectory, GapbenchScore, float], tuple[str, str, str] | None]
"""(trajectory, gapbench, official) -> (cause, status, evidence) for a known disagreement."""


@dataclass(frozen=True)
class Compared:
    trajectory: Trajectory
    gapbench: GapbenchScore
    official: float

    @property
    def agree(self) -> bool:
        return self.gapbench.score is not None and abs(self.gapbench.score - self.official) < 1e-9


def compare(trajectories: Sequence[Trajectory], gapbench: dict[str, GapbenchScore],
            official: dict[str, float]) -> list[Compared]:  # fmt: skip
    missing = GapbenchScore(score=None, status="missing", error="no stored row")
    return [Compared(t, gapbench.get(t.key, missing), official[t.key]) for t in trajectories]


def result(
    suite: str,
    suite_version: str,
    official: dict[str, str],
    compared: Sequence[Compared],
    seed: int,
    explain: Explain | None = None,
) -> dict[str, Any]:
    """The results file's content (commit and generated_by are filled in by __main__)."""
    tallies: dict[str, dict[str, Any]] = {}
    for c in compared:
        t = tallies.setdefault(c.trajectory.perturbation, {"n": 0, "agree": 0, "g": [], "o": []})
        t["n"] += 1
        t["agree"] += int(c.agree)
        if c.gapbench.score is not None:
            t["g"].append(c.gapbench.score)
        t["o"].append(c.official)
    disagreements = []
    for c in compared:
        if c.agree:
            continue
        known = explain(c.trajectory, c.gapbench, c.official) if explain else None
        cause, status, evidence = known or (
            "not yet explained"
            + (f" (gapbench {c.gapbench.status}: {c.gapbench.error})" if c.gapbench.error else ""),
            "open",
            c.trajectory.detail,
        )
        disagreements.append(
            {
                "id": c.trajectory.key,
                "perturbation": c.trajectory.perturbation,
                "gapbench": c.gapbench.score if c.gapbench.score is not None else -1.0,
                "official": c.official,
                "cause": cause,
                "status": status,
                "evidence": evidence,
            }
        )
    return {
        "suite": suite,
        "suite_version": suite_version,
        "official": official,
        "n": len(compared),
        "agree": sum(c.agree for c in compared),
        "seed": seed,
        "by_perturbation": {
            name: {
                "n": t["n"],
                "agree": t["agree"],
                "gapbench_mean": round(sum(t["g"]) / len(t["g"]), 4) if t["g"] else 0.0,
                "official_mean": round(sum(t["o"]) / len(t["o"]), 4) if t["o"] else 0.0,
            }
            for name, t in sorted(tallies.items())
        },
        "disagreements": disagreements,
    }


def pick_samples(ids: Sequence[str], n: int, per_sample: int, seed: int) -> list[str]:
    """ceil(n / per_sample) sample ids drawn without replacement (all of them if fewer)."""
    want = min(len(ids), -(-n // per_sample))
    return sorted(random.Random(seed).sample(list(ids), want), key=list(ids).index)
