"""AgentDojo trajectories for the agreement runs: gold, null and perturbed agent runs.

AgentDojo has no simulated user: the user's prompt opens the conversation and the agent works
until it answers without a tool call. A trajectory is the agent's turns, engine-neutral:
`[{"text": str, "tool_calls": [{"name", "arguments"}]}]` (`arguments` a dict, or a string sent
as it is: malformed JSON). Tool results come from each side's environment. When its turns are
used up the scripted agent answers FALLBACK.

Gold: the task's ground-truth calls (inspect_evals' copy of AgentDojo's, computed on the
suite's default environment), one per message, then the task's GROUND_TRUTH_OUTPUT as the
answer. Null: the agent answers at once, calling nothing. Perturbed: gold with mistakes; the
argument and call mutations are tau2's (tau2_trajectories.py), plus AgentDojo's own ways to
end a run (no answer text, more than 15 rounds of tool calls, all calls in one message, a list
argument written as a string).
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from bench.fidelity.replay import Trajectory
from bench.fidelity.tau2_trajectories import (
    READS,
    WRITES,
    Context,
    Plan,
    Step,
    _wrong_value,
    p_drop_call,
    p_duplicate_write,
    p_extra_arg,
    p_extra_read,
    p_float_for_int,
    p_foreign_write,
    p_list_reordered,
    p_malformed_json,
    p_missing_arg,
    p_swap_order,
    p_unknown_tool,
    p_wrong_type,
    p_wrong_value,
)

Turn = dict[str, Any]
FALLBACK = "Done."
NULL_ANSWER = "I cannot help with that."
SUITES = ("banking", "slack", "travel", "workspace_plus")
# AgentDojo's ToolsExecutionLoop(max_iters=15): the model speaks at most 16 times a run.
MAX_ITERS = 15

WRITES.update(
    {
        "banking": frozenset(
            {
                "schedule_transaction",
                "send_money",
                "update_password",
                "update_scheduled_transaction",
                "update_user_info",
            }
        ),
        "slack": frozenset(
            {
                "add_user_to_channel",
                "invite_user_to_slack",
                "post_webpage",
                "send_channel_message",
                "send_direct_message",
                "remove_user_from_slack",
            }
        ),
        "travel": frozenset(
            {
                "create_calendar_event",
                "reserve_hotel",
                "send_email",
                "cancel_calendar_event",
                "reserve_car_rental",
                "reserve_restaurant",
            }
        ),
        "workspace_plus": frozenset(
            {
                "add_calendar_event_participants",
                "append_to_file",
                "create_calendar_event",
                "create_file",
                "delete_file",
                "reschedule_calendar_event",
                "send_email",
                "share_file",
                "cancel_calendar_event",
                "delete_email",
            }
        ),
    }
)
READS.update(
    {
        "banking": (("get_balance", {}), ("get_iban", {})),
        "slack": (("get_channels", {}),),
        "travel": (("get_user_information", {}),),
        "workspace_plus": (("get_current_day", {}),),
    }
)


@dataclass
class Run:
    """An agent run before it becomes turns."""

    plan: Plan
    parallel: int = 1  # calls per message
    answer_on_last_call: bool = False


def gold_run(suite: str, calls: list[tuple[str, dict[str, Any]]], answer: str) -> Run:
    steps = [Step("assistant", name, copy.deepcopy(args)) for name, args in calls]
    return Run(Plan(suite, steps, answer or FALLBACK))


def render(run: Run) -> list[Turn]:
    turns: list[Turn] = []
    steps = run.plan.steps
    for i in range(0, len(steps), run.parallel):
        group = steps[i : i + run.parallel]
        turns.append(
            {
                "role": "assistant",
                "tool_calls": [{"name": s.name, "arguments": s.arguments} for s in group],
            }
        )
    if run.answer_on_last_call and turns:
        turns[-1] = {**turns[-1], "text": run.plan.final}
        turns.append({"role": "assistant", "text": ""})
    else:
        turns.append({"role": "assistant", "text": run.plan.final})
    return turns


# --- AgentDojo's own perturbations ----------------------------------------------------------

RunPerturbation = Callable[[Run, random.Random, Context], "str | None"]


def _on_plan(f: Callable[[Plan, random.Random, Context], str | None]) -> RunPerturbation:
    def g(run: Run, rng: random.Random, ctx: Context) -> str | None:
        return f(run.plan, rng, ctx)

    return g


def r_no_answer(run: Run, rng: random.Random, ctx: Context) -> str | None:
    run.plan.final = ""
    return "the last message has no text (AgentDojo runs the task again, up to 3 times)"


def r_wrong_answer(run: Run, rng: random.Random, ctx: Context) -> str | None:
    if not run.plan.final or run.plan.final == FALLBACK:
        return None
    words = run.plan.final.split()
    k = rng.randrange(len(words))
    words[k] = str(_wrong_value(words[k], rng))
    run.plan.final = " ".join(words)
    return f"answer changed at word {k}: {run.plan.final[:100]!r}"


def r_answer_formatted(run: Run, rng: random.Random, ctx: Context) -> str | None:
    if not run.plan.final or run.plan.final == FALLBACK:
        return None
    style = rng.choice(["upper", "lower", "padded", "commas"])
    text = run.plan.final
    if style == "upper":
        text = text.upper()
    elif style == "lower":
        text = text.lower()
    elif style == "padded":
        text = f"Here is the answer: {text}. Let me know if you need anything else."
    else:
        text = " ".join(f"{int(w):,}" if w.isdigit() else w for w in text.split())
    run.plan.final = text
    return f"answer written {style}: {text[:100]!r}"


def r_answer_on_last_call(run: Run, rng: random.Random, ctx: Context) -> str | None:
    if not run.plan.steps:
        return None
    run.answer_on_last_call = True
    return "the answer is the text of the last tool-call message; the final message is empty"


def r_truncated(run: Run, rng: random.Random, ctx: Context) -> str | None:
    if not run.plan.steps:
        return None
    k = rng.randrange(len(run.plan.steps))
    del run.plan.steps[k:]
    run.plan.final = "I will continue later."
    return f"the agent stops after {k} calls"


def r_long_run(run: Run, rng: random.Random, ctx: Context) -> str | None:
    """More rounds of tool calls than AgentDojo's loop allows (15)."""
    k = rng.choice([10, 16, 20])
    name, args = READS[run.plan.domain][0]
    pos = rng.randint(0, len(run.plan.steps))
    for _ in range(k):
        run.plan.steps.insert(pos, Step("assistant", name, dict(args)))
    return f"{k} extra {name} calls ({len(run.plan.steps)} rounds in all)"


def r_parallel(run: Run, rng: random.Random, ctx: Context) -> str | None:
    if len(run.plan.steps) < 2:
        return None
    run.parallel = rng.choice([2, 3, len(run.plan.steps)])
    return f"{run.parallel} calls per message"


def r_string_list(run: Run, rng: random.Random, ctx: Context) -> str | None:
    """A list argument written as a Python-literal string ("['a', 'b']")."""
    found = [
        (i, k)
        for i, s in enumerate(run.plan.steps)
        if isinstance(s.arguments, dict)
        for k, v in s.arguments.items()
        if isinstance(v, list) and v
    ]
    if not found:
        return None
    i, k = rng.choice(found)
    s = run.plan.steps[i]
    run.plan.steps[i] = replace(s, arguments={**s.arguments, k: repr(s.arguments[k])})
    return f"{s.name}.{k} as the string {repr(s.arguments[k])[:60]}"


def r_round_boundary(run: Run, rng: random.Random, ctx: Context) -> str | None:
    """Reads added so that the run has exactly 15 rounds of tool calls (all run) or 16 (the
    16th message's calls never run, and the run has no answer)."""
    target = rng.choice([MAX_ITERS, MAX_ITERS + 1])
    k = target - len(run.plan.steps)
    if k < 1:
        return None
    name, args = READS[run.plan.domain][0]
    for _ in range(k):
        run.plan.steps.insert(0, Step("assistant", name, dict(args)))
    return f"{k} extra {name} calls: {target} rounds of tool calls"


PERTURBATIONS: dict[str, RunPerturbation] = {
    "wrong_value": _on_plan(p_wrong_value),
    "wrong_type": _on_plan(p_wrong_type),
    "missing_arg": _on_plan(p_missing_arg),
    "extra_arg": _on_plan(p_extra_arg),
    "float_for_int": _on_plan(p_float_for_int),
    "list_reordered": _on_plan(p_list_reordered),
    "swap_order": _on_plan(p_swap_order),
    "drop_call": _on_plan(p_drop_call),
    "duplicate_write": _on_plan(p_duplicate_write),
    "foreign_write": _on_plan(p_foreign_write),
    "extra_read": _on_plan(p_extra_read),
    "unknown_tool": _on_plan(p_unknown_tool),
    "malformed_json": _on_plan(p_malformed_json),
    "no_answer": r_no_answer,
    "wrong_answer": r_wrong_answer,
    "answer_formatted": r_answer_formatted,
    "answer_on_last_call": r_answer_on_last_call,
    "truncated": r_truncated,
    "long_run": r_long_run,
    "parallel_calls": r_parallel,
    "string_list": r_string_list,
    "round_boundary": r_round_boundary,
}


@dataclass(frozen=True)
class Task:
    sample_id: str  # gapbench's, e.g. "banking-u1"
    suite: str
    task_id: str
    calls: list[tuple[str, dict[str, Any]]]
    answer: str


def payload(task: Task, turns: list[Turn]) -> dict[str, Any]:
    return {"suite": task.suite, "task_id": task.task_id, "turns": turns}


def generate(
    tasks: list[Task],
    n: int,
    seed: int,
    *,
    gold_share: float = 0.2,
    null_share: float = 0.1,
    mixed_share: float = 0.15,
) -> list[Trajectory]:
    """n trajectories, tasks in turn: gold, null, each perturbation in turn, and mixes."""
    rng = random.Random(f"agentdojo:{seed}")
    order = list(tasks)
    rng.shuffle(order)
    n_gold = max(1, round(n * gold_share))
    n_null = max(1, round(n * null_share))
    n_mixed = round(n * mixed_share)
    kinds = ["gold"] * n_gold + ["null"] * n_null + ["mixed"] * n_mixed
    singles = list(PERTURBATIONS)
    while len(kinds) < n:
        kinds.append(singles[(len(kinds) - n_gold - n_null - n_mixed) % len(singles)])
    out: list[Trajectory] = []
    for i, kind in enumerate(kinds[:n]):
        task = order[i % len(order)]
        r = random.Random(f"{seed}:agentdojo:{i}")
        foreign = [
            Step("assistant", name, copy.deepcopy(args))
            for t in tasks
            if t.suite == task.suite and t.sample_id != task.sample_id
            for name, args in t.calls
            if name in WRITES[task.suite]
        ]
        ctx = Context(task.suite, {"id": task.sample_id}, foreign)
        turns, name, detail = _make(kind, task, ctx, r, singles)
        out.append(
            Trajectory(
                f"{task.sample_id}#{i}:{name}", task.sample_id, name, payload(task, turns), detail
            )
        )
    return out


def _make(
    kind: str, task: Task, ctx: Context, rng: random.Random, singles: list[str]
) -> tuple[list[Turn], str, str]:
    if kind == "null":
        return [{"role": "assistant", "text": NULL_ANSWER}], "null", "the agent answers at once"
    run = gold_run(task.suite, task.calls, task.answer)
    if kind == "gold":
        return render(run), "gold", "the ground-truth calls, then the ground-truth answer"
    if kind == "mixed":
        details = []
        for name in rng.sample(singles, rng.choice([2, 3])):
            d = PERTURBATIONS[name](run, rng, ctx)
            if d:
                details.append(f"{name}: {d}")
        return render(run), "mixed", "; ".join(details) or "no change"
    start = singles.index(kind)
    for j in range(len(singles)):
        name = singles[(start + j) % len(singles)]
        d = PERTURBATIONS[name](run, rng, ctx)
        if d:
            return render(run), name, d
        run = gold_run(task.suite, task.calls, task.answer)
    return render(run), "gold", "no perturbation applies"


def describe(turns: list[Turn]) -> str:
    return json.dumps(turns)[:200]
