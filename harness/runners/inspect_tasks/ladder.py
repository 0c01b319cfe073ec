"""`ladder_agentic`: the horizon ladder's agentic form as an inspect-ai task.

Each sample's lookup table sits behind a `lookup(key)` tool built for that sample (a closure
over the sample's table, so no state is shared between samples). The solver is the plainest
agent loop, identical for every model: system prompt, the tool, and `generate()` resolving
tool calls until the model answers without calling a tool (or a limit stops it). The final
reply is scored by the same `ladder_answer` rule as the standard form.

Per-item budget: an agent may make at most 2h + 4 lookups (twice what is needed, plus
slack), i.e. a conversation of at most 4h + 11 messages (system, user, a call and its result
per lookup, the final answer). Past that the sample ends with status "limit". This scales
with the work the item needs, so a looping agent is stopped after a few turns at h = 1
without starving h = 32 (the suite's message_limit is only a global backstop).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import Score, Target, accuracy, scorer, stderr
from inspect_ai.solver import Generate, TaskState, solver, system_message
from inspect_ai.tool import Tool, ToolDef

from harness.errors import ConfigError
from harness.runners.inspect_tasks import register
from harness.suites import ladder
from harness.suites.scorers import StandardDoc
from harness.suites.scorers.ladder import score_answer

if TYPE_CHECKING:
    from inspect_ai.scorer import Scorer
    from inspect_ai.solver import Solver

    from harness.runners.base import RunContext
    from harness.suites.spec import SuiteSpec

TASK_NAME = "ladder_agentic"


def data_path(suite: SuiteSpec) -> Path:
    if suite.data:
        return (suite.directory / suite.data).resolve()
    return ladder.DATA_DIR / "agentic.jsonl"


def load_samples(path: Path) -> list[Sample]:
    """agentic.jsonl rows -> inspect Samples (id, input prompt, target, metadata h + table)."""
    samples: list[Sample] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read ladder data ({exc.strerror})") from None
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            table = [[str(k), str(v)] for k, v in row["table"]]
            samples.append(
                Sample(
                    id=str(row["id"]),
                    input=str(row["prompt"]),
                    target=str(row["target"]),
                    metadata={"h": int(row["h"]), "table": table, **(row.get("metadata") or {})},
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(path, f"line {i}", f"bad ladder row ({exc})") from None
    return samples


def lookup_tool(table: dict[str, str]) -> Tool:
    """The `lookup(key)` tool over one sample's table."""

    async def execute(key: str) -> str:
        return ladder.lookup(table, key)

    return ToolDef(
        execute,
        name="lookup",
        description="Look up a key in the table. Returns the stored result: another key or a final code.",
        parameters={"key": "The key to look up (a lowercase word)."},
    ).as_tool()


@solver
def ladder_tools() -> Solver:
    """Give the sample its own lookup tool (built from the table in its metadata)."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        table: dict[str, str] = {k: v for k, v in state.metadata["table"]}
        state.tools = [lookup_tool(table)]
        state.tool_choice = "auto"
        return state

    return solve


@scorer(metrics=[accuracy(), stderr()])
def ladder_scorer() -> Scorer:
    """The standard form's `ladder_answer` rule on the agent's final reply."""

    async def score(state: TaskState, target: Target) -> Score:
        doc = StandardDoc(id=str(state.sample_id), prompt="", target=target.text)
        result = score_answer(state.output.completion, doc)
        return Score(value=result.value, answer=result.explanation, explanation=result.explanation)

    return score


def max_lookups(h: int) -> int:
    return 2 * h + 4


def message_budget(h: int) -> int:
    return 2 + 2 * max_lookups(h) + 1


@solver
def ladder_agent() -> Solver:
    """generate() in a tool loop under the item's message budget."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        # Tighten the sample's own limit (a nested scoped limit would shadow the suite's).
        budget = message_budget(int(state.metadata["h"]))
        if state.message_limit is None or budget < state.message_limit:
            state.message_limit = budget
        return await generate(state, tool_calls="loop")

    return solve


def ladder_task(samples: list[Sample], version: str = "1", name: str = TASK_NAME) -> Task:
    return Task(
        dataset=MemoryDataset(samples, name=name),
        solver=[system_message(ladder.SYSTEM_PROMPT), ladder_tools(), ladder_agent()],
        scorer=ladder_scorer(),
        name=name,
        version=version,
    )


@register(TASK_NAME)
def build(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return ladder_task(load_samples(data_path(suite)), version=suite.version, name=suite.name)
