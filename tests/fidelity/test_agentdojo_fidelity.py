"""AgentDojo utility: gapbench's scores against AgentDojo's own harness and utility checks,
which really run (agentdojo's run_task_without_injection_tasks on the v1.2.2 suites, in
.venv-fidelity). The full run (200+ trajectories) is `python -m bench.fidelity
agentdojo_utility`; this is the slice CI runs: runs AgentDojo scores in its own way (inspect_evals'
port scored each of them the other way), and the one upstream defect left.
"""

from __future__ import annotations

import pytest

from bench.fidelity import agentdojo
from bench.fidelity.agentdojo_trajectories import MAX_ITERS, Turn
from bench.fidelity.replay import Trajectory

pytestmark = pytest.mark.usefixtures("fidelity_python")


def _gold(sample_id: str) -> tuple[list[Turn], agentdojo.Task]:
    task = next(t for t in agentdojo.tasks() if t.sample_id == sample_id)
    turns: list[Turn] = [
        {"role": "assistant", "tool_calls": [{"name": n, "arguments": a}]} for n, a in task.calls
    ]
    return [*turns, {"role": "assistant", "text": task.answer or "Done."}], task


def _traj(task: agentdojo.Task, name: str, turns: list[Turn]) -> Trajectory:
    payload = {"suite": task.suite, "task_id": task.task_id, "turns": turns}
    return Trajectory(f"{task.sample_id}:{name}", task.sample_id, name, payload)


def test_utility_agrees_with_agentdojo() -> None:
    # workspace 13: appends to a file; the port hid the file's size change from the check
    w13, t13 = _gold("workspace_plus-u13")
    # banking 1 (one read): an unknown argument, which AgentDojo drops and inspect refused
    b1, tb1 = _gold("banking-u1")
    b1_extra = [
        {
            "role": "assistant",
            "tool_calls": [
                {
                    **b1[0]["tool_calls"][0],
                    "arguments": {**b1[0]["tool_calls"][0]["arguments"], "note": "x"},
                }
            ],
        },
        *b1[1:],
    ]
    # slack 0: more rounds of tool calls than AgentDojo's loop runs, the work after them
    s0, ts0 = _gold("slack-u0")
    filler = {"role": "assistant", "tool_calls": [{"name": "get_channels", "arguments": {}}]}
    s0_long = [filler] * MAX_ITERS + s0
    # workspace 18 (a calendar event): the answer is missing, so AgentDojo runs the task
    # again, on the environment as left: the event is created three times
    tr0, ttr0 = _gold("workspace_plus-u18")
    tr0_silent = [*tr0[:-1], {"role": "assistant", "text": ""}]
    # banking 2: malformed tool-call JSON, which AgentDojo's harness cannot score
    b2, tb2 = _gold("banking-u2")
    b2_bad = [
        {"role": "assistant", "tool_calls": [{**b2[0]["tool_calls"][0], "arguments": '{"n": 1'}]},
        *b2,
    ]
    trajs = [
        _traj(t13, "gold", w13),
        _traj(tb1, "unknown_argument", b1_extra),
        _traj(ts0, "long_run", s0_long),
        _traj(ttr0, "no_answer", tr0_silent),
        _traj(tb2, "malformed_json", b2_bad),
    ]
    compared, meta, official = agentdojo.score_both(trajs, make=False)
    assert meta["name"] == "agentdojo"
    by_name = {c.trajectory.perturbation: c for c in compared}
    why = {k: (official[c.trajectory.key], c.gapbench) for k, c in by_name.items()}
    expected = {"gold": 1.0, "unknown_argument": 1.0, "long_run": 0.0, "no_answer": 0.0}
    assert {k: by_name[k].official for k in expected} == expected, why
    assert {k: by_name[k].gapbench.score for k in expected} == expected, why
    bad = by_name["malformed_json"]
    assert bad.official == -1.0 and "JSONDecodeError" in official[bad.trajectory.key]["error"]
    assert bad.gapbench.status == "scored", why  # a model's mistake is scored, never an error
    cause = agentdojo.explain(bad.trajectory, bad.gapbench, bad.official)
    assert cause is not None and cause[1] == "upstream-defect"
