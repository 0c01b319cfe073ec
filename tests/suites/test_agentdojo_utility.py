"""AgentDojo utility suite: data, h, and the utility checker proven by replaying solutions.

inspect_evals ships a ground-truth agent that executes each task's reference solution and
answers with its reference output; the checker must pass it. A model that calls no tool
(mockllm's fixed answer) must fail tasks that need an action.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import get_model
from inspect_ai.scorer import value_to_float

from harness._types import Endpoint, SampleRecord
from harness.config import REPO_ROOT, load_settings
from harness.models import load_registry
from harness.offline import ensure_tiktoken_offline
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.runners.inspect_tasks import build_task
from harness.runners.inspect_tasks.agentdojo import agentdojo_task
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteLimits
from tests.fixtures.serve import DEFAULT_DEPLOYMENT

pytest.importorskip("email_validator")  # the inspect-evals[agentdojo] extra
SUITE_YAML = REPO_ROOT / "tasks" / "agentic" / "agentdojo_utility" / "suite.yaml"
LIMITS = SuiteLimits(max_tokens=256, message_limit=100, time_limit_s=600)
# Every suite, 1 to 18 ground-truth calls; the four workspace_plus tasks whose reference
# solution fails inspect_evals' checker (u13, u19, u29, u34) are documented in the README.
ORACLE_IDS = [
    "banking-u1",
    "banking-u2",
    "slack-u0",
    "slack-u4",
    "travel-u0",
    "travel-u3",
    "workspace_plus-u0",
    "workspace_plus-u24",
]


@pytest.fixture(scope="module", autouse=True)
def _offline_tokens() -> None:
    ensure_tiktoken_offline(load_settings().cache_dir)


def run(agent: str, ids: list[str], tmp_path: Path) -> EvalLog:
    log = inspect_eval(
        agentdojo_task(LIMITS, agent=agent),
        model=get_model("mockllm/model", memoize=False),
        sample_id=ids,
        log_dir=str(tmp_path),
        display="none",
        log_realtime=False,
        max_samples=4,
    )[0]
    assert log.status == "success", log.error and log.error.message
    return log


def utility(log: EvalLog) -> dict[str, float]:
    to_float = value_to_float()
    out: dict[str, float] = {}
    for sample in log.samples or []:
        assert sample.error is None and sample.scores
        out[str(sample.id)] = to_float(next(iter(sample.scores.values())).value["utility"])
    return out


def test_suite_yaml_matches_the_data() -> None:
    suite = load_suite(SUITE_YAML)
    task = build_task(suite)
    ids = [str(s.id) for s in task.dataset]
    assert len(ids) == len(set(ids)) == suite.size == 96
    assert set(suite.smoke) <= set(ids)
    assert all(not s.sandbox for s in task.dataset)  # no docker
    hs = {str(s.id): s.metadata["h"] for s in task.dataset}
    assert min(hs.values()) >= 1 and hs["banking-u1"] == 1


def test_reference_solutions_pass(tmp_path: Path) -> None:
    log = run("ground_truth", ORACLE_IDS, tmp_path)
    assert utility(log) == dict.fromkeys(ORACLE_IDS, 1.0)


def test_doing_nothing_fails(tmp_path: Path) -> None:
    ids = load_suite(SUITE_YAML).smoke
    assert utility(run("default", ids, tmp_path)) == dict.fromkeys(ids, 0.0)


@pytest.mark.slow
def test_one_task_runs_end_to_end(smollm2_endpoint: Endpoint, tmp_path: Path) -> None:
    card, deployment = load_registry(load_settings().registry_path).resolve(DEFAULT_DEPLOYMENT)
    tight = SuiteLimits(max_tokens=64, message_limit=12, token_limit=15000, time_limit_s=300)
    suite = load_suite(SUITE_YAML).model_copy(update={"limits": tight})
    ctx = RunContext(
        run_id="test-agentdojo-smoke",
        sweep_id="test",
        card=card,
        deployment=deployment,
        endpoint=smollm2_endpoint,
        suite=suite,
        todo=((suite.smoke[0], 1),),
        raw_dir=tmp_path / "raw",
    )
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)
    assert len(records) == 1
    record = records[0]
    print(
        f"agentdojo smoke: status={record.status} score={record.score} h={record.h} latency_s={record.latency_s} error={record.error}"
    )
    assert record.status in ("scored", "limit"), record.error
    assert record.h == 1
