"""Suites that measure Epoch AI hub benchmarks (standard side), through inspect_evals' own tasks.

Epoch runs its hub evaluations with Inspect, building on inspect_evals' GPQA and MATH, so
these suites use inspect_evals' task definitions (data loader, prompt template, solver and
scorer) unchanged except where a suite.yaml's `protocol:` says otherwise:

- hub_gpqa_diamond: `gpqa_diamond(cot=True)` (simple-evals prompt, fixed choice shuffle).
- hub_math_level_5: `math(levels=[5])` in dataset order, scored by its sympy exact-match
  scorer (its default first scorer asks a model to judge equivalence; a judge that differs
  per run would make the score depend on the judge).
- hub_aime: `aime2024` and `aime2025` (60 real AIME problems) as one task; ids are
  `aime2024/<id>` and `aime2025/<id>`.
- hub_mmlu: `mmlu_0_shot(cot=True)` in dataset order (14,042 questions, minus duplicates).
- hub_hle: `hle` on the text-only questions of the pinned static set, judged by
  inspect_evals' regex judge played by the sweep's pinned auxiliary model (the role "user",
  the sweep's `user_simulator`): one judge for every model, as tau2's user simulator.

Every task is built after its data is known to be on disk (harness.runners.inspect_tasks.hub_data) and with
the network switched off; the suite's limits (max_tokens, temperature) replace the task's own
generate config, identically for every model.
"""

from __future__ import annotations

import importlib
import math as _math
from types import ModuleType
from typing import TYPE_CHECKING, Any

from inspect_ai import Task, task_with
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState

from harness.runners.inspect_tasks import register
from harness.runners.inspect_tasks.hub_data import (
    ensure_hf_dataset,
    ensure_pinned_file,
    network_off,
)
from harness.suites.spec import SuiteSpec

if TYPE_CHECKING:
    from harness.runners.base import RunContext

# The model role that judges HLE answers: the sweep's pinned auxiliary model, passed by the
# inspect runner under the role the user simulator uses (one per sweep, same for every model).
JUDGE_ROLE = "user"


def upstream(module: str) -> ModuleType:
    """An inspect_evals task module by its dotted name (its package re-exports a function of
    the same name, which `import a.b.c as m` would return instead of the module)."""
    return importlib.import_module(f"inspect_evals.{module}")


def with_limits(task: Task, suite: SuiteSpec, **changes: Any) -> Task:
    """The upstream task under the suite's name, with the suite's generate limits."""
    limits = suite.limits
    return task_with(
        task,
        name=suite.name,
        config=GenerateConfig(max_tokens=limits.max_tokens, temperature=limits.temperature),
        **changes,
    )


@register("hub_gpqa_diamond")
def gpqa_diamond_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    gpqa = upstream("gpqa.gpqa")

    ensure_pinned_file(
        suite.name,
        gpqa.GPQA_DIAMOND_DATASET_URL,
        gpqa.GPQA_DIAMOND_DATASET_SHA256,
        gpqa.GPQA_DIAMOND_CACHE_PATH,
    )
    with network_off():
        task = gpqa.gpqa_diamond(cot=True)
    return with_limits(task, suite)


@register("hub_math_level_5")
def math_level_5_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    upstream_math = upstream("math.math")

    ensure_hf_dataset(
        suite.name,
        upstream_math.DATASET_PATH,
        upstream_math.MATH_DATASET_REVISION,
        split="test",
        name="default",
    )
    with network_off():
        task = upstream_math.math(levels=[5], shuffle=False)
    return with_limits(task, suite, scorer=upstream_math.expression_exact_match_sympy())


@register("hub_aime")
def aime_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    a24, a25 = upstream("aime2024.aime2024"), upstream("aime2025.aime2025")

    ensure_hf_dataset(suite.name, a24.DATASET_PATH, a24.AIME2024_DATASET_REVISION, split="train")
    ensure_hf_dataset(suite.name, a25.DATASET_PATH, a25.AIME2025_DATASET_REVISION, split="test")
    with network_off():
        first, second = a24.aime2024(), a25.aime2025()
    samples: list[Sample] = []
    for year, task in (("aime2024", first), ("aime2025", second)):
        for sample in task.dataset:
            metadata = {**(sample.metadata or {}), "year_set": year}
            samples.append(
                sample.model_copy(update={"id": f"{year}/{sample.id}", "metadata": metadata})
            )
    # Both tasks share inspect_evals' AIME prompt, solver and scorer (utils.aime_common).
    return with_limits(first, suite, dataset=MemoryDataset(samples, name=suite.name))


@register("hub_mmlu")
def mmlu_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    mmlu = upstream("mmlu.mmlu")

    ensure_hf_dataset(suite.name, "cais/mmlu", mmlu.MMLU_REVISION, split="test", name="all")
    with network_off():
        task = mmlu.mmlu_0_shot(cot=True, shuffle=False)
    return with_limits(task, suite)


@scorer(metrics=[accuracy(), stderr()])
def correctness_only(judge: Scorer) -> Scorer:
    """The judge's verdict alone as the score (C/I); its stated confidence goes to metadata.

    inspect_evals' HLE judge scores {"score": C|I, "confidence": 0..100}; averaging the two
    would mix a calibration figure into accuracy. A sample the judge could not grade (no
    parseable verdict after its attempts) raises, so it is stored as an error, never as a
    wrong answer."""

    async def score(state: TaskState, target: Target) -> Score:
        verdict = await judge(state, target)
        if verdict is None:
            raise RuntimeError("HLE judge returned no score")
        value = verdict.value
        inner = value.get("score") if isinstance(value, dict) else value
        if inner is None or (isinstance(inner, float) and _math.isnan(inner)):
            raise RuntimeError("HLE judge gave no parseable verdict (grader failed)")
        confidence = value.get("confidence") if isinstance(value, dict) else None
        return Score(
            value=inner,
            answer=verdict.answer,
            explanation=verdict.explanation,
            metadata={**(verdict.metadata or {}), "confidence": confidence},
        )

    return score


@register("hub_hle")
def hle_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    hle_data = upstream("hle.dataset")
    hle = upstream("hle.hle").hle
    from inspect_evals.utils import scorers_from_spec

    ensure_hf_dataset(
        suite.name, hle_data.DATASET_PATH, hle_data.HLE_DATASET_REVISION, split="test"
    )
    spec = {
        "scorer": "inspect_evals/hle/regex_judge",
        "graders": [JUDGE_ROLE],
        "args": {
            "template": "regex_judge_template",
            "instructions": "regex_judge_instructions",
            "max_grader_attempts": 3,
        },
    }
    with network_off():
        task = hle(include_multi_modal=False, only_hle_verified_gold=False, scorer=spec)
    (judge,) = scorers_from_spec(spec)
    return with_limits(task, suite, scorer=correctness_only(judge))
