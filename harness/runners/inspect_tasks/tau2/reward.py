"""tau2-bench's reward on an inspect sample (tau2/evaluator/evaluator.py, EvaluationType.ALL).

- A conversation that did not end with the user's stop (max steps, too many tool errors, a
  failed reply, a gapbench limit) scores 0.
- Otherwise the reward is the product, over the task's reward basis, of:
  DB (airline, retail): the database equals the one the expected actions produce (inspect_evals'
  db_match; tau2 replays the conversation's tool calls on a fresh environment, which gives the
  same database as the live one gapbench keeps);
  ENV_ASSERTION (telecom): the task's assertions hold on the final environment (inspect_evals'
  env_assertions);
  ACTION: every expected action matches some tool call of EITHER side, as tau2's
  Action.compare_with_tool_call matches: same name, and equal values on the compared
  arguments, which are the action's compare_args or else the keys the call itself passed;
  COMMUNICATE: every communicate_info string is in some agent message with text (messages that
  also make tool calls included), lower-cased, the message's commas removed.
- NL_ASSERTION needs an LLM judge; tau2's EvaluationType.ALL raises when it is in the reward
  basis, and so does this (the sample is an error, never a score). No task of the base splits
  has it.
inspect_evals' own airline/retail/telecom scorers differ on the last two points (and on the
first): see bench/fidelity/fixed.yaml.
"""

from __future__ import annotations

from typing import Literal, cast

from inspect_ai.model import ChatMessage, ChatMessageAssistant
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.tool import ToolCall
from inspect_ai.util import store_as
from inspect_evals.tau2.common.agents import StoredAgentState
from inspect_evals.tau2.common.metadata import Tau2MetaData
from inspect_evals.tau2.common.scorer import db_match
from inspect_evals.tau2.data_model.tasks import Action, Task
from inspect_evals.tau2.telecom.scorer import env_assertions

from harness.runners.inspect_tasks.tau2.loop import TERMINATION_KEY

FINISHED = ("user_stop", "agent_stop")


def _agent_messages(state: TaskState, instance: str) -> list[ChatMessage]:
    return list(store_as(StoredAgentState, instance).messages)


def all_tool_calls(state: TaskState, instance: str) -> list[ToolCall]:
    """Every tool call of the conversation, the agent's and the simulated user's."""
    calls: list[ToolCall] = []
    for m in [*_agent_messages(state, instance), *state.messages]:
        if isinstance(m, ChatMessageAssistant):
            calls.extend(m.tool_calls or [])
    return calls


def action_matches(action: Action, call: ToolCall) -> bool:
    """tau2's Action.compare_with_tool_call."""
    if action.name != call.function:
        return False
    keys = call.arguments.keys() if action.compare_args is None else action.compare_args
    if len(keys) == 0:
        return True
    got = {k: v for k, v in call.arguments.items() if k in keys}
    want = {k: v for k, v in action.arguments.items() if k in keys}
    return got == want


def missing_actions(task: Task, calls: list[ToolCall]) -> list[Action]:
    actions = (task.evaluation_criteria.actions if task.evaluation_criteria else None) or []
    return [a for a in actions if not any(action_matches(a, c) for c in calls)]


def missing_info(task: Task, agent_messages: list[ChatMessage]) -> list[str]:
    """tau2's CommunicateEvaluator: each string in one agent message with text."""
    infos = (task.evaluation_criteria.communicate_info if task.evaluation_criteria else None) or []
    texts = [
        m.text.lower().replace(",", "")
        for m in agent_messages
        if isinstance(m, ChatMessageAssistant) and m.text.strip()
    ]
    return [info for info in infos if not any(info.lower() in t for t in texts)]


def _value(score: Score | None) -> bool:
    return score is not None and score.value == CORRECT


@scorer(metrics=[accuracy(), stderr()])
def tau2_reward(domain: str) -> Scorer:
    """tau2-bench's reward for a sample of `domain` (module docstring)."""
    db_domain = cast(Literal["retail", "airline"], domain)
    db = db_match(domain=db_domain) if domain in ("airline", "retail") else None
    env = env_assertions() if domain == "telecom" else None

    async def score(state: TaskState, target: Target) -> Score:
        termination = state.metadata.get(TERMINATION_KEY)
        if termination is not None and termination not in FINISHED:
            return Score(
                value=INCORRECT,
                answer=str(termination),
                explanation=f"the conversation ended with {termination}: tau2 scores 0",
            )
        meta = Tau2MetaData.model_validate(state.metadata)
        task = meta.task
        criteria = task.evaluation_criteria
        if criteria is None:
            return Score(value=CORRECT, explanation="the task has no evaluation criteria")
        basis = {str(getattr(b, "value", b)) for b in criteria.reward_basis}
        if "NL_ASSERTION" in basis:
            raise ValueError(
                f"task {task.id}: NL_ASSERTION is in the reward basis (needs an LLM judge)"
            )
        parts: dict[str, bool] = {}
        notes: list[str] = []
        if "DB" in basis:
            if db is None:
                raise ValueError(f"task {task.id}: a DB check is not available for {domain}")
            result = await db(state, target)
            parts["DB"] = _value(result)
        if "ENV_ASSERTION" in basis:
            if env is None:
                raise ValueError(f"task {task.id}: env assertions are not available for {domain}")
            result = await env(state, target)
            parts["ENV_ASSERTION"] = _value(result)
            if not parts["ENV_ASSERTION"] and result is not None and result.explanation:
                notes.append(result.explanation)
        if "ACTION" in basis:
            missing = missing_actions(task, all_tool_calls(state, meta.instance))
            parts["ACTION"] = not missing
            if missing:
                notes.append("missing actions: " + ", ".join(a.action_id for a in missing))
        if "COMMUNICATE" in basis:
            info = missing_info(task, _agent_messages(state, meta.instance))
            parts["COMMUNICATE"] = not info
            if info:
                notes.append("not communicated: " + ", ".join(info))
        ok = all(parts.values())
        summary = ", ".join(f"{k}={int(v)}" for k, v in parts.items())
        return Score(
            value=CORRECT if ok else INCORRECT,
            answer=str(termination) if termination else None,
            explanation="; ".join([summary, *notes]),
        )

    return score
