"""The ladder_agentic smoke subset through InspectRunner against the real SmolLM2 server.

SmolLM2-135M rarely solves the task; what matters is that the path is real end to end: the
model is offered the lookup tool, every sample yields a well-formed record (scored, limit or
error, never a crash), tokens are counted, and nothing reaches for the network (tiktoken's
vocabularies come from the local cache that ensure_tiktoken_offline writes).
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any

import pytest
import tiktoken.load
from inspect_ai.log import read_eval_log

from harness._types import Endpoint, SampleRecord
from harness.config import REPO_ROOT
from harness.models import load_registry
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.suites.registry import load_suite

pytestmark = pytest.mark.slow


class _NetworkGuard:
    """Records (and refuses) any connection to a non-loopback address."""

    def __init__(self) -> None:
        self.attempts: list[Any] = []

    def check(self, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        try:
            if ipaddress.ip_address(host).is_loopback:
                return
        except ValueError:
            if host == "localhost" or not isinstance(host, str):
                return
        self.attempts.append(address)
        raise OSError(f"network access refused in test: {address}")


def test_ladder_smoke_on_smollm2(
    smollm2_endpoint: Endpoint, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "unused"))  # restored afterwards
    guard = _NetworkGuard()
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def connect(self: socket.socket, address: Any) -> None:
        guard.check(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard.check(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    downloads: list[str] = []

    def no_download(url: str) -> bytes:
        downloads.append(url)
        raise OSError(f"tiktoken tried to download {url}")

    monkeypatch.setattr(tiktoken.load, "read_file", no_download)

    suite = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml")
    # Two smoke samples at h <= 2, tight limits: the point is the path, not the score.
    limits = suite.limits.model_copy(
        update={"max_tokens": 48, "message_limit": 8, "time_limit_s": 120}
    )
    suite = suite.model_copy(update={"limits": limits})
    todo = tuple((sid, 1) for sid in suite.smoke[:2])
    card, deployment = load_registry(REPO_ROOT / "models.yaml").resolve(
        "smollm2-135m-instruct@llama-cpp"
    )
    ctx = RunContext(
        run_id="slow-inspect",
        sweep_id="test",
        card=card,
        deployment=deployment,
        endpoint=smollm2_endpoint,
        suite=suite,
        todo=todo,
        raw_dir=tmp_path / "raw",
    )
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)

    assert sorted((r.sample_id, r.epoch) for r in records) == sorted(todo)
    for r in records:
        assert r.status in ("scored", "limit", "error")
        assert r.engine == "inspect" and r.suite == "ladder_agentic" and r.model_id == card.id
        assert r.h is not None and 1 <= r.h <= 2
        assert r.started_at is not None and r.finished_at is not None and r.latency_s is not None
        assert r.steps is not None and r.steps >= 0
        if r.status == "scored":
            assert r.score in (0.0, 1.0) and r.success == (r.score == 1.0) and r.error is None
        elif r.status == "limit":  # a failed task: the scorer's verdict counts, the limit is named
            assert r.error and r.score in (0.0, 1.0, None)
        else:
            assert r.score is None and r.error
    # The model really ran: at least one sample got tokens through (a sample can still end
    # in a time limit on a busy 2-core machine).
    assert any((r.input_tokens or 0) > 0 and (r.output_tokens or 0) > 0 for r in records)

    # The model was offered the lookup tool (read back from the kept .eval log).
    [log_file] = list((tmp_path / "raw").glob("*.eval"))
    log = read_eval_log(str(log_file))
    offered = {
        tool.name
        for sample in log.samples or []
        for event in sample.events
        if event.event == "model"
        for tool in event.tools
    }
    assert offered == {"lookup"}

    # No network: tiktoken read its vocabularies from the local cache, no socket left loopback.
    assert downloads == [] and guard.attempts == []
    assert tiktoken.get_encoding("o200k_base").encode("lookup") and downloads == []
