"""tau2-bench (airline, retail, telecom) through inspect_evals, with the data it ships.

The dataset, policies and tools are inspect_evals' own (exactly upstream's). The conversation
loop (loop.py) and the reward (reward.py) follow tau2-bench's orchestrator and evaluator, which
inspect_evals' port does not in several ways that change scores (bench/fidelity/fixed.yaml):
how a conversation ends (max steps, max tool errors, failed replies score 0), which messages
count as telling the customer a fact, and how expected actions are matched. Besides:

- A failed model call or an exceeded limit ends the sample and propagates, so inspect records
  it as an error or a limit. inspect_evals' loop catches every exception, prints it and goes
  on, which turns a dead endpoint or a token limit into a silently wrong answer.
- The user simulator is the model role "user" and is required: the sweep pins one simulator
  for every agent model (an agent that also plays its own user would not be comparable).
- The simulator's max_tokens is bounded too (inspect only applies the task's generate config
  to the model under test).
- Each sample carries h (expected actions) and, after the run, steps (agent tool calls).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, GenerateConfig, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import Tool
from inspect_ai.util import store_as
from inspect_evals.tau2.airline.agents import get_domain_policy as _airline_policy
from inspect_evals.tau2.airline.tools import all_airline_tools
from inspect_evals.tau2.common.agents import StoredAgentState
from inspect_evals.tau2.retail.agents import get_domain_policy as _retail_policy
from inspect_evals.tau2.retail.tools import all_retail_tools
from inspect_evals.tau2.tau2 import tau2_airline, tau2_retail, tau2_telecom
from inspect_evals.tau2.telecom.agents import get_domain_policy as _telecom_policy
from inspect_evals.tau2.telecom.solver import telecom_initializer
from inspect_evals.tau2.telecom.tools import all_telecom_agent_tools
from inspect_evals.tau2.telecom.user_tools import all_telecom_user_tools

from harness.errors import UserError
from harness.runners.inspect_tasks import register
from harness.runners.inspect_tasks.tau2.loop import TERMINATION_KEY, Counters, converse
from harness.runners.inspect_tasks.tau2.reward import tau2_reward
from harness.suites.spec import SuiteLimits, SuiteSpec

if TYPE_CHECKING:
    from harness.runners.base import RunContext

# Copied verbatim from inspect_evals.tau2.common.agents.user_simulator_agent: the agent's
# system prompt must stay identical to upstream's.
_AGENT_INSTRUCTIONS = """<instructions>
    You are a customer service agent that helps the user according to the <policy> provided below.
    In each turn you can either:
    - Send a message to the user.
    - Make a tool call.
    You cannot do both at the same time.

    Try to be helpful and always follow the policy. Always make sure you generate valid JSON only.
    </instructions>
    {policy}
    """


@dataclass(frozen=True)
class Tau2Domain:
    name: str
    instance: str  # store key of the agent's conversation (read by inspect_evals' scorers)
    upstream: Callable[..., Task]  # inspect_evals' task: dataset and scorer
    policy: Callable[[], str]
    agent_tools: Callable[[], list[Tool]]
    user_tools: Callable[[], list[Tool]]
    setup: Callable[[], list[Solver]]  # solvers run before the conversation


DOMAINS: dict[str, Tau2Domain] = {
    "airline": Tau2Domain(
        name="airline",
        instance="AirlineAgent",
        upstream=tau2_airline,
        policy=_airline_policy,
        agent_tools=lambda: [t() for t in all_airline_tools],
        user_tools=list,
        setup=list,
    ),
    "retail": Tau2Domain(
        name="retail",
        instance="RetailAgent",
        upstream=tau2_retail,
        policy=_retail_policy,
        agent_tools=lambda: [t() for t in all_retail_tools],
        user_tools=list,
        setup=list,
    ),
    "telecom": Tau2Domain(
        name="telecom",
        instance="TelecomAgent",
        upstream=tau2_telecom,
        policy=lambda: _telecom_policy(workflow=False),
        agent_tools=lambda: [t() for t in all_telecom_agent_tools],
        user_tools=lambda: [t() for t in all_telecom_user_tools],
        setup=lambda: [telecom_initializer()],
    ),
}


def expected_actions(metadata: dict[str, Any]) -> list[dict[str, Any]]:
    """tau2's expected actions for a sample: [{name, arguments, requestor, ...}, ...]."""
    criteria = metadata["task"].get("evaluation_criteria") or {}
    actions = criteria.get("actions") or []
    return [a if isinstance(a, dict) else a.model_dump() for a in actions]


# inspect selects samples by fnmatch pattern, so "[" and "]" in an id (telecom's ids look
# like "[service_issue]airplane_mode_on|...[PERSONA:None]") would be read as a character class
# and match nothing. gapbench's id swaps them for parentheses; metadata keeps tau2's own id.
_GLOB_FREE = str.maketrans({"[": "(", "]": ")"})


def sample_id(tau2_id: str) -> str:
    """gapbench's stable sample id for a tau2 task id (identical unless it has brackets)."""
    return tau2_id.translate(_GLOB_FREE)


def _with_h(sample: Sample) -> Sample:
    metadata = dict(sample.metadata or {})
    metadata["h"] = len(expected_actions(metadata))
    metadata["tau2_id"] = str(sample.id)
    return sample.model_copy(update={"id": sample_id(str(sample.id)), "metadata": metadata})


def _dataset(upstream: Task, domain: str) -> MemoryDataset:
    return MemoryDataset([_with_h(s) for s in upstream.dataset], name=f"tau2_{domain}")


def tau2_dataset(domain: str) -> MemoryDataset:
    """The domain's base split, in upstream file order (stable ids), each sample with h."""
    return _dataset(DOMAINS[domain].upstream(shuffle=False), domain)


def _agent_tool_calls(stored: StoredAgentState) -> int:
    return sum(
        len(m.tool_calls or []) for m in stored.messages if isinstance(m, ChatMessageAssistant)
    )


@solver
def tau2_conversation(domain: str, user_max_tokens: int) -> Solver:
    """The simulated user (role "user") and the agent (the model under test) take turns, by
    tau2-bench's rules (loop.py)."""
    spec = DOMAINS[domain]

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        agent_model = get_model()
        user_model = get_model(
            role="user",
            required=True,
            config=GenerateConfig(temperature=0.0, max_tokens=user_max_tokens),
        )
        stored = store_as(StoredAgentState, spec.instance)
        stored.messages = [
            ChatMessageSystem(content=_AGENT_INSTRUCTIONS.format(policy=spec.policy()))
        ]
        counters = Counters()
        try:
            last_user = await converse(
                (user_model, state.messages, spec.user_tools()),
                (agent_model, spec.agent_tools()),
                stored,
                counters,
            )
            if last_user is not None:
                state.output = last_user
        finally:
            # Recorded even when a limit ends the sample: steps taken before the limit.
            state.metadata["steps"] = _agent_tool_calls(stored)
            state.metadata[TERMINATION_KEY] = counters.termination or "limit"
            state.metadata["tau2_steps"] = counters.steps
            state.metadata["tau2_tool_errors"] = counters.errors
            if counters.notes:
                state.metadata["tau2_notes"] = counters.notes
        return state

    return solve


def tau2_task(domain: str, limits: SuiteLimits) -> Task:
    """A tau2 domain as an inspect Task, with the suite's per-sample limits.

    tau2's own max_steps ends conversations (loop.py); message_limit is only a backstop on
    each conversation inspect checks at generate time; token_limit counts the agent's and the
    user's tokens together.
    """
    if domain not in DOMAINS:
        raise KeyError(f"unknown tau2 domain '{domain}' (known: {', '.join(DOMAINS)})")
    spec = DOMAINS[domain]
    upstream = spec.upstream(shuffle=False)
    return Task(
        dataset=_dataset(upstream, domain),
        solver=[
            *spec.setup(),
            tau2_conversation(domain, user_max_tokens=limits.max_tokens),
        ],
        scorer=tau2_reward(domain),
        config=GenerateConfig(max_tokens=limits.max_tokens, temperature=limits.temperature),
        message_limit=limits.message_limit,
        token_limit=limits.token_limit,
        time_limit=int(limits.time_limit_s) if limits.time_limit_s else None,
        name=f"tau2_{domain}",
        version=upstream.version,
        metadata=upstream.metadata,
    )


def _factory(domain: str, suite: SuiteSpec, ctx: RunContext | None) -> Task:
    # ctx is None when only the dataset is wanted (listing sample ids): no simulator needed.
    if ctx is not None and ctx.user is None:
        raise UserError(
            f"suite {suite.name} needs a user simulator: set user_simulator in the sweep "
            "(one model, the same for every agent)"
        )
    return tau2_task(domain, suite.limits)


@register("tau2_airline")
def airline_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return _factory("airline", suite, ctx)


@register("tau2_retail")
def retail_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return _factory("retail", suite, ctx)


@register("tau2_telecom")
def telecom_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return _factory("telecom", suite, ctx)
