"""InspectRunner over real HTTP against the fake OpenAI/Anthropic server (official SDKs inside
inspect's providers): both protocols solve the ladder with the right number of tool calls,
and a server that keeps failing gives status "error" rows, never wrong answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness._types import Protocol, SampleRecord
from harness.config import REPO_ROOT
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.suites.registry import load_suite
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import fake_card, fake_deployment, fake_endpoint, upstream_url

SUITE = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml")


def _ctx(
    fake: FakeAPI,
    protocol: Protocol,
    tmp_path: Path,
    todo: list[tuple[str, int]],
    max_retries: int = 2,
) -> RunContext:
    dep = fake_deployment(protocol, upstream_url(fake, protocol))
    return RunContext(
        run_id=f"fake-{protocol}",
        sweep_id="test",
        card=fake_card(dep.model),
        deployment=dep,
        endpoint=fake_endpoint(dep, timeout_s=5.0, max_retries=max_retries),
        suite=SUITE,
        todo=tuple(todo),
        raw_dir=tmp_path / "raw",
    )


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "gapbench-cache"))


@pytest.mark.parametrize("protocol", ["openai", "anthropic"])
def test_both_protocols_solve_the_ladder(
    protocol: Protocol, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    todo = [("ladder-h01-000", 1), ("ladder-h04-000", 1)]
    records: list[SampleRecord] = []
    InspectRunner().run(_ctx(fake_api, protocol, tmp_path, todo), records.append)
    assert sorted((r.sample_id, r.epoch) for r in records) == todo
    for r in records:
        assert r.status == "scored" and r.score == 1.0 and r.success, r
        assert r.steps == r.h and r.h in (1, 4)
        assert (r.input_tokens or 0) > 0 and (r.output_tokens or 0) > 0
        assert r.model_snapshot and "fake" in r.model_snapshot
        assert r.cost_usd is not None and r.cost_usd > 0
    assert fake_api.n_requests == 1 + 1 + 4 + 1  # one call per lookup, one answer per sample


def test_persistent_server_errors_are_error_rows(
    fake_api: FakeAPI, fake_api_key: str, tmp_path: Path
) -> None:
    fake_api.set_faults(1.0, kinds=("500",))
    records: list[SampleRecord] = []
    InspectRunner().run(
        _ctx(fake_api, "openai", tmp_path, [("ladder-h01-000", 1)], max_retries=1), records.append
    )
    [r] = records
    assert r.status == "error" and r.score is None and r.success is None
    assert r.error and "\n" not in r.error
    assert r.error.startswith("openai.InternalServerError: Error code: 500"), r.error
