"""Planning: run keys are stable, resume subtracts stored samples, skips are explained."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from harness._types import DeploymentFacts, SampleRecord
from harness.errors import PreflightError
from harness.models import load_registry
from harness.store import Store
from harness.store.keys import sample_key
from harness.suites import SuiteRegistry, SuiteSpec
from harness.sweep import plan as plan_mod
from harness.sweep.spec import SweepSpec

REPO = Path(__file__).resolve().parents[2]


class FakeRunner:
    engine = "lm_eval"

    def engine_version(self) -> str:
        return "9.9"

    def sample_ids(self, suite: SuiteSpec) -> list[str]:
        return [f"s{i}" for i in range(5)]


@pytest.fixture
def suites() -> SuiteRegistry:
    spec = SuiteSpec(
        name="toy",
        version="1",
        kind="standard",
        engine="lm_eval",
        description="d",
        task="toy",
        source="here",
        licence="MIT",
        smoke=["s3", "s1"],
    )
    return SuiteRegistry(tasks_dir=REPO / "tasks", suites=(spec,))


@pytest.fixture(autouse=True)
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    # Planning asks harness.runners.suite_ids (no engine import) for ids and versions.
    monkeypatch.setattr(
        plan_mod.suite_ids,
        "sample_ids",
        lambda suite, cache_dir=None: FakeRunner().sample_ids(suite),
    )
    monkeypatch.setattr(
        plan_mod.suite_ids, "engine_version", lambda engine: FakeRunner().engine_version()
    )


def sweep(**kw: object) -> SweepSpec:
    base: dict[str, object] = {"name": "t", "models": ["smollm2-135m-instruct"], "suites": ["toy"]}
    return SweepSpec.model_validate({**base, **kw})


def record(run_id: str, sid: str, epoch: int) -> SampleRecord:
    return SampleRecord(
        run_id=run_id,
        sample_key=sample_key(run_id, sid, epoch),
        sweep_id="t",
        model_id="smollm2-135m-instruct",
        access="open",
        release_date=date(2024, 10, 31),
        suite="toy",
        suite_version="1",
        kind="standard",
        task="toy",
        sample_id=sid,
        epoch=epoch,
        status="scored",
        score=1.0,
        success=True,
        engine="lm_eval",
        engine_version="9.9",
        harness_version="x",
        facts=DeploymentFacts(deployment_id="d", provider="llama-cpp"),
    )


def test_plan_resume_subtracts_stored_samples(tmp_path: Path, suites: SuiteRegistry) -> None:
    registry = load_registry(REPO / "models.yaml")
    store = Store(tmp_path)
    first = plan_mod.plan_sweep(sweep(epochs=2), tmp_path / "s.yaml", registry, suites, store)
    (run,) = first.runs
    assert run.n_planned == 10 and len(run.todo) == 10
    store.append_samples([record(run.run_id, "s0", 1), record(run.run_id, "s4", 2)])
    again = plan_mod.plan_sweep(sweep(epochs=2), tmp_path / "s.yaml", registry, suites, store)
    assert again.runs[0].run_id == run.run_id  # stable key
    assert len(again.runs[0].todo) == 8
    assert ("s0", 1) not in again.runs[0].todo and ("s4", 2) not in again.runs[0].todo


def test_run_key_changes_with_suite_version(tmp_path: Path, suites: SuiteRegistry) -> None:
    registry = load_registry(REPO / "models.yaml")
    card, dep = registry.resolve("smollm2-135m-instruct")
    v1 = suites.suites[0]
    v2 = v1.model_copy(update={"version": "2"})
    assert plan_mod.run_key(card, dep, v1, "1", None) != plan_mod.run_key(card, dep, v2, "1", None)
    repriced = dep.model_copy(update={"pricing": None, "max_connections": 9})
    assert plan_mod.run_key(card, dep, v1, "1", None) == plan_mod.run_key(
        card, repriced, v1, "1", None
    )


def test_smoke_and_limit_select_samples(tmp_path: Path, suites: SuiteRegistry) -> None:
    registry = load_registry(REPO / "models.yaml")
    smoke = plan_mod.plan_sweep(
        sweep(smoke=True), tmp_path / "s.yaml", registry, suites, Store(tmp_path)
    )
    assert smoke.runs[0].sample_ids == ("s3", "s1")
    limited = plan_mod.plan_sweep(
        sweep(limit=2), tmp_path / "s.yaml", registry, suites, Store(tmp_path)
    )
    assert limited.runs[0].sample_ids == ("s0", "s1")


def test_closed_model_without_key_is_skipped_with_reason(
    tmp_path: Path, suites: SuiteRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    registry = load_registry(REPO / "models.yaml")
    p = plan_mod.plan_sweep(
        sweep(models=["smollm2-135m-instruct", "gpt-5"]),
        tmp_path / "s.yaml",
        registry,
        suites,
        Store(tmp_path),
    )
    assert [r.card.id for r in p.runs] == ["smollm2-135m-instruct"]
    assert len(p.skipped) == 1 and "OPENAI_API_KEY" in p.skipped[0].reason


def test_a_finished_run_is_planned_without_preflight_or_key(
    tmp_path: Path, suites: SuiteRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rerun of a finished sweep calls no model: its deployment is not preflighted (no key,
    # no endpoint, no SDK import), and the run stays in the plan with nothing to do.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    registry = load_registry(REPO / "models.yaml")
    store = Store(tmp_path)
    card, dep = registry.resolve("gpt-5")
    rid = plan_mod.run_key(card, dep, suites.suites[0], "9.9", None)
    store.append_samples(
        [replace(record(rid, sid, 1), model_id="gpt-5", access="closed") for sid in ("s0", "s1")]
    )
    with monkeypatch.context() as m:
        m.setattr("harness.sweep.preflight.preflight", _no_preflight)
        again = plan_mod.plan_sweep(
            sweep(models=["gpt-5"], limit=2), tmp_path / "s.yaml", registry, suites, store
        )
    assert [r.run_id for r in again.runs] == [rid] and again.n_todo == 0
    assert again.skipped == ()
    # One sample more to do: now the deployment is checked, and the missing key stops it.
    with pytest.raises(PreflightError, match="OPENAI_API_KEY"):
        plan_mod.plan_sweep(
            sweep(models=["gpt-5"], limit=3), tmp_path / "s.yaml", registry, suites, store
        )


def _no_preflight(*args: object, **kwargs: object) -> None:
    raise AssertionError("a finished run was preflighted")
