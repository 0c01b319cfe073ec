"""AgentDojo utility tasks (no prompt injections, no docker) through inspect_evals.

inspect_evals' `agentdojo` data with `with_injections=False, with_sandbox_tasks="no"`: the 96
user tasks of the banking, slack, travel and workspace_plus suites (AgentDojo v1.2.2's
banking, slack, travel and workspace), with inspect_evals' environments, tools and utility
checks; data inside the package. Needs the `inspect-evals[agentdojo]` extra (email-validator,
deepdiff). Where inspect_evals departs from AgentDojo's own harness, gapbench follows AgentDojo
(bench/fidelity/fixed.yaml): the agent runs in AgentDojo's pipeline (pipeline.py: 15 rounds of
tool calls, a run without a final text repeated up to 3 times, AgentDojo's argument
validation), the utility is computed on the last run (scoring.py), and a defect of the port's
cloud drive is put right (port_fixes.py).

h = number of calls in the task's ground-truth solution, computed on the suite's default
environment (the one every sample starts from).
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING, Any

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig

from harness.runners.inspect_tasks import register
from harness.runners.inspect_tasks.agentdojo import port_fixes
from harness.runners.inspect_tasks.agentdojo.pipeline import agentdojo_agent
from harness.runners.inspect_tasks.agentdojo.scoring import utility_scorer
from harness.suites.spec import SuiteLimits, SuiteSpec

if TYPE_CHECKING:
    from harness.runners.base import RunContext


def _ground_truth_lengths() -> dict[tuple[str, int], int]:
    # Imported here: the environments need email-validator (the agentdojo extra).
    from inspect_evals.agentdojo.dataset import TASK_SUITES

    lengths: dict[tuple[str, int], int] = {}
    for name, suite in TASK_SUITES.items():
        env: Any = suite.load_and_inject_default_environment(suite.get_injection_vector_defaults())
        for task_id, user_task in suite.user_tasks.items():
            lengths[(name, int(task_id))] = len(user_task.ground_truth(deepcopy(env)))
    return lengths


def agentdojo_task(limits: SuiteLimits, agent: str = "default") -> Task:
    """The utility-only AgentDojo task; `agent="ground_truth"` replays the solutions (tests)."""
    from inspect_evals.agentdojo import agentdojo

    port_fixes.apply()
    upstream = agentdojo(with_injections=False, with_sandbox_tasks="no", agent=agent)
    lengths = _ground_truth_lengths()
    samples: list[Sample] = []
    for sample in upstream.dataset:
        metadata = dict(sample.metadata or {})
        metadata["h"] = lengths[(str(metadata["task_suite_name"]), int(metadata["task_id"]))]
        samples.append(sample.model_copy(update={"metadata": metadata}))
    return Task(
        dataset=MemoryDataset(samples, name="agentdojo_utility"),
        setup=upstream.setup,
        solver=agentdojo_agent() if agent == "default" else upstream.solver,
        scorer=utility_scorer(),
        config=GenerateConfig(max_tokens=limits.max_tokens, temperature=limits.temperature),
        message_limit=limits.message_limit,
        token_limit=limits.token_limit,
        time_limit=int(limits.time_limit_s) if limits.time_limit_s else None,
        name="agentdojo_utility",
        version=upstream.version,
        metadata=upstream.metadata,
    )


@register("agentdojo_utility")
def utility_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return agentdojo_task(suite.limits)
