"""Closed-API sweeps through both engines, the request path and the official wire protocols,
against a local fake server with injected faults (429 + Retry-After, 500, 503, timeouts,
dropped connections)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness import api
from harness.config import load_settings
from harness.store import Store
from harness.suites import load_suites
from harness.sweep.budget import worst_case_usd
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import fake_deployment, registry_yaml

pytestmark = pytest.mark.slow


def workspace(
    tmp_path: Path, fake: FakeAPI, *, timeout_s: float, max_retries: int
) -> api.Workspace:
    registry = tmp_path / "models.yaml"
    registry.write_text(registry_yaml(fake, timeout_s=timeout_s, max_retries=max_retries))
    settings = replace(
        load_settings(tmp_path),
        registry_path=registry,
        results_dir=tmp_path / "results",
        reports_dir=tmp_path / "reports",
        cache_dir=tmp_path / "cache",
    )
    return api.workspace(settings)


def sweep_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "sweep.yaml"
    path.write_text(body)
    return path


def test_300_samples_with_faults_end_as_300_rows_no_failure_scored_wrong(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, timeout_s=2.0, max_retries=6)
    fake_api.set_faults(0.2, seed=7, delay_s=3.0, retry_after_s=0.05)
    sweep = sweep_file(
        tmp_path,
        "name: faults\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 60\nepochs: 5\nchunk: 60\n",
    )
    outcome = api.run_sweep(sweep, ws=ws)
    df = Store(ws.settings.results_dir).samples()
    assert len(df) == 300 and df["sample_key"].is_unique
    assert not df.duplicated(["run_id", "sample_id", "epoch"]).any()
    faults = sum(n for kind, n in fake_api.outcomes().items() if kind != "ok")
    assert faults > 30  # the faults really happened...
    # ...and the SDKs' retries absorbed them: the fake answers every ladder item correctly, so
    # any score below 1 would be a failure counted as a wrong answer.
    scored = df[df["status"] == "scored"]
    assert (scored["score"] == 1.0).all()
    assert outcome.complete


def test_errors_only_where_retries_ran_out(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, timeout_s=2.0, max_retries=0)  # one attempt each
    fake_api.set_faults(0.3, kinds=("429", "500", "503", "drop"), seed=3, retry_after_s=0.05)
    sweep = sweep_file(
        tmp_path,
        "name: noretry\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 40\nchunk: 40\n",
    )
    api.run_sweep(sweep, ws=ws)
    df = Store(ws.settings.results_dir).samples()
    outcomes = fake_api.outcomes()
    failed_attempts = sum(n for kind, n in outcomes.items() if kind != "ok")
    assert len(df) == 40
    errors = df[df["status"] == "error"]
    assert len(errors) == failed_attempts > 0
    assert errors["score"].isna().all() and errors["error"].str.len().gt(0).all()
    assert (df[df["status"] == "scored"]["score"] == 1.0).all()


def test_agentic_suite_over_anthropic_protocol_with_faults(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, timeout_s=5.0, max_retries=6)
    fake_api.set_faults(0.2, kinds=("429", "500", "503", "drop"), seed=11, retry_after_s=0.05)
    sweep = sweep_file(
        tmp_path,
        "name: agent\nmodels: [fake-claude]\nsuites: [ladder_agentic]\nlimit: 12\nchunk: 12\n",
    )
    api.run_sweep(sweep, ws=ws)
    df = Store(ws.settings.results_dir).samples()
    assert len(df) == 12 and df["sample_key"].is_unique
    assert (df["status"] == "scored").all() and (df["score"] == 1.0).all()
    # Multi-step: the fake agent made h tool calls before answering.
    assert (df["steps"] >= 1).all()
    assert df["model_snapshot"].str.startswith("fake-claude").all()


def test_budget_stop_then_resume_repeats_no_paid_call(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, timeout_s=5.0, max_retries=2)
    sweep = sweep_file(
        tmp_path,
        "name: budget\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 24\nwrite_batch: 4\n",
    )
    # The ceiling reserves a sample's worst case (an 8k-token prompt here, no context length
    # declared) before it starts; a real ladder call costs ~$0.0007. Room for a few of those.
    suite = load_suites(ws.settings.tasks_dir).get("ladder_standard")
    worst = worst_case_usd(suite, fake_deployment("openai", None))
    assert worst is not None
    first = api.run_sweep(sweep, ws=ws, budget_usd=worst + 0.004)
    stored = len(Store(ws.settings.results_dir).samples())
    assert [r.status for r in first.runs] == ["partial"]
    assert 0 < stored < 24
    runs = Store(ws.settings.results_dir).runs()
    assert runs["status"].tolist() == ["partial"]
    paid_first = fake_api.n_requests

    second = api.run_sweep(sweep, ws=ws)
    df = Store(ws.settings.results_dir).samples()
    assert second.complete and len(df) == 24 and df["sample_key"].is_unique
    # Each sample is one request: nothing answered in the first command was asked again.
    assert fake_api.n_requests == 24
    assert fake_api.n_requests - paid_first == 24 - stored
    assert Store(ws.settings.results_dir).runs()["status"].tolist() == ["complete"]


def test_api_key_is_written_nowhere(tmp_path: Path, fake_api: FakeAPI, fake_api_key: str) -> None:
    ws = workspace(tmp_path, fake_api, timeout_s=5.0, max_retries=2)
    fake_api.fail_next("429", "drop")
    sweep = sweep_file(
        tmp_path,
        "name: secrets\nmodels: [fake-gpt, fake-claude]\nsuites: [ladder_standard, ladder_agentic]\nlimit: 2\n",
    )
    api.run_sweep(sweep, ws=ws)
    api.build_report("secrets", ws=ws)
    needle = fake_api_key.encode()
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any(p.suffix == ".eval" for p in files)
    leaked = [str(p) for p in files if needle in p.read_bytes()]
    assert leaked == []
