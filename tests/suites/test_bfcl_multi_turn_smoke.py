"""BFCL multi-turn end to end: the real runner against the local SmolLM2 server, offline.

Proves the plumbing (vendored data, backends, native tool calls, checker, record with h)
on one smoke sample with tight limits; SmolLM2-135M is not expected to solve it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness._types import Endpoint, SampleRecord
from harness.config import REPO_ROOT, load_settings
from harness.models import load_registry
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteLimits
from tests.fixtures.serve import DEFAULT_DEPLOYMENT

SUITE_YAML = REPO_ROOT / "tasks" / "agentic" / "bfcl_multi_turn" / "suite.yaml"


@pytest.mark.slow
def test_one_multi_turn_sample_runs_end_to_end(smollm2_endpoint: Endpoint, tmp_path: Path) -> None:
    card, deployment = load_registry(load_settings().registry_path).resolve(DEFAULT_DEPLOYMENT)
    tight = SuiteLimits(max_tokens=64, message_limit=12, token_limit=15000, time_limit_s=300)
    suite = load_suite(SUITE_YAML).model_copy(update={"limits": tight})
    sample_id = suite.smoke[0]
    ctx = RunContext(
        run_id="test-bfcl-multi-turn-smoke",
        sweep_id="test",
        card=card,
        deployment=deployment,
        endpoint=smollm2_endpoint,
        suite=suite,
        todo=((sample_id, 1),),
        raw_dir=tmp_path / "raw",
    )
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)

    assert len(records) == 1
    record = records[0]
    print(  # shown with -s: the measured cost of one sample
        f"bfcl smoke: status={record.status} score={record.score} h={record.h} "
        f"steps={record.steps} latency_s={record.latency_s} "
        f"tokens={record.input_tokens}/{record.output_tokens} error={record.error}"
    )
    assert record.sample_id == sample_id and record.suite == "bfcl_multi_turn"
    assert record.status in ("scored", "limit"), record.error
    assert record.h == 2  # multi_turn_base_50: lockDoors, setHeadlights
    assert record.user_simulator is None
    if record.status == "scored":
        assert record.score in (0.0, 1.0)
