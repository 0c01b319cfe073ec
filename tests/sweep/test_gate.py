"""The gate both engines ask before each sample: a closed gate starts nothing new, reports
nothing for what it held back, and lets samples in flight finish. inspect (setup solver) over
real HTTP against the fake API; lm-eval's side is in tests/runners/test_lm_eval_runner.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness._types import SampleRecord
from harness.config import REPO_ROOT
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.suites.registry import load_suite
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import fake_card, fake_deployment, fake_endpoint, upstream_url

SUITE = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml", REPO_ROOT / "tasks")


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "gapbench-cache"))


def test_inspect_starts_no_sample_once_the_gate_closes(
    fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    dep = fake_deployment("openai", upstream_url(fake_api, "openai"))
    todo = (("ladder-h02-000", 1), ("ladder-h02-001", 1), ("ladder-h04-000", 1))
    ctx = RunContext(
        run_id="gate",
        sweep_id="test",
        card=fake_card(dep.model),
        deployment=dep,
        endpoint=fake_endpoint(dep, timeout_s=5.0, max_retries=0),
        suite=SUITE,
        todo=todo,
        raw_dir=tmp_path / "raw",
        max_connections=1,  # one sample at a time: the first runs whole, then the gate shuts
        may_start=lambda: fake_api.n_requests == 0,
    )
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)
    [record] = records
    assert record.status == "scored" and record.steps == 2  # finished all its turns
    assert fake_api.n_requests == 3  # its two lookups and its answer; nothing else
