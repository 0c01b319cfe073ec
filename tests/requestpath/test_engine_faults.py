"""Both engines on both SDKs under 20% faults of every kind: one row per (sample, epoch), no
duplicates, and every call took exactly the attempts the retry policy documents (the fake
server counts attempts per request body): the engines and SDKs add none of their own."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from harness._types import Protocol, SampleRecord
from harness.config import REPO_ROOT
from harness.runners.base import RunContext
from harness.runners.inspect_runner import InspectRunner
from harness.runners.lm_eval_runner import LmEvalRunner
from harness.serve.proxy import Ledger, request_path
from harness.suites.registry import load_suite
from tests.fakeapi import FakeAPI
from tests.requestpath.conftest import card, deployment, endpoint, upstream_url
from tests.requestpath.test_faults import DELAY_S, POLICY, RETRY_AFTER_S, expected_attempts

AGENTIC = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml", REPO_ROOT / "tasks")
STANDARD = load_suite(
    REPO_ROOT / "tasks" / "ladder" / "standard" / "suite.yaml", REPO_ROOT / "tasks"
)
# Short items (h = 1 and 2: two or three calls each on the agentic form) keep this quick.
SAMPLES = [f"ladder-h{h:02d}-{i:03d}" for h in (1, 2) for i in range(10)]
SEED = 8  # a schedule with calls that run out of attempts on every engine and protocol


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "gapbench-cache"))


def _run(engine: str, protocol: Protocol, fake: FakeAPI, tmp: Path) -> list[SampleRecord]:
    runner = InspectRunner() if engine == "inspect" else LmEvalRunner()
    suite = AGENTIC if engine == "inspect" else STANDARD
    dep = deployment(protocol, upstream_url(fake, protocol)).model_copy(
        update={"max_connections": 8}
    )
    records: list[SampleRecord] = []
    with request_path(
        endpoint(dep, timeout_s=10.0), deployment=dep, cache_dir=tmp / "cache", ledger=Ledger(),
        retry=POLICY,
    ) as ep:  # fmt: skip
        ctx = RunContext(
            run_id=f"faults-{engine}-{protocol}", sweep_id="test", card=card(dep.model),
            deployment=dep, endpoint=ep, suite=suite, todo=tuple((s, 1) for s in SAMPLES),
            raw_dir=tmp / "raw", max_connections=8,
        )  # fmt: skip
        runner.run(ctx, records.append)
    return records


@pytest.mark.slow
@pytest.mark.parametrize(
    ("engine", "protocol"),
    [("inspect", "openai"), ("inspect", "anthropic"), ("lm_eval", "openai"),
     ("lm_eval", "anthropic")],
)  # fmt: skip
def test_engines_under_faults_keep_exact_rows_and_the_documented_attempts(
    engine: str, protocol: Protocol, fake_api: FakeAPI, fake_api_key: str, tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.INFO)
    faults = fake_api.set_faults(0.2, seed=SEED, delay_s=DELAY_S, retry_after_s=RETRY_AFTER_S)
    records = _run(engine, protocol, fake_api, tmp_path)

    keys = Counter((r.sample_id, r.epoch) for r in records)
    assert sorted(keys) == sorted((s, 1) for s in SAMPLES) and set(keys.values()) == {1}
    tries: dict[str, list[str]] = {}
    for a in fake_api.attempts:
        assert a.attempt >= 0, a  # nothing but scheduled attempts (no 401, no overload)
        tries.setdefault(a.body_hash, []).append(a.outcome)
    failing = 0
    for h, outcomes in tries.items():
        answered, n = expected_attempts(faults, h, POLICY.attempts)
        assert len(outcomes) == n, (h, outcomes)  # the policy's count, no engine retries
        failing += not answered
    retried = sum(1 for o in tries.values() if len(o) > 1 and o[-1] == "ok")
    assert failing > 0 and retried > 0, "pick a SEED whose schedule exercises both outcomes"
    errors = [r for r in records if r.status == "error"]
    # a call that ran out of attempts ends its sample as an error (never as a wrong answer)
    assert len(errors) == failing and all(r.score is None for r in errors)
    assert all(r.status in ("scored", "limit") for r in records if r not in errors)
    if engine == "lm_eval":  # lm-eval's line per failed request, folded into one
        lines = [r.getMessage() for r in caplog.records if "Retrying" in r.getMessage()
                 or r.name == "harness.runners.lm_eval_models"]  # fmt: skip
        assert len(lines) == 1 and f"{failing} of {len(SAMPLES)} requests failed" in lines[0]
