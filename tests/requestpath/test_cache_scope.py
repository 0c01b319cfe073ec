"""Epoch-aware replay: the runners tag each call with its (sample, epoch), so a resumed run
that redoes only epoch 2 gets a fresh answer instead of epoch 1's, and a full rerun is free."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from harness._types import Protocol, SampleRecord
from harness.config import REPO_ROOT
from harness.runners import inspect_runner, lm_eval_models
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.runners.lm_eval_runner import LmEvalRunner
from harness.serve import proxy
from harness.serve.proxy.ledger import Ledger
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteSpec
from tests.fakeapi import FakeAPI
from tests.fixtures.fakeapi import FAKE_API_KEY
from tests.requestpath.conftest import card, deployment, endpoint, proxied, upstream_url

AGENTIC = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml", REPO_ROOT / "tasks")
STANDARD = load_suite(
    REPO_ROOT / "tasks" / "ladder" / "standard" / "suite.yaml", REPO_ROOT / "tasks"
)


def test_runners_and_proxy_agree_on_the_header_name() -> None:
    assert inspect_runner.SCOPE_HEADER == lm_eval_models.SCOPE_HEADER == proxy.SCOPE_HEADER


def test_scope_splits_the_replay_and_never_goes_upstream(fake_api: FakeAPI, tmp_path: Path) -> None:
    body = {"model": "fake-gpt", "messages": [{"role": "user", "content": "same bytes"}]}
    auth = {"authorization": f"Bearer {FAKE_API_KEY}"}

    def post(ep_url: str, scope: str) -> httpx.Response:
        headers = {**auth, proxy.SCOPE_HEADER: scope}
        return httpx.post(f"{ep_url}/chat/completions", json=body, headers=headers, timeout=10)

    with proxied(fake_api, "openai", tmp_path / "cache") as (ep, _):
        assert ep.base_url
        assert post(ep.base_url, "s/1").status_code == 200
    with proxied(fake_api, "openai", tmp_path / "cache") as (ep, _):
        assert ep.base_url
        r = post(ep.base_url, "s/2")  # same bytes, other epoch: not epoch 1's answer
        assert r.headers.get(proxy.CACHE_HEADER) != "hit" and fake_api.n_requests == 2
        assert post(ep.base_url, "s/1").headers.get(proxy.CACHE_HEADER) == "hit"
    assert fake_api.n_requests == 2
    assert all(proxy.SCOPE_HEADER not in names for names in fake_api.header_names)


def _run(
    runner: InspectRunner | LmEvalRunner,
    suite: SuiteSpec,
    fake: FakeAPI,
    protocol: Protocol,
    cache: Path,
    raw: Path,
    todo: list[tuple[str, int]],
) -> tuple[list[SampleRecord], int]:
    """One proxy session (a new sweep invocation); (records, upstream calls it made)."""
    before = fake.n_requests
    dep = deployment(protocol, upstream_url(fake, protocol))
    records: list[SampleRecord] = []
    with proxy.request_path(
        endpoint(dep, timeout_s=10.0), deployment=dep, cache_dir=cache, ledger=Ledger()
    ) as ep:
        ctx = RunContext(
            run_id=f"scope-{protocol}", sweep_id="test", card=card(dep.model), deployment=dep,
            endpoint=ep, suite=suite, todo=tuple(todo), raw_dir=raw, max_connections=2,
        )  # fmt: skip
        runner.run(ctx, records.append)
    return records, fake.n_requests - before


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "gapbench-cache"))


@pytest.mark.parametrize(
    ("engine", "protocol", "sample"),
    [("inspect", "openai", "ladder-h02-000"), ("inspect", "anthropic", "ladder-h02-000"),
     ("lm_eval", "openai", "ladder-h02-000"), ("lm_eval", "anthropic", "ladder-h02-000")],
)  # fmt: skip
def test_resumed_epoch_2_is_answered_fresh_and_a_full_rerun_is_free(
    engine: str, protocol: Protocol, sample: str, fake_api: FakeAPI, fake_api_key: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    runner = InspectRunner() if engine == "inspect" else LmEvalRunner()
    suite = AGENTIC if engine == "inspect" else STANDARD
    cache, raw = tmp_path / "cache", tmp_path / "raw"

    first, calls_1 = _run(runner, suite, fake_api, protocol, cache, raw, [(sample, 1)])
    assert [(r.sample_id, r.epoch, r.status) for r in first] == [(sample, 1, "scored")]
    assert calls_1 >= 1

    # A resumed run: epoch 1 is stored, epoch 2 is asked for alone (inspect runs it as its
    # epoch 1, with the same request bytes). It must reach the API, not replay epoch 1.
    second, calls_2 = _run(runner, suite, fake_api, protocol, cache, raw, [(sample, 2)])
    assert [(r.sample_id, r.epoch, r.status) for r in second] == [(sample, 2, "scored")]
    assert calls_2 == calls_1

    # Rerunning both epochs replays both from the cache: no upstream call at all.
    both, calls_3 = _run(runner, suite, fake_api, protocol, cache, raw, [(sample, 1), (sample, 2)])
    assert sorted((r.sample_id, r.epoch, r.status) for r in both) == [
        (sample, 1, "scored"), (sample, 2, "scored")
    ]  # fmt: skip
    assert calls_3 == 0
    assert all(
        inspect_runner.SCOPE_HEADER not in names for names in fake_api.header_names
    )  # the scope stays between runner and proxy
