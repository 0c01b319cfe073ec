"""LmEvalRunner over real HTTP against the fake OpenAI/Anthropic server (tests/fakeapi).

No model server: the fake API answers the ladder's lookup-table prompts correctly, so what is
checked here is the runner's plumbing (records, tokens, epochs, retries, errors, keys).
"""

from __future__ import annotations

import json
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from harness._types import DeploymentFacts, Endpoint, SampleRecord
from harness.config import REPO_ROOT
from harness.runners import get_runner
from harness.runners.lm_eval_models import chat_url
from harness.runners.lm_eval_runner import LmEvalRunner
from harness.suites.registry import load_suite
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.runners.lm_eval_helpers import make_ctx

LADDER = REPO_ROOT / "tasks" / "ladder" / "standard" / "suite.yaml"
KEY_ENV = "GAPBENCH_TEST_FAKE_KEY"


def _endpoint(api: FakeAPI, protocol: str = "openai", retries: int = 2) -> Endpoint:
    return Endpoint(
        protocol=protocol,  # type: ignore[arg-type]
        model_name="fake-gpt" if protocol == "openai" else "fake-claude",
        base_url=api.openai_base_url if protocol == "openai" else api.base_url,
        api_key_env=KEY_ENV,
        facts=DeploymentFacts(deployment_id="fake", provider="openai-compatible"),
        timeout_s=1.0,
        max_retries=retries,
    )


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, FAKE_API_KEY)
    return FAKE_API_KEY


@pytest.fixture
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection beyond the loopback fails the test: nothing may be downloaded."""
    real = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else str(address)
        if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")):
            raise AssertionError(f"network access to {address!r}")
        return real(self, address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", guarded)


def _run(ctx) -> list[SampleRecord]:  # type: ignore[no-untyped-def]
    records: list[SampleRecord] = []
    LmEvalRunner().run(ctx, records.append)
    return records


def test_registered_as_the_lm_eval_engine() -> None:
    runner = get_runner("lm_eval")
    assert isinstance(runner, LmEvalRunner)
    assert runner.engine == "lm_eval" and runner.engine_version().startswith("0.4")
    suite = load_suite(LADDER)
    ids = runner.sample_ids(suite)
    assert len(ids) == suite.size and set(suite.smoke) <= set(ids)


def test_openai_protocol_scores_every_todo_pair(
    fake_api: FakeAPI, key: str, no_internet: None, tmp_path: Path
) -> None:
    suite = load_suite(LADDER)
    todo = [(suite.smoke[0], 1), (suite.smoke[0], 2), (suite.smoke[2], 1)]
    ctx = make_ctx(suite, _endpoint(fake_api), todo, tmp_path / "raw", max_connections=2)
    records = _run(ctx)
    assert sorted((r.sample_id, r.epoch) for r in records) == sorted(todo)
    for r in records:
        assert r.status == "scored" and r.score == 1.0 and r.success is True, r
        assert r.engine == "lm_eval" and r.steps == 1
        assert r.h is not None and r.h >= 1
        assert r.input_tokens and r.output_tokens
        assert r.model_snapshot == "fake-gpt-2026-01-15"
        assert r.latency_s is not None and r.started_at and r.finished_at
    assert len({r.sample_key for r in records}) == 3
    # raw output is lm-eval's own: results_<date>.json + samples_<task>_<date>.jsonl
    out = tmp_path / "raw" / "lm_eval" / "run-test"
    [samples_file] = out.rglob("samples_*.jsonl")
    assert list(out.rglob("results_*.json"))
    raw = samples_file.read_text()
    assert len(raw.splitlines()) == 3
    for f in out.rglob("*"):  # the key is never written anywhere
        assert not f.is_file() or FAKE_API_KEY not in f.read_text()
    assert json.loads(raw.splitlines()[0])["gapbench"]["status"] == "scored"


def test_anthropic_protocol(fake_api: FakeAPI, key: str, tmp_path: Path) -> None:
    suite = load_suite(LADDER)
    ctx = make_ctx(suite, _endpoint(fake_api, "anthropic"), [(suite.smoke[1], 1)], tmp_path)
    [record] = _run(ctx)
    assert record.status == "scored" and record.score == 1.0
    assert record.model_snapshot == "fake-claude-2026-01-15"
    assert record.input_tokens and record.output_tokens


def test_transient_faults_are_retried_by_the_request_path_only(
    fake_api: FakeAPI, key: str, tmp_path: Path
) -> None:
    from harness.models import Deployment
    from harness.serve.proxy import Ledger, request_path

    suite = load_suite(LADDER)
    fake_api.fail_next("429")  # lm-eval itself sends each request once
    ctx = make_ctx(suite, _endpoint(fake_api, retries=3), [(suite.smoke[0], 1)], tmp_path)
    [record] = _run(ctx)
    assert record.status == "error" and fake_api.n_requests == 1
    fake_api.reset_counts()
    fake_api.fail_next("429", "503")  # the request path retries: 3 attempts, 1 answer
    dep = Deployment(id="fake", model="fake-gpt", provider="openai-compatible",
                     base_url=fake_api.openai_base_url)  # fmt: skip
    ep = _endpoint(fake_api, retries=3)
    with request_path(ep, deployment=dep, cache_dir=tmp_path / "c", ledger=Ledger()) as proxied:
        [record] = _run(make_ctx(suite, proxied, [(suite.smoke[0], 2)], tmp_path))
    assert record.status == "scored" and record.score == 1.0
    assert fake_api.outcomes()["ok"] == 1 and fake_api.n_requests == 3


def test_a_call_failing_after_retries_is_an_error_not_a_wrong_answer(
    fake_api: FakeAPI, key: str, tmp_path: Path
) -> None:
    suite = load_suite(LADDER)
    fake_api.fail_next("500", "500")  # both attempts of the first request fail
    todo = [(suite.smoke[0], 1)]
    ctx = make_ctx(suite, _endpoint(fake_api, retries=1), todo, tmp_path)
    [record] = _run(ctx)
    assert record.status == "error" and record.score is None and record.success is None
    assert record.error and "500" in record.error


def test_a_missing_key_gives_error_records(
    fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    suite = load_suite(LADDER)
    ctx = make_ctx(suite, _endpoint(fake_api, retries=0), [(suite.smoke[0], 1)], tmp_path)
    [record] = _run(ctx)
    assert record.status == "error" and "401" in (record.error or "")


def test_unknown_sample_id_is_a_runner_error(fake_api: FakeAPI, key: str, tmp_path: Path) -> None:
    from harness.errors import RunnerError

    suite = load_suite(LADDER)
    ctx = make_ctx(suite, _endpoint(fake_api), [("no-such-id", 1)], tmp_path)
    with pytest.raises(RunnerError, match="no-such-id"):
        _run(ctx)


@pytest.mark.parametrize(
    ("protocol", "base", "url"),
    [
        ("openai", "http://h:1/v1", "http://h:1/v1/chat/completions"),
        ("openai", "http://h:1/v1/", "http://h:1/v1/chat/completions"),
        ("openai", "http://h:1", "http://h:1/v1/chat/completions"),
        ("openai", "http://h:1/v1/chat/completions", "http://h:1/v1/chat/completions"),
        ("openai", None, None),
        ("anthropic", "http://h:1", "http://h:1/v1/messages"),
        ("anthropic", "http://h:1/v1", "http://h:1/v1/messages"),
    ],
)
def test_chat_url(protocol: str, base: str | None, url: str | None) -> None:
    ep = Endpoint(
        protocol=protocol,
        model_name="m",
        base_url=base,
        api_key_env=None,  # type: ignore[arg-type]
        facts=DeploymentFacts(deployment_id="d", provider="openai"),
    )
    assert chat_url(ep) == url


def test_a_scorer_crash_is_an_error_not_a_wrong_answer(
    fake_api: FakeAPI, key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.runners.lm_eval_runner as mod

    def broken(output: str, doc: object) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(mod, "get_scorer", lambda name: broken)
    suite = load_suite(LADDER)
    ctx = make_ctx(suite, _endpoint(fake_api), [(suite.smoke[0], 1)], tmp_path)
    [record] = _run(ctx)
    assert record.status == "error" and record.score is None
    assert "boom" in (record.error or "")
    assert record.output_tokens  # the call itself succeeded and is accounted for


def test_records_stream_to_the_sink_as_requests_finish(
    fake_api: FakeAPI, key: str, tmp_path: Path
) -> None:
    """One evaluate() for the whole todo, yet no barrier: with one connection, the first
    record reaches the sink before the last request has been sent."""
    suite = load_suite(LADDER)
    ids = LmEvalRunner().sample_ids(suite)[:6]
    seen_at_call: list[int] = []

    def sink(record: SampleRecord) -> None:
        seen_at_call.append(fake_api.n_requests)

    ctx = make_ctx(suite, _endpoint(fake_api), [(i, 1) for i in ids], tmp_path)
    LmEvalRunner().run(ctx, sink)
    assert len(seen_at_call) == 6
    assert seen_at_call[0] < 6


def test_a_closed_gate_sends_nothing_and_reports_nothing(
    fake_api: FakeAPI, key: str, tmp_path: Path
) -> None:
    suite = load_suite(LADDER)
    ids = LmEvalRunner().sample_ids(suite)[:4]
    ctx = replace(
        make_ctx(suite, _endpoint(fake_api), [(i, 1) for i in ids], tmp_path),
        may_start=lambda: fake_api.n_requests < 2,
    )
    records: list[SampleRecord] = []
    LmEvalRunner().run(ctx, records.append)
    assert fake_api.n_requests == 2 and len(records) == 2
