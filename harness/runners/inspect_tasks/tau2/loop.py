"""The tau2 conversation: the simulated user (model role "user") and the agent take turns, under
tau2-bench's own rules (tau2/orchestrator/orchestrator.py, tau2/utils/llm_utils.py), so that a
conversation ends where and how tau2-bench's would and scores what tau2-bench's would:

- Steps are counted as tau2's orchestrator counts them: every message of either side is one
  step, and so is the environment's answer to a message's tool calls (one step however many
  calls). After a step that is not a message to the environment, tau2 ends the conversation
  with MAX_STEPS once 200 steps are done, or TOO_MANY_ERRORS once 10 tool calls have failed
  (in all, not in a row), even when that step was the user's stop message.
- The user ends the conversation with ###STOP###, ###TRANSFER### or ###OUT-OF-SCOPE### in a
  message without tool calls (USER_STOP). tau2's default agent never stops by itself.
- A reply with neither text nor tool calls is asked again (tau2 retries 3 times); still empty,
  or with tool-call arguments that are not a JSON object (tau2 parses them with json.loads),
  tau2's run fails, which its runner scores 0 (AGENT_ERROR).
Any end but USER_STOP scores 0 (reward.py), as in tau2's evaluate_simulation. The reason is
kept in `state.metadata["tau2_termination"]`; inspect's own limits (tokens, time, messages, a
backstop) end it as "limit".

Transcripts: the sample's messages are the simulated user's side; the agent's own
conversation is in the sample store under the domain's instance name (as in inspect_evals).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from inspect_ai.event import ModelEvent
from inspect_ai.log import transcript
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageTool,
    Model,
    ModelOutput,
    execute_tools,
)
from inspect_ai.tool import Tool
from inspect_ai.util import LimitExceededError
from inspect_evals.tau2.common.agents import (
    StoredAgentState,
    TrajectoryMessage,
    flip_assistant_message_to_user,
)

# tau2.config.DEFAULT_MAX_STEPS, DEFAULT_MAX_ERRORS, DEFAULT_MAX_RETRIES (tau2-bench's CLI).
MAX_STEPS = 200
MAX_ERRORS = 10
EMPTY_RETRIES = 3
# tau2's user simulator stop tokens (tau2/user/user_simulator.py).
STOP_MARKERS = ("###STOP###", "###OUT-OF-SCOPE###", "###TRANSFER###")

TERMINATION_KEY = "tau2_termination"
Termination = Literal[
    "user_stop", "max_steps", "too_many_errors", "agent_error", "user_error", "limit"
]
Side = Literal["user", "assistant"]


@dataclass
class Counters:
    steps: int = 0
    errors: int = 0
    termination: Termination | None = None
    notes: list[str] = field(default_factory=list)

    def after_step(self) -> None:
        """tau2's checks after a step whose message is not for the environment."""
        if self.steps >= MAX_STEPS:
            self.termination = "max_steps"
        if self.errors >= MAX_ERRORS:
            self.termination = "too_many_errors"


class _Failed(Exception):
    """A reply tau2's generate() or message validation would have failed on."""


def _raw_arguments(output: ModelOutput) -> list[Any] | None:
    """The tool-call arguments exactly as the API sent them (OpenAI-style JSON strings), from
    the model event just logged; None when not available (inspect parsed them already)."""
    event = next(
        (e for e in reversed(transcript().history.recent_events(8)) if isinstance(e, ModelEvent)),
        None,
    )
    if event is None or event.call is None or event.output.message.id != output.message.id:
        return None
    response: Any = event.call.response
    try:
        calls = response["choices"][0]["message"].get("tool_calls") or []
        return [_resolved(c.get("function", {}).get("arguments")) for c in calls]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


_ATTACHMENT = "attachment://"


def _resolved(value: Any) -> Any:
    """inspect keeps long strings of an event as `attachment://<hash>`: the text itself, or
    None when it is not at hand (then only inspect's own parse error is checked)."""
    if isinstance(value, str) and value.startswith(_ATTACHMENT):
        return transcript().attachments.get(value[len(_ATTACHMENT) :])
    return value


def _check_reply(output: ModelOutput) -> None:
    message = output.message
    for call in message.tool_calls or []:
        if call.parse_error:
            raise _Failed(f"tool call {call.function}: arguments are not valid JSON")
    for raw in _raw_arguments(output) or []:
        if isinstance(raw, str):
            try:
                parsed = json.loads(raw)
            except ValueError:
                raise _Failed(f"tool-call arguments are not valid JSON: {raw[:80]!r}") from None
            if not isinstance(parsed, dict):
                raise _Failed(f"tool-call arguments are not a JSON object: {raw[:80]!r}")


def _empty(message: ChatMessageAssistant) -> bool:
    return not message.tool_calls and not message.text.strip()


async def _reply(model: Model, messages: list[ChatMessage], tools: list[Tool]) -> ModelOutput:
    output = await model.generate(messages, tools=tools)
    for _ in range(EMPTY_RETRIES):
        if not _empty(output.message):
            break
        output = await model.generate(messages, tools=tools)
    if _empty(output.message):
        raise _Failed("empty reply (no text, no tool call) after retries")
    _check_reply(output)
    return output


async def take_turn(
    side: Side,
    model: Model,
    messages: list[ChatMessage],
    tools: list[Tool],
    trajectory: list[TrajectoryMessage],
    counters: Counters,
) -> ModelOutput | None:
    """One side speaks: its tool calls (each answered by the environment) until a message
    without any. Returns that message, or None when the conversation ended meanwhile."""
    while True:
        try:
            output = await _reply(model, messages, tools)
        except _Failed as exc:
            counters.notes.append(str(exc))
            counters.termination = "agent_error" if side == "assistant" else "user_error"
            return None
        # kept as soon as they exist: a limit mid-turn leaves the transcript and step count
        messages.append(output.message)
        trajectory.append(TrajectoryMessage(role=side, message=output.message))
        counters.steps += 1
        if not output.message.tool_calls:
            return output
        result = await execute_tools(messages, tools)
        messages.extend(result.messages)
        trajectory.extend(TrajectoryMessage(role=side, message=m) for m in result.messages)
        counters.steps += 1  # the environment's answer
        counters.errors += sum(
            1 for m in result.messages if isinstance(m, ChatMessageTool) and m.error is not None
        )
        counters.after_step()
        if counters.termination is not None:
            return None


def is_stop(output: ModelOutput) -> bool:
    return any(marker in output.completion for marker in STOP_MARKERS)


async def converse(
    user: tuple[Model, list[ChatMessage], list[Tool]],
    agent: tuple[Model, list[Tool]],
    stored: StoredAgentState,
    counters: Counters,
) -> ModelOutput | None:
    """Run the conversation to its end; returns the user's last message."""
    user_model, user_messages, user_tools = user
    agent_model, agent_tools = agent
    last_user: ModelOutput | None = None
    try:
        while counters.termination is None:
            out = await take_turn(
                "user", user_model, user_messages, user_tools, stored.trajectory, counters
            )
            if out is None:
                break
            last_user = out
            if is_stop(out):
                counters.termination = "user_stop"
            counters.after_step()  # may override the stop, as tau2's does
            if counters.termination is not None:
                break
            stored.messages.append(flip_assistant_message_to_user(out.message))
            reply = await take_turn(
                "assistant", agent_model, stored.messages, agent_tools, stored.trajectory, counters
            )
            if reply is None:
                break
            user_messages.append(flip_assistant_message_to_user(reply.message))
            counters.after_step()
    except LimitExceededError:
        counters.termination = "limit"
        raise
    return last_user
