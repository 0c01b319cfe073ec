"""tau2 airline end to end: the real runner, a real local model as both agent and user.

SmolLM2-135M cannot solve tau2; this proves the plumbing (task factory, user-simulator role,
limits, record with h and the user simulator), offline, with tight limits so it stays short:
the token limit stops the sample after about one agent turn (the agent prompt alone is 5-6k
tokens), so it ends as "limit" or, if the simulated user stops at once, "scored".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness._types import Endpoint, SampleRecord
from harness.config import REPO_ROOT, load_settings
from harness.models import load_registry
from harness.runners.base import RunContext, UserSimulator
from harness.runners.inspect_runner import InspectRunner
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteLimits
from tests.fixtures.serve import DEFAULT_DEPLOYMENT

SUITE_YAML = REPO_ROOT / "tasks" / "agentic" / "tau2_airline" / "suite.yaml"


@pytest.mark.slow
def test_one_airline_task_runs_end_to_end(smollm2_endpoint: Endpoint, tmp_path: Path) -> None:
    card, deployment = load_registry(load_settings().registry_path).resolve(DEFAULT_DEPLOYMENT)
    tight = SuiteLimits(max_tokens=48, message_limit=8, token_limit=9000, time_limit_s=300)
    suite = load_suite(SUITE_YAML).model_copy(update={"limits": tight})
    sample_id = suite.smoke[0]
    ctx = RunContext(
        run_id="test-tau2-smoke",
        sweep_id="test",
        card=card,
        deployment=deployment,
        endpoint=smollm2_endpoint,
        suite=suite,
        todo=((sample_id, 1),),
        raw_dir=tmp_path / "raw",
        user=UserSimulator(card=card, endpoint=smollm2_endpoint),
    )
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)

    assert len(records) == 1
    record = records[0]
    print(  # shown with -s: the measured cost of one sample
        f"tau2 smoke: status={record.status} h={record.h} steps={record.steps} "
        f"latency_s={record.latency_s} tokens={record.input_tokens}/{record.output_tokens} "
        f"error={record.error}"
    )
    assert record.sample_id == sample_id and record.suite == "tau2_airline"
    assert record.status in ("scored", "limit"), record.error
    assert record.h == 1  # airline task 11: one expected action (update_reservation_flights)
    assert record.user_simulator == card.id
    if record.status == "scored":
        assert record.score is not None and 0.0 <= record.score <= 1.0
    assert list((tmp_path / "raw").glob("*.eval")), "raw inspect log kept for `inspect view`"
