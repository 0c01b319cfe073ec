"""End to end: the real SmolLM2 server through LmEvalRunner (ladder, HumanEval, BFCL smoke).

Small on purpose: 1-2 samples per suite, small max_tokens. What matters is that real
generations flow through lm-eval into scored records, offline, not the model's accuracy.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from harness._types import Endpoint, SampleRecord
from harness.config import REPO_ROOT
from harness.runners.lm_eval_runner import LmEvalRunner
from harness.suites import SuiteSpec
from harness.suites.registry import load_suite
from tests.runners.lm_eval_helpers import make_ctx

pytestmark = pytest.mark.slow


def _suite(rel: str, max_tokens: int) -> SuiteSpec:
    spec = load_suite(REPO_ROOT / "tasks" / rel / "suite.yaml")
    limits = spec.limits.model_copy(update={"max_tokens": max_tokens})
    return spec.model_copy(update={"limits": limits})


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond the loopback fails the test: nothing may be downloaded."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise AssertionError(f"network access to {address!r}")
        return real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _run(
    suite: SuiteSpec, endpoint: Endpoint, todo: list[tuple[str, int]], raw: Path
) -> list[SampleRecord]:
    records: list[SampleRecord] = []
    LmEvalRunner().run(make_ctx(suite, endpoint, todo, raw), records.append)
    assert sorted((r.sample_id, r.epoch) for r in records) == sorted(todo)
    return records


def _check_scored(records: list[SampleRecord]) -> None:
    for r in records:
        assert r.status == "scored", r.error
        assert r.score is not None and 0.0 <= r.score <= 1.0
        assert r.success is (r.score == 1.0)
        assert r.output_tokens and r.output_tokens > 0  # SmolLM2 really generated
        assert r.input_tokens and r.latency_s and r.latency_s > 0
        assert r.engine == "lm_eval" and r.steps == 1


def test_ladder_standard_smoke(
    smollm2_endpoint: Endpoint, loopback_only: None, tmp_path: Path
) -> None:
    suite = _suite("ladder/standard", max_tokens=48)
    records = _run(suite, smollm2_endpoint, [(suite.smoke[0], 1), (suite.smoke[2], 1)], tmp_path)
    _check_scored(records)
    assert {r.h for r in records} == {1, 2}
    assert list((tmp_path / "lm_eval" / "run-test").rglob("samples_*.jsonl"))  # lm-eval's own


def test_humaneval_smoke(smollm2_endpoint: Endpoint, loopback_only: None, tmp_path: Path) -> None:
    suite = _suite("standard/humaneval", max_tokens=96)
    [record] = _run(suite, smollm2_endpoint, [(suite.smoke[0], 1)], tmp_path)
    _check_scored([record])
    assert record.prompt_variant == "adapted-chat"


def test_bfcl_simple_smoke(smollm2_endpoint: Endpoint, loopback_only: None, tmp_path: Path) -> None:
    suite = _suite("standard/bfcl_simple", max_tokens=48)
    [record] = _run(suite, smollm2_endpoint, [(suite.smoke[0], 1)], tmp_path)
    _check_scored([record])
    assert record.prompt_variant == "system-prompt-in-user-turn"
