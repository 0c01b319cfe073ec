"""tau2-bench's rules as gapbench's tau2 loop and reward apply them, case by case (no model,
no official package: the slices in test_tau2_fidelity.py compare with tau2-bench itself).
Each case is one where inspect_evals' port decides the other way."""

from __future__ import annotations

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser
from inspect_ai.tool import ToolCall
from inspect_evals.tau2.data_model.tasks import Action, EvaluationCriteria, Task

from harness.runners.inspect_tasks.tau2.loop import MAX_ERRORS, MAX_STEPS, Counters
from harness.runners.inspect_tasks.tau2.reward import action_matches, missing_info


def _call(name: str, **arguments: object) -> ToolCall:
    return ToolCall(id="c", function=name, arguments=dict(arguments))


def _task(info: list[str]) -> Task:
    return Task(
        id="t",
        user_scenario={"instructions": "x"},
        evaluation_criteria=EvaluationCriteria(communicate_info=info),
    )  # type: ignore[arg-type]


def test_actions_compare_the_arguments_the_call_passed() -> None:
    action = Action(action_id="a", name="toggle_data", arguments={"on": True}, requestor="user")
    # tau2 compares only the keys the call passed (compare_args unset): a call without the
    # argument matches, one with another value does not, and either side's call counts
    assert action_matches(action, _call("toggle_data"))
    assert not action_matches(action, _call("toggle_data", on=False))
    assert not action_matches(action, _call("toggle_data", on=True, extra=1))
    assert not action_matches(action, _call("user_toggle_data", on=True))  # exact names
    listed = Action(action_id="b", name="f", arguments={"xs": [1, 2]})
    assert not action_matches(listed, _call("f", xs=[2, 1]))  # lists in order (==)
    anything = Action(
        action_id="c", name="transfer_to_human_agents", arguments={"s": "x"}, compare_args=[]
    )
    assert action_matches(anything, _call("transfer_to_human_agents", s="y"))


def test_facts_are_looked_for_in_each_agent_message_with_text() -> None:
    task = _task(["1,628", "refund of 50"])
    with_call = ChatMessageAssistant(
        content="Your refund of 50 is on its way", tool_calls=[_call("send_certificate")]
    )
    # commas are removed from the message, not from the fact: "1,628" can never be found
    told = ChatMessageAssistant(content="The total is 1,628.")
    assert missing_info(task, [with_call, told]) == ["1,628"]
    # a fact split over two messages is not told; a user's message does not count
    split = [ChatMessageAssistant(content="refund"), ChatMessageAssistant(content="of 50")]
    assert missing_info(
        _task(["refund of 50"]), [*split, ChatMessageUser(content="refund of 50")]
    ) == ["refund of 50"]


def test_conversation_ends_at_max_steps_and_max_errors_as_tau2_orders_them() -> None:
    c = Counters(steps=MAX_STEPS - 1)
    c.termination = "user_stop"  # the user's stop message is step 200...
    c.steps += 1
    c.after_step()
    assert c.termination == "max_steps"  # ...and tau2's check after it overrides the stop
    e = Counters(errors=MAX_ERRORS - 1)
    e.after_step()
    assert e.termination is None
    e.errors += 1
    e.after_step()
    assert e.termination == "too_many_errors"  # in all, not in a row
