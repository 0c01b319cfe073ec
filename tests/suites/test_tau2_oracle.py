"""tau2 scorers and conversation loop, proven with scripted models (no real model runs here).

The oracle agent replays tau2's expected actions (the user replays the user-side ones in
telecom) and then tells the user the facts the task requires it to communicate; it must score
1. A do-nothing agent gives the null baseline recorded in each suite.yaml.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, GenerateConfig, Model, ModelName, ModelOutput, get_model
from inspect_ai.scorer import Target, value_to_float
from inspect_ai.solver import TaskState
from inspect_ai.solver._task_state import sample_state  # test-only: which sample is running
from inspect_ai.tool import ToolChoice, ToolInfo
from inspect_ai.util._store import Store, init_subtask_store  # test-only: a bare sample store

from harness.config import REPO_ROOT, load_settings
from harness.errors import UserError
from harness.offline import ensure_tiktoken_offline
from harness.runners.inspect_tasks import build_task
from harness.runners.inspect_tasks.tau2 import DOMAINS, expected_actions, tau2_dataset, tau2_task
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteLimits

MOCK = "mockllm/model"


@pytest.fixture(scope="module", autouse=True)
def _offline_tokens() -> None:
    # mockllm counts tokens with tiktoken, which must not download its vocabulary.
    ensure_tiktoken_offline(load_settings().cache_dir)


@dataclass
class _Progress:
    actions: deque[dict[str, Any]]
    info: list[str]
    started: bool = False
    agent_done: bool = False


@dataclass
class OracleScript:
    """Scripted agent and user for every sample at once (keyed by sample and epoch)."""

    null_agent: bool = False
    progress: dict[tuple[str, int], _Progress] = field(default_factory=dict)

    def _current(self) -> _Progress:
        state = sample_state()
        assert state is not None
        key = (str(state.sample_id), state.epoch)
        if key not in self.progress:
            criteria = state.metadata["task"].get("evaluation_criteria") or {}
            actions = [] if self.null_agent else expected_actions(state.metadata)
            self.progress[key] = _Progress(
                deque(actions), list(criteria.get("communicate_info") or [])
            )
        return self.progress[key]

    def agent(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        p = self._current()
        if p.actions and p.actions[0].get("requestor", "assistant") == "assistant":
            action = p.actions.popleft()
            return ModelOutput.for_tool_call(MOCK, action["name"], action["arguments"])
        if p.actions:
            return ModelOutput.from_content(MOCK, "Please do the next step on your phone.")
        p.agent_done = True
        if self.null_agent:
            return ModelOutput.from_content(MOCK, "Sorry, I cannot help with that.")
        return ModelOutput.from_content(MOCK, "All done. " + " ".join(p.info))

    def user(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        p = self._current()
        if not p.started:
            p.started = True
            return ModelOutput.from_content(MOCK, "Hi, I need help with my request.")
        if p.actions and p.actions[0].get("requestor") == "user":
            action = p.actions.popleft()
            return ModelOutput.for_tool_call(MOCK, action["name"], action["arguments"])
        if p.agent_done:
            return ModelOutput.from_content(MOCK, "Thanks. ###STOP###")
        return ModelOutput.from_content(MOCK, "Done. What next?")


def scripted(fn: Any) -> Model:
    return get_model(MOCK, custom_outputs=fn, memoize=False)


# inspect gives scoring half the sample's time limit; tau2's DB scorers are CPU-heavy and
# samples share one event loop, so keep it generous for a busy CI machine.
LIMITS = SuiteLimits(max_tokens=256, message_limit=200, time_limit_s=1200)


def run_scripted(
    domain: str, sample_ids: list[str], script: OracleScript, tmp_path: Path
) -> EvalLog:
    log = inspect_eval(
        tau2_task(domain, LIMITS),
        model=scripted(script.agent),
        model_roles={"user": scripted(script.user)},
        sample_id=sample_ids,
        log_dir=str(tmp_path),
        display="none",
        max_samples=2,
        log_realtime=False,
    )[0]
    assert log.status == "success", log.error and log.error.message
    return log


def scores(log: EvalLog) -> dict[str, float]:
    to_float = value_to_float()
    out: dict[str, float] = {}
    for sample in log.samples or []:
        assert sample.error is None, sample.error
        assert sample.scores
        out[str(sample.id)] = to_float(next(iter(sample.scores.values())).value)
    return out


async def _null_score(domain: str, sample: Sample) -> float:
    init_subtask_store(Store())  # a fresh per-sample store, as inspect gives each sample
    state = TaskState(
        model=ModelName(MOCK),
        sample_id=sample.id or "",
        epoch=1,
        input=sample.input,
        messages=list(sample.input) if isinstance(sample.input, list) else [],
        metadata=dict(sample.metadata or {}),
    )
    task = tau2_task(domain, LIMITS)
    for setup in DOMAINS[domain].setup():
        state = await setup(state, None)  # type: ignore[arg-type]  # setup never generates
    scorer = (task.scorer or [])[0]
    score = await scorer(state, Target(sample.target))
    assert score is not None
    return float(value_to_float()(score.value))


def null_agent_scores(domain: str, ids: list[str] | None = None) -> dict[str, float]:
    """The suite's scorer on each sample as a silent agent leaves it: no tool call, no reply.

    The same scorer code as a full eval, without inspect's per-sample logging (which makes
    tau2 samples cost seconds each: the whole database sits in the sample store).
    """
    samples = [s for s in tau2_dataset(domain) if ids is None or str(s.id) in ids]
    return {str(s.id): asyncio.run(_null_score(domain, s)) for s in samples}


def suite_yaml(domain: str) -> Path:
    return REPO_ROOT / "tasks" / "agentic" / f"tau2_{domain}" / "suite.yaml"


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_suite_yaml_matches_the_data(domain: str) -> None:
    suite = load_suite(suite_yaml(domain))
    assert suite.task == f"tau2_{domain}" and suite.needs_user_simulator
    task = build_task(suite)  # no RunContext: dataset only, no model needed
    ids = [str(s.id) for s in task.dataset]
    assert len(ids) == len(set(ids)) == suite.size
    assert suite.smoke and set(suite.smoke) <= set(ids)
    for sample in task.dataset:
        assert sample.metadata["h"] == len(expected_actions(sample.metadata))
        assert not set("[]*?") & set(str(sample.id))  # inspect matches ids as fnmatch patterns
        assert sample.metadata["tau2_id"] == sample.metadata["task"]["id"]
    # stable order: the package's task file order, never shuffled
    assert ids == [str(s.id) for s in build_task(suite).dataset]


def test_factory_refuses_to_run_without_a_user_simulator() -> None:
    suite = load_suite(suite_yaml("airline"))
    with pytest.raises(UserError, match="needs a user simulator"):
        build_task(suite, SimpleNamespace(user=None))  # type: ignore[arg-type]


# Per domain: the smoke ids plus samples with several actions and things to communicate.
ORACLE_IDS = {
    "airline": ["11", "15", "14", "4"],
    "retail": ["73", "75", "76", "0"],
    "telecom": [
        "(mobile_data_issue)airplane_mode_on|data_mode_off(PERSONA:None)",
        "(service_issue)airplane_mode_on|unseat_sim_card(PERSONA:None)",
        "(mobile_data_issue)data_usage_exceeded|user_abroad_roaming_enabled_off(PERSONA:Easy)",
        "(service_issue)airplane_mode_on|lock_sim_card_pin(PERSONA:Easy)",
    ],
}


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_replaying_expected_actions_scores_one(domain: str, tmp_path: Path) -> None:
    ids = ORACLE_IDS[domain]
    log = run_scripted(domain, ids, OracleScript(), tmp_path)
    assert scores(log) == dict.fromkeys(ids, 1.0)
    for sample in log.samples or []:
        agent_side = [
            a
            for a in expected_actions(sample.metadata)
            if a.get("requestor", "assistant") == "assistant"
        ]
        assert sample.metadata["steps"] == len(agent_side)


def test_do_nothing_agent_passes_only_tasks_without_writes(tmp_path: Path) -> None:
    # airline 0 expects no action at all; 15 expects a flight change.
    log = run_scripted("airline", ["0", "15"], OracleScript(null_agent=True), tmp_path)
    assert scores(log) == {"0": 1.0, "15": 0.0}
    # the cheap scorer-only measurement behind null_baseline agrees with the full eval
    assert null_agent_scores("airline", ["0", "15"]) == {"0": 1.0, "15": 0.0}


@pytest.mark.slow  # the scorer over every task of the domain: about a minute per 50 tasks
@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_null_baseline_in_suite_yaml_is_measured(domain: str) -> None:
    suite = load_suite(suite_yaml(domain))
    null = null_agent_scores(domain)
    assert len(null) == suite.size
    assert suite.null_baseline == round(sum(null.values()) / len(null), 3)


def _one_sample(domain: str, agent: Any, tmp_path: Path, limits: SuiteLimits = LIMITS) -> Any:
    script = OracleScript()
    log = inspect_eval(
        tau2_task(domain, limits),
        model=scripted(agent),
        model_roles={"user": scripted(script.user)},
        sample_id=ORACLE_IDS[domain][:1],
        log_dir=str(tmp_path),
        display="none",
        log_realtime=False,
        fail_on_error=False,
    )[0]
    assert log.samples and len(log.samples) == 1
    return log.samples[0]


def test_failed_model_call_is_an_error_not_a_wrong_answer(tmp_path: Path) -> None:
    # inspect_evals' own loop swallows this and scores the sample as a failure.
    def broken(*_: Any) -> ModelOutput:
        raise RuntimeError("endpoint unreachable")

    sample = _one_sample("airline", broken, tmp_path)
    assert sample.error is not None and "endpoint unreachable" in sample.error.message
    assert sample.metadata["steps"] == 0


def test_limit_ends_the_sample_as_a_limit(tmp_path: Path) -> None:
    # An agent that never stops calling tools: the message limit must stop it and be recorded.
    def looping(*_: Any) -> ModelOutput:
        return ModelOutput.for_tool_call(MOCK, "list_all_airports", {})

    limits = SuiteLimits(max_tokens=64, message_limit=12, time_limit_s=60)
    sample = _one_sample("airline", looping, tmp_path, limits)
    assert sample.error is None
    assert sample.limit is not None and sample.limit.type == "message"
    assert sample.metadata["steps"] >= 1
