"""tau2 trajectories for the agreement runs: gold, null and perturbed conversations.

A trajectory is a conversation script, engine-neutral: a list of turns, each one message of
one side, `{"role": "user"|"assistant", "text": str, "tool_calls": [{"name", "arguments"}]}`
(`arguments` a dict, or a string sent as it is: malformed JSON). Tool results are not part of
it: each side's environment computes them. Both scorers replay the same turns with scripted
players (bench/fidelity/tau2_replay.py for gapbench, tau2_official.py for tau2-bench): each
side, when asked, answers its next turn; a side with no turns left answers a fixed fallback
(the agent AGENT_FALLBACK, the user USER_FALLBACK, which ends the conversation).

Gold comes from the task's expected actions: the agent makes its own actions as tool calls,
asks the customer to make the user-side ones (telecom), and ends with a message stating every
fact in communicate_info. Null: the agent helps with nothing. Perturbed: gold with mistakes
(see PERTURBATIONS), one or several at a time.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from bench.fidelity.replay import Trajectory

Turn = dict[str, Any]

AGENT_FALLBACK = "Is there anything else I can help you with?"
USER_FALLBACK = "That's all, thank you. ###STOP###"
OPENER = "Hi, I need help with my request."
CLOSER = "Thank you. ###STOP###"
NULL_REPLY = "Sorry, I cannot help with that."

# Tools that change the database (or the device); anything else only reads.
WRITES: dict[str, frozenset[str]] = {
    "airline": frozenset(
        {
            "book_reservation",
            "cancel_reservation",
            "send_certificate",
            "update_reservation_baggages",
            "update_reservation_flights",
            "update_reservation_passengers",
        }
    ),
    "retail": frozenset(
        {
            "cancel_pending_order",
            "exchange_delivered_order_items",
            "modify_pending_order_address",
            "modify_pending_order_items",
            "modify_pending_order_payment",
            "modify_user_address",
            "return_delivered_order_items",
        }
    ),
    "telecom": frozenset(
        {
            "refuel_data",
            "enable_roaming",
            "disable_roaming",
            "send_payment_request",
            "resume_line",
            "suspend_line",
            # the customer's phone
            "toggle_airplane_mode",
            "toggle_roaming",
            "toggle_data",
            "set_network_mode_preference",
            "toggle_data_saver_mode",
            "disconnect_vpn",
            "reseat_sim_card",
            "reset_apn_settings",
            "reboot_device",
            "make_payment",
            "grant_app_permission",
            "toggle_wifi_calling",
        }
    ),
}
READS: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "airline": (("list_all_airports", {}), ("calculate", {"expression": "2 + 2"})),
    "retail": (("list_all_product_types", {}), ("calculate", {"expression": "2 + 2"})),
    "telecom": (("get_customer_by_id", {"customer_id": "C1001"}),),
}


@dataclass(frozen=True)
class Step:
    requestor: str  # "assistant" | "user"
    name: str
    arguments: Any  # dict, or a string (malformed JSON)


@dataclass
class Plan:
    """What a conversation does, before it becomes turns."""

    domain: str
    steps: list[Step]
    final: str  # the agent's last message
    closer: str = CLOSER
    info_on_last_call: bool = False  # the final text rides on the agent's last tool call
    parallel: int = 1  # calls of one side per message
    extra_turns: list[tuple[int, Turn]] = field(default_factory=list)  # (position, turn)


def task_actions(task: dict[str, Any]) -> list[dict[str, Any]]:
    return list((task.get("evaluation_criteria") or {}).get("actions") or [])


def communicate_info(task: dict[str, Any]) -> list[str]:
    return list((task.get("evaluation_criteria") or {}).get("communicate_info") or [])


def gold_plan(domain: str, task: dict[str, Any]) -> Plan:
    steps = [
        Step(a.get("requestor") or "assistant", a["name"], copy.deepcopy(a["arguments"]))
        for a in task_actions(task)
    ]
    info = communicate_info(task)
    final = "Your request is complete." + (" " + " ".join(info) if info else "")
    return Plan(domain, steps, final)


def _calls(steps: list[Step]) -> Turn:
    return {
        "role": steps[0].requestor,
        "tool_calls": [{"name": s.name, "arguments": s.arguments} for s in steps],
    }


def render(plan: Plan) -> list[Turn]:
    """The plan as turns: the agent keeps the floor through its tool calls and hands it over
    with a message; the customer makes its own calls, then says it is done."""
    turns: list[Turn] = [{"role": "user", "text": OPENER}]
    i = 0
    steps = plan.steps
    while i < len(steps):
        j = i
        while j < len(steps) and steps[j].requestor == steps[i].requestor:
            j += 1
        group = steps[i:j]
        calls = [_calls(group[k : k + plan.parallel]) for k in range(0, len(group), plan.parallel)]
        if group[0].requestor == "user":
            names = ", ".join(s.name for s in group)
            turns.append({"role": "assistant", "text": f"Please do this on your phone: {names}."})
            turns.extend(calls)
            turns.append({"role": "user", "text": "Done."})
        else:
            turns.extend(calls)
        i = j
    last_agent_call = max(
        (k for k, t in enumerate(turns) if t["role"] == "assistant" and t.get("tool_calls")),
        default=None,
    )
    if plan.info_on_last_call and last_agent_call is not None:
        turns[last_agent_call] = {**turns[last_agent_call], "text": plan.final}
        turns.append({"role": "assistant", "text": AGENT_FALLBACK})
    else:
        turns.append({"role": "assistant", "text": plan.final})
    turns.append({"role": "user", "text": plan.closer})
    for pos, turn in sorted(plan.extra_turns, key=lambda x: x[0], reverse=True):
        turns.insert(min(pos, len(turns) - 1), turn)
    return turns


def null_turns() -> list[Turn]:
    return [
        {"role": "user", "text": OPENER},
        {"role": "assistant", "text": NULL_REPLY},
        {"role": "user", "text": CLOSER},
    ]


# --- argument mutations ---------------------------------------------------------------------


def _wrong_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([1, -1, 100])
    if isinstance(value, float):
        return round(value + rng.choice([0.5, 1.0, -1.0]), 2)
    if isinstance(value, str):
        if value and value[-1].isdigit():
            return value[:-1] + str((int(value[-1]) + 1) % 10)
        return value + "x" if value else "x"
    if isinstance(value, list):
        if not value:
            return ["x"]
        out = copy.deepcopy(value)
        k = rng.randrange(len(out))
        if len(out) > 1 and rng.random() < 0.5:
            del out[k]
        else:
            out[k] = _wrong_value(out[k], rng)
        return out
    if isinstance(value, dict):
        if not value:
            return {"x": 1}
        out = copy.deepcopy(value)
        k = rng.choice(sorted(out))
        out[k] = _wrong_value(out[k], rng)
        return out
    return "x"


def _wrong_type(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return rng.choice(["true" if value else "false", int(value)])
    if isinstance(value, int):
        return rng.choice([str(value), float(value)])
    if isinstance(value, float):
        return rng.choice([str(value), int(value)]) if value == int(value) else str(value)
    if isinstance(value, str):
        if value.lstrip("-").replace(".", "", 1).isdigit():
            return json.loads(value)
        return rng.choice([[value], {"value": value}])
    if isinstance(value, list):
        if value and rng.random() < 0.5:
            # one element's type changed (a number as a string inside an object, ...)
            out = copy.deepcopy(value)
            k = rng.randrange(len(out))
            out[k] = _wrong_type(out[k], rng)
            return out
        return json.dumps(value)
    if isinstance(value, dict):
        if value and rng.random() < 0.5:
            out = copy.deepcopy(value)
            k = rng.choice(sorted(out))
            out[k] = _wrong_type(out[k], rng)
            return out
        return json.dumps(value)
    return str(value)


def _with_args(steps: list[Step], rng: random.Random) -> list[int]:
    return [i for i, s in enumerate(steps) if isinstance(s.arguments, dict) and s.arguments]


def _prefer_writes(plan: Plan, idx: list[int], rng: random.Random) -> int:
    writes = [i for i in idx if plan.steps[i].name in WRITES[plan.domain]]
    return rng.choice(writes if writes and rng.random() < 0.8 else idx)


# --- perturbations ---------------------------------------------------------------------------
# Each takes (plan, rng, context) and returns a detail string, or None when it does not apply
# to this task (the generator then picks another).


@dataclass(frozen=True)
class Context:
    domain: str
    task: dict[str, Any]
    foreign_writes: list[Step]  # write actions of other tasks of the domain


def p_wrong_value(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    idx = _with_args(plan.steps, rng)
    if not idx:
        return None
    i = _prefer_writes(plan, idx, rng)
    s = plan.steps[i]
    k = rng.choice(sorted(s.arguments))
    args = {**s.arguments, k: _wrong_value(s.arguments[k], rng)}
    plan.steps[i] = replace(s, arguments=args)
    return f"{s.name}.{k}: {json.dumps(s.arguments[k])[:80]} -> {json.dumps(args[k])[:80]}"


def p_wrong_type(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    idx = _with_args(plan.steps, rng)
    if not idx:
        return None
    i = _prefer_writes(plan, idx, rng)
    s = plan.steps[i]
    k = rng.choice(sorted(s.arguments))
    args = {**s.arguments, k: _wrong_type(s.arguments[k], rng)}
    plan.steps[i] = replace(s, arguments=args)
    return f"{s.name}.{k}: {json.dumps(s.arguments[k])[:80]} -> {json.dumps(args[k])[:80]}"


def p_missing_arg(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    idx = _with_args(plan.steps, rng)
    if not idx:
        return None
    i = _prefer_writes(plan, idx, rng)
    s = plan.steps[i]
    k = rng.choice(sorted(s.arguments))
    plan.steps[i] = replace(s, arguments={a: v for a, v in s.arguments.items() if a != k})
    return f"{s.name} without {k}"


def p_extra_arg(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    if not plan.steps:
        return None
    i = rng.randrange(len(plan.steps))
    s = plan.steps[i]
    if not isinstance(s.arguments, dict):
        return None
    plan.steps[i] = replace(s, arguments={**s.arguments, "note": "urgent"})
    return f"{s.name} with an unknown argument 'note'"


def p_float_for_int(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """An integer written as a float (2 -> 2.0) or a float with an integral value as an int."""
    found = [
        (i, k)
        for i, s in enumerate(plan.steps)
        if isinstance(s.arguments, dict)
        for k, v in s.arguments.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v == int(v)
    ]
    if not found:
        return None
    i, k = rng.choice(found)
    s = plan.steps[i]
    v = s.arguments[k]
    new = float(v) if isinstance(v, int) else int(v)
    plan.steps[i] = replace(s, arguments={**s.arguments, k: new})
    return f"{s.name}.{k}: {v!r} -> {new!r}"


def p_list_reordered(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    found = [
        (i, k)
        for i, s in enumerate(plan.steps)
        if isinstance(s.arguments, dict)
        for k, v in s.arguments.items()
        if isinstance(v, list) and len(v) > 1 and v != v[::-1]
    ]
    if not found:
        return None
    i, k = rng.choice(found)
    s = plan.steps[i]
    plan.steps[i] = replace(s, arguments={**s.arguments, k: list(reversed(s.arguments[k]))})
    return f"{s.name}.{k} in reverse order"


def p_swap_order(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    pairs = [
        i
        for i in range(len(plan.steps) - 1)
        if plan.steps[i].requestor == plan.steps[i + 1].requestor
        and plan.steps[i].name != plan.steps[i + 1].name
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    plan.steps[i], plan.steps[i + 1] = plan.steps[i + 1], plan.steps[i]
    return f"{plan.steps[i + 1].name} and {plan.steps[i].name} swapped"


def p_drop_call(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    if not plan.steps:
        return None
    i = _prefer_writes(plan, list(range(len(plan.steps))), rng)
    s = plan.steps.pop(i)
    return f"{s.requestor} never calls {s.name}"


def p_duplicate_write(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    writes = [i for i, s in enumerate(plan.steps) if s.name in WRITES[plan.domain]]
    if not writes:
        return None
    i = rng.choice(writes)
    plan.steps.insert(i + 1, plan.steps[i])
    return f"{plan.steps[i].name} called twice"


def p_foreign_write(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    if not ctx.foreign_writes:
        return None
    step = rng.choice(ctx.foreign_writes)
    pos = rng.randint(0, len(plan.steps))
    plan.steps.insert(pos, step)
    return f"extra {step.requestor} call {step.name}({json.dumps(step.arguments)[:120]})"


def p_extra_read(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    name, args = rng.choice(READS[plan.domain])
    pos = rng.randint(0, len(plan.steps))
    plan.steps.insert(pos, Step("assistant", name, dict(args)))
    return f"extra read {name}"


def p_unknown_tool(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    pos = rng.randint(0, len(plan.steps))
    plan.steps.insert(pos, Step("assistant", "delete_all_records", {"confirm": True}))
    return "a call to a tool that does not exist"


def p_error_burst(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """k failing calls (tau2 ends a conversation at its 10th tool error: max_errors)."""
    k = rng.choice([3, 9, 10, 12])
    pos = rng.randint(0, len(plan.steps))
    bad = {
        "airline": "get_user_details",
        "retail": "get_order_details",
        "telecom": "get_customer_by_id",
    }
    arg = {"airline": "user_id", "retail": "order_id", "telecom": "customer_id"}[plan.domain]
    for n in range(k):
        plan.steps.insert(pos, Step("assistant", bad[plan.domain], {arg: f"no_such_{n}"}))
    return f"{k} failing {bad[plan.domain]} calls"


def p_step_flood(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """Many harmless calls: past tau2's max_steps (200) the conversation ends unfinished."""
    k = rng.choice([60, 95, 110])
    name, args = READS[plan.domain][0]
    pos = rng.randint(0, len(plan.steps))
    for _ in range(k):
        plan.steps.insert(pos, Step("assistant", name, dict(args)))
    return f"{k} extra {name} calls"


def p_no_final_info(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    plan.final = "Your request is complete."
    return "final message without the facts to communicate"


def p_wrong_final_info(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    info = communicate_info(ctx.task)
    if not info:
        return None
    k = rng.randrange(len(info))
    wrong = [_wrong_value(x, rng) if j == k else x for j, x in enumerate(info)]
    plan.final = "Your request is complete. " + " ".join(str(x) for x in wrong)
    return f"communicated {wrong[k]!r} instead of {info[k]!r}"


def p_info_formatted(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The facts in another form: thousands separators, upper case, a currency sign."""
    info = communicate_info(ctx.task)
    if not info:
        return None
    style = rng.choice(["commas", "upper", "dollar", "decimals"])
    out = []
    for x in info:
        if style == "commas" and x.replace(".", "", 1).isdigit():
            whole, _, frac = x.partition(".")
            out.append(f"{int(whole):,}" + (f".{frac}" if frac else ""))
        elif style == "upper":
            out.append(x.upper())
        elif style == "dollar":
            out.append(f"${x}")
        elif style == "decimals" and x.isdigit():
            out.append(f"{x}.00")
        else:
            out.append(x)
    plan.final = "Your request is complete. " + " ".join(out)
    return f"facts written {style}: {out}"


def p_info_on_tool_call(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The final facts in the text of a message that also makes a tool call."""
    if not communicate_info(ctx.task) or not any(s.requestor == "assistant" for s in plan.steps):
        return None
    plan.info_on_last_call = True
    return "facts stated in the text of the agent's last tool-call message"


def p_info_split(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """Each fact in its own message (the conversation goes on between them)."""
    info = communicate_info(ctx.task)
    if len(info) < 2:
        return None
    plan.final = "Your request is complete. " + info[-1]
    for x in info[:-1]:
        plan.extra_turns.append((10_000, {"role": "assistant", "text": f"Note: {x}"}))
        plan.extra_turns.append((10_000, {"role": "user", "text": "OK."}))
    return "facts spread over several messages"


def p_truncated(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The customer leaves after k of the steps (the rest never happen)."""
    if not plan.steps:
        return None
    k = rng.randrange(len(plan.steps))
    del plan.steps[k:]
    plan.final = "One moment please."
    return f"conversation ends after {k} of the steps"


def p_stop_variant(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    token = rng.choice(["###TRANSFER###", "###OUT-OF-SCOPE###"])
    plan.closer = f"OK. {token}"
    return f"customer ends with {token}"


def p_early_stop(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The customer stops mid-conversation (a stop token in a message before the end)."""
    if not plan.steps:
        return None
    k = rng.randrange(len(plan.steps) + 1)
    plan.extra_turns.append((1 + k, {"role": "user", "text": "Never mind. ###STOP###"}))
    plan.extra_turns.append((1 + k, {"role": "assistant", "text": "Shall I go on?"}))
    return f"customer stops after {k} steps"


def p_malformed_json(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    idx = [i for i, s in enumerate(plan.steps) if s.requestor == "assistant"]
    if not idx:
        return None
    i = rng.choice(idx)
    s = plan.steps[i]
    text = json.dumps(s.arguments)
    bad = rng.choice(
        [
            text[: max(1, len(text) // 2)],  # cut short
            text.replace('"', "'"),  # Python quotes
            text + "}",  # one brace too many
            text + '"',  # a stray quote after the object (inspect recovers it)
            json.dumps(list(s.arguments.values()) if isinstance(s.arguments, dict) else []),
            "null",  # JSON, but not an object
        ]
    )
    plan.steps[i] = replace(s, arguments=bad)
    return f"{s.name} with malformed JSON arguments {bad[:60]!r}"


def p_empty_message(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    plan.final = ""
    return "the agent's final message is empty"


def p_transfer(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    pos = rng.randint(0, len(plan.steps))
    plan.steps.insert(
        pos, Step("assistant", "transfer_to_human_agents", {"summary": "Customer needs help."})
    )
    return f"transfer_to_human_agents after {pos} steps"


def p_wrong_side(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """A step made by the other side (the agent calls a phone tool, or the customer an
    account tool): the tool is not theirs."""
    if not plan.steps:
        return None
    i = rng.randrange(len(plan.steps))
    s = plan.steps[i]
    other = "assistant" if s.requestor == "user" else "user"
    plan.steps[i] = replace(s, requestor=other)
    return f"{s.name} called by the {other} instead of the {s.requestor}"


def p_parallel_calls(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """Several calls of one side in one message (one environment step for all of them)."""
    if len(plan.steps) < 2:
        return None
    plan.parallel = rng.choice([2, 3, len(plan.steps)])
    return f"up to {plan.parallel} calls per message"


def p_agent_stop_token(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The agent writes tau2's stop token: tau2's agent never stops by itself."""
    plan.final = plan.final + " ###STOP###"
    return "the agent's last message ends with ###STOP###"


def p_empty_user_message(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """The customer's last message is empty (tau2's user simulator fails on it)."""
    plan.closer = ""
    return "the customer's last message is empty"


def steps_of(turns: list[Turn]) -> int:
    """tau2's step count of a conversation that ends as scripted: every message is a step,
    and so is the environment's answer to each message with tool calls."""
    return len(turns) + sum(1 for t in turns if t.get("tool_calls"))


def p_step_boundary(plan: Plan, rng: random.Random, ctx: Context) -> str | None:
    """Harmless calls added so that the customer's stop is step 199 (scored) or would be 201
    (past tau2's 200: the conversation ends at step 200 unfinished)."""
    target = rng.choice([199, 201])
    base = steps_of(render(plan))
    if base > target or (target - base) % 2:
        return None
    name, args = READS[plan.domain][0]
    k = (target - base) // 2
    pos = rng.randint(0, len(plan.steps))
    for _ in range(k):
        plan.steps.insert(pos, Step("assistant", name, dict(args)))
    return f"{k} extra {name} calls: the stop would be step {target}"


Perturbation = Callable[[Plan, random.Random, Context], "str | None"]

PERTURBATIONS: dict[str, Perturbation] = {
    "wrong_value": p_wrong_value,
    "wrong_type": p_wrong_type,
    "missing_arg": p_missing_arg,
    "extra_arg": p_extra_arg,
    "float_for_int": p_float_for_int,
    "list_reordered": p_list_reordered,
    "swap_order": p_swap_order,
    "drop_call": p_drop_call,
    "duplicate_write": p_duplicate_write,
    "foreign_write": p_foreign_write,
    "extra_read": p_extra_read,
    "unknown_tool": p_unknown_tool,
    "error_burst": p_error_burst,
    "step_flood": p_step_flood,
    "no_final_info": p_no_final_info,
    "wrong_final_info": p_wrong_final_info,
    "info_formatted": p_info_formatted,
    "info_on_tool_call": p_info_on_tool_call,
    "info_split": p_info_split,
    "truncated": p_truncated,
    "stop_variant": p_stop_variant,
    "early_stop": p_early_stop,
    "malformed_json": p_malformed_json,
    "empty_message": p_empty_message,
    "transfer": p_transfer,
    "wrong_side": p_wrong_side,
    "parallel_calls": p_parallel_calls,
    "agent_stop_token": p_agent_stop_token,
    "empty_user_message": p_empty_user_message,
    "step_boundary": p_step_boundary,
}


def payload(domain: str, task: dict[str, Any], turns: list[Turn]) -> dict[str, Any]:
    return {"domain": domain, "task_id": str(task["id"]), "turns": turns}


def _foreign_writes(domain: str, tasks: list[dict[str, Any]], own: str) -> list[Step]:
    return [
        Step(a.get("requestor") or "assistant", a["name"], copy.deepcopy(a["arguments"]))
        for t in tasks
        if str(t["id"]) != own
        for a in task_actions(t)
        if a["name"] in WRITES[domain]
    ]


def generate(
    domain: str,
    tasks: list[tuple[str, dict[str, Any]]],
    n: int,
    seed: int,
    *,
    gold_share: float = 0.2,
    null_share: float = 0.12,
    mixed_share: float = 0.15,
) -> list[Trajectory]:
    """n trajectories over `tasks` [(gapbench sample id, tau2 task)], every task in turn:
    gold, null, single perturbations (each kind in turn) and mixes of 2-3 perturbations."""
    rng = random.Random(f"tau2:{domain}:{seed}")
    order = list(tasks)
    rng.shuffle(order)
    all_tasks = [t for _, t in tasks]
    n_gold = max(1, round(n * gold_share))
    n_null = max(1, round(n * null_share))
    n_mixed = round(n * mixed_share)
    kinds = ["gold"] * n_gold + ["null"] * n_null + ["mixed"] * n_mixed
    singles = list(PERTURBATIONS)
    while len(kinds) < n:
        kinds.append(singles[(len(kinds) - n_gold - n_null - n_mixed) % len(singles)])
    out: list[Trajectory] = []
    for i, kind in enumerate(kinds[:n]):
        sample_id, task = order[i % len(order)]
        r = random.Random(f"{seed}:{domain}:{i}")
        ctx = Context(domain, task, _foreign_writes(domain, all_tasks, str(task["id"])))
        turns, name, detail = _make(kind, domain, task, ctx, r, singles)
        key = f"{sample_id}#{i}:{name}"
        out.append(Trajectory(key, sample_id, name, payload(domain, task, turns), detail))
    return out


def _make(
    kind: str,
    domain: str,
    task: dict[str, Any],
    ctx: Context,
    rng: random.Random,
    singles: list[str],
) -> tuple[list[Turn], str, str]:
    if kind == "null":
        return null_turns(), "null", "the agent helps with nothing"
    plan = gold_plan(domain, task)
    if kind == "gold":
        return render(plan), "gold", "the expected actions, then the facts to communicate"
    if kind == "mixed":
        picks = rng.sample(singles, rng.choice([2, 3]))
        details = []
        for name in picks:
            d = PERTURBATIONS[name](plan, rng, ctx)
            if d:
                details.append(f"{name}: {d}")
        return render(plan), "mixed", "; ".join(details) or "no change"
    # a single perturbation; one that does not apply to this task gives way to the next kind
    start = singles.index(kind)
    for j in range(len(singles)):
        name = singles[(start + j) % len(singles)]
        d = PERTURBATIONS[name](plan, rng, ctx)
        if d:
            return render(plan), name, d
        plan = gold_plan(domain, task)
    return render(plan), "gold", "no perturbation applies"
