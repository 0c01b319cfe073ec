"""Agreement of gapbench's tau2 suites (airline, retail, telecom) with tau2-bench's official
evaluator, trajectory by trajectory (issue 21).

    python -m bench.fidelity tau2_airline --n 200      # -> bench/fidelity/results/tau2_airline.json
    python -m bench.fidelity.tau2 score FILE.json      # your own trajectories, both scorers

Trajectories (bench/fidelity/tau2_trajectories.py) are conversation scripts; each is replayed
- by gapbench (tau2_replay.py: a scripted agent and a scripted user simulator served by the
  fake OpenAI-compatible API, through a real sweep: request path, inspect, gapbench's loop,
  the suite's scorer, the store), and
- by tau2-bench itself (tau2_official.py, in .venv-fidelity: tau2.run.run_task with the same
  scripted turns in place of litellm's completion, scored by evaluate_simulation),
and the two rewards are compared.

A trajectory file for `score` is a JSON list of {"domain", "task_id" (tau2's id), "turns":
[{"role": "user"|"assistant", "text": ..., "tool_calls": [{"name", "arguments"}]}],
optionally "key" and "perturbation"}. The printout is one line per trajectory.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.fidelity.agreement import Compared, compare, result
from bench.fidelity.official_env import run_official
from bench.fidelity.replay import GapbenchScore, Trajectory
from bench.fidelity.tau2_replay import gapbench_scores, scenario_key, tagged
from bench.fidelity.tau2_trajectories import AGENT_FALLBACK, USER_FALLBACK, generate
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite

OFFICIAL_SCRIPT = Path(__file__).with_name("tau2_official.py")
DOMAINS = ("airline", "retail", "telecom")
# tau2-bench's CLI defaults (tau2.config.DEFAULT_MAX_STEPS / DEFAULT_MAX_ERRORS)
MAX_STEPS = 200
MAX_ERRORS = 10


def suite_version(domain: str) -> str:
    return load_suite(REPO_ROOT / "tasks" / "agentic" / f"tau2_{domain}" / "suite.yaml").version


def tasks_of(domain: str) -> list[tuple[str, dict[str, Any]]]:
    """[(gapbench sample id, tau2 task as a dict)] in the suite's order."""
    from harness.runners.inspect_tasks.tau2 import tau2_dataset

    return [(str(s.id), dict(s.metadata["task"])) for s in tau2_dataset(domain)]


def scenarios_of(domain: str) -> dict[str, str]:
    """sample id -> the user simulator's system prompt (what identifies it in a request)."""
    from harness.runners.inspect_tasks.tau2 import tau2_dataset

    return {str(s.id): scenario_key(s.input[0].text) for s in tau2_dataset(domain)}  # type: ignore[index, union-attr]


def with_cases(trajectories: Sequence[Trajectory]) -> list[Trajectory]:
    """Each trajectory numbered, `[case N]` in its customer's first message (both sides)."""
    out = []
    for n, t in enumerate(trajectories):
        p = dict(t.payload)
        p["case"] = n
        p["turns"] = tagged(list(p["turns"]), n)
        out.append(Trajectory(t.key, t.sample_id, t.perturbation, p, t.detail))
    return out


def official_scores(
    trajectories: Sequence[Trajectory], *, make: bool = True
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """key -> tau2's result ({reward, termination, breakdown, error, messages}); its identity."""
    payload = {
        "items": [
            {
                "key": t.key,
                "domain": t.payload["domain"],
                "task_id": t.payload["task_id"],
                "turns": t.payload["turns"],
            }
            for t in trajectories
        ],
        "max_steps": MAX_STEPS,
        "max_errors": MAX_ERRORS,
        "agent_fallback": AGENT_FALLBACK,
        "user_fallback": USER_FALLBACK,
    }
    out = run_official(OFFICIAL_SCRIPT, payload, make=make)
    return out["results"], out["official"]


def score_both(
    domain: str, trajectories: Sequence[Trajectory], *, concurrency: int = 4, make: bool = True
) -> tuple[list[Compared], dict[str, str], dict[str, dict[str, Any]]]:
    """Both scorers on the same trajectories: (comparisons, tau2's identity, its results)."""
    numbered = with_cases(trajectories)
    official, meta = official_scores(numbered, make=make)
    gapbench = gapbench_scores(
        f"tau2_{domain}", numbered, scenarios_of(domain), concurrency=concurrency
    )
    rewards = {k: float(v["reward"]) for k, v in official.items()}
    return compare(numbered, gapbench, rewards), meta, official


def explain(t: Trajectory, g: GapbenchScore, official: float) -> tuple[str, str, str] | None:
    """Causes of disagreements of a known kind (the fixed ones: bench/fidelity/fixed.yaml)."""
    if g.status == "limit":
        return (
            "gapbench's own budget (suite.yaml token or time limit) ended the conversation; "
            "tau2-bench has none",
            "open",
            f"{t.detail}; gapbench: {g.error}",
        )
    if g.status == "error":
        return ("the sample errored in gapbench (not a score)", "open", f"{t.detail}; {g.error}")
    return None


def run_domain(domain: str, n: int, seed: int) -> dict[str, Any]:
    trajectories = generate(domain, tasks_of(domain), n, seed)
    compared, meta, _ = score_both(domain, trajectories)
    return result(f"tau2_{domain}", suite_version(domain), meta, compared, seed, explain)


def _load_file(path: Path) -> list[Trajectory]:
    items = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, item in enumerate(items):
        domain = item["domain"]
        from harness.runners.inspect_tasks.tau2 import sample_id

        sid = sample_id(str(item["task_id"]))
        key = item.get("key") or f"{sid}#{i}"
        payload = {"domain": domain, "task_id": str(item["task_id"]), "turns": item["turns"]}
        out.append(Trajectory(key, sid, item.get("perturbation", "file"), payload))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fidelity.tau2")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("score", help="score a JSON file of trajectories both ways")
    sc.add_argument("file", type=Path)
    args = ap.parse_args(argv)
    trajectories = _load_file(args.file)
    for domain in DOMAINS:
        mine = [t for t in trajectories if t.payload["domain"] == domain]
        if not mine:
            continue
        compared, _, official = score_both(domain, mine)
        for c in compared:
            o = official[c.trajectory.key]
            print(
                f"{'agree' if c.agree else 'DIFFER'}  {c.trajectory.key}  gapbench={c.gapbench.score} "
                f"({c.gapbench.status})  official={c.official} ({o['termination']})"
            )
    return 0


def run_airline(n: int, seed: int) -> dict[str, Any]:
    return run_domain("airline", n, seed)


def run_retail(n: int, seed: int) -> dict[str, Any]:
    return run_domain("retail", n, seed)


def run_telecom(n: int, seed: int) -> dict[str, Any]:
    return run_domain("telecom", n, seed)


if __name__ == "__main__":
    sys.exit(main())
