"""Agreement of gapbench's agentdojo_utility suite with AgentDojo's own utility checks,
trajectory by trajectory (issue 21).

    python -m bench.fidelity agentdojo_utility --n 200   # -> results/agentdojo_utility.json
    python -m bench.fidelity.agentdojo score FILE.json   # your own trajectories, both scorers

Trajectories (agentdojo_trajectories.py) are the agent's turns; each is replayed
- by gapbench: a scripted model served by the fake OpenAI-compatible API, through a real sweep
  (bench/fidelity/replay.py: request path, inspect, the suite's agent and scorer, the store);
- by AgentDojo itself (agentdojo_official.py, in .venv-fidelity: the v1.2.2 suites, the
  pipeline AgentDojo builds for a model, run_task_without_injection_tasks),
and the two utilities are compared. inspect_evals' suite `workspace_plus` without its sandbox
tasks is AgentDojo's `workspace`.

A file for `score` is a JSON list of {"suite", "task_id" (AgentDojo's number), "turns":
[{"text": ..., "tool_calls": [{"name", "arguments"}]}], optionally "key", "perturbation"}.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from copy import deepcopy
from pathlib import Path
from typing import Any

from bench.fidelity.agentdojo_trajectories import FALLBACK, Task, Turn, generate
from bench.fidelity.agreement import Compared, compare, result
from bench.fidelity.official_env import run_official
from bench.fidelity.replay import GapbenchScore, Trajectory, replay_suite
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from tests.fakeapi import Conversation, Reply, ToolCall

SUITE = "agentdojo_utility"
OFFICIAL_SCRIPT = Path(__file__).with_name("agentdojo_official.py")
BENCHMARK_VERSION = "v1.2.2"  # AgentDojo's CLI default; the prompts of inspect_evals' copy
OFFICIAL_SUITE = {"workspace_plus": "workspace"}


def suite_version() -> str:
    return load_suite(REPO_ROOT / "tasks" / "agentic" / SUITE / "suite.yaml").version


def tasks() -> list[Task]:
    """Every task of the suite with its ground truth on the default environment."""
    from inspect_evals.agentdojo.dataset import TASK_SUITES

    out = []
    for name in ("banking", "slack", "travel", "workspace_plus"):
        suite: Any = TASK_SUITES[name]
        env = suite.load_and_inject_default_environment(suite.get_injection_vector_defaults())
        for task_id, user_task in suite.user_tasks.items():
            if user_task.REQUIRES_SANDBOX:
                continue
            calls = [(c.function, dict(c.arguments)) for c in user_task.ground_truth(deepcopy(env))]
            answer = user_task.GROUND_TRUTH_OUTPUT or ""
            out.append(Task(f"{name}-u{task_id}", name, str(task_id), calls, answer))
    return out


def prompts() -> dict[str, str]:
    """The user's prompt -> sample id (every prompt is distinct)."""
    from inspect_evals.agentdojo.dataset import TASK_SUITES

    out = {}
    for name in ("banking", "slack", "travel", "workspace_plus"):
        for task_id, user_task in TASK_SUITES[name].user_tasks.items():
            out[" ".join(user_task.PROMPT.split())] = f"{name}-u{task_id}"
    return out


def next_turn(turns: list[Turn], done: int) -> Turn:
    return turns[done] if done < len(turns) else {"role": "assistant", "text": FALLBACK}


def reply_for(t: Trajectory, conv: Conversation) -> Reply:
    done = sum(1 for turn in conv.turns if turn.role == "assistant")
    turn = next_turn(t.payload["turns"], done)
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in turn.get("tool_calls") or [])
    return Reply(text=turn.get("text") or "", tool_calls=calls)


def gapbench_scores(trajectories: Sequence[Trajectory]) -> dict[str, GapbenchScore]:
    by_prompt = prompts()

    def sample_of(conv: Conversation) -> str | None:
        return by_prompt.get(" ".join(conv.first_user_text().split()))

    return replay_suite(SUITE, trajectories, reply_for, sample_of)


def official_scores(
    trajectories: Sequence[Trajectory], *, make: bool = True
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    payload = {
        "version": BENCHMARK_VERSION,
        "fallback": FALLBACK,
        "items": [
            {
                "key": t.key,
                "suite": OFFICIAL_SUITE.get(t.payload["suite"], t.payload["suite"]),
                "task_id": t.payload["task_id"],
                "turns": t.payload["turns"],
            }
            for t in trajectories
        ],
    }
    out = run_official(OFFICIAL_SCRIPT, payload, make=make)
    return out["results"], out["official"]


def official_value(r: dict[str, Any]) -> float:
    """AgentDojo's utility as a score; -1 when its run raised (it gives no utility then)."""
    return -1.0 if r["utility"] is None else float(r["utility"])


def score_both(
    trajectories: Sequence[Trajectory], *, make: bool = True
) -> tuple[list[Compared], dict[str, str], dict[str, dict[str, Any]]]:
    """Both scorers on the same trajectories: (comparisons, AgentDojo's identity, its results)."""
    official, meta = official_scores(trajectories, make=make)
    gapbench = gapbench_scores(trajectories)
    values = {k: official_value(v) for k, v in official.items()}
    return compare(trajectories, gapbench, values), meta, official


MALFORMED_CAUSE = (
    "AgentDojo gives the run no utility: its OpenAI model adapter parses tool-call arguments "
    "with json.loads into a FunctionCall (agentdojo/agent_pipeline/llms/openai_llm.py:115, "
    "_openai_to_tool_call), and the JSONDecodeError, or the ValidationError of arguments that "
    "are JSON but not an object, ends run_task_with_pipeline "
    "(benchmark.run_task_without_injection_tasks catches only API errors). gapbench, as "
    "inspect does, answers the call with the parse error and scores the rest of the run"
)


def explain(t: Trajectory, g: GapbenchScore, official: float) -> tuple[str, str, str] | None:
    """Causes of the disagreements left (official -1: AgentDojo's run raised)."""
    if official < 0 and _has_malformed_call(t):
        return MALFORMED_CAUSE, "upstream-defect", f"{t.detail}; turns: {_turns_text(t)}"
    return None


def _has_malformed_call(t: Trajectory) -> bool:
    return any(
        isinstance(c["arguments"], str)
        for turn in t.payload["turns"]
        for c in turn.get("tool_calls") or []
    )


def _turns_text(t: Trajectory) -> str:
    import json

    text = json.dumps(t.payload["turns"])
    return text if len(text) <= 600 else text[:600] + "..."


def run(n: int, seed: int) -> dict[str, Any]:
    trajectories = generate(tasks(), n, seed)
    compared, meta, _ = score_both(trajectories)
    out = result(SUITE, suite_version(), meta, compared, seed, explain)
    # official_mean over the runs AgentDojo scored (-1 marks a run it gave no utility)
    for name, tally in out["by_perturbation"].items():
        scored = [
            c.official for c in compared if c.trajectory.perturbation == name and c.official >= 0
        ]
        tally["official_mean"] = round(sum(scored) / len(scored), 4) if scored else -1.0
    return out


def _load_file(path: Path) -> list[Trajectory]:
    import json

    items = json.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, item in enumerate(items):
        sid = f"{item['suite']}-u{item['task_id']}"
        turns = [{"role": "assistant", **t} for t in item["turns"]]
        payload = {"suite": item["suite"], "task_id": str(item["task_id"]), "turns": turns}
        out.append(
            Trajectory(
                item.get("key") or f"{sid}#{i}", sid, item.get("perturbation", "file"), payload
            )
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.fidelity.agentdojo")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("score", help="score a JSON file of trajectories both ways")
    sc.add_argument("file", type=Path)
    args = ap.parse_args(argv)
    compared, _, official = score_both(_load_file(args.file))
    for c in compared:
        o = official[c.trajectory.key]
        print(
            f"{'agree' if c.agree else 'DIFFER'}  {c.trajectory.key}  gapbench={c.gapbench.score} "
            f"({c.gapbench.status})  official={o['utility']}{' (' + o['error'] + ')' if o['error'] else ''}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
