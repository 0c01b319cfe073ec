"""Tonight's plan without running anything: canary run ids per night / deployment, canary
todo from the store (done tonight, errored, not yet run), why a run runs, bad canary ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from harness._types import DeploymentFacts, SampleRecord
from harness.errors import ConfigError
from harness.models import Deployment, ModelCard
from harness.nightly import canaries as canaries_mod
from harness.nightly.canaries import canary_key, canary_run_id, plan_canaries
from harness.nightly.plan import _Stored, why_run
from harness.store import Store
from harness.store.keys import sample_key
from harness.suites import SuiteSpec
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.spec import SweepSpec

NIGHT = date(2026, 12, 1)
IDS = [f"s{i}" for i in range(6)]


class FakeRunner:
    engine = "lm_eval"

    def engine_version(self) -> str:
        return "9.9"

    def sample_ids(self, suite: SuiteSpec) -> list[str]:
        return list(IDS)


def suite(canary: list[str], tmp: Path = Path("tasks/toy")) -> SuiteSpec:
    spec = SuiteSpec(
        name="toy",
        version="1",
        kind="standard",
        engine="lm_eval",
        description="d",
        task="toy",
        source="here",
        licence="MIT",
        canary=canary,
    )
    return spec.model_copy(update={"directory": tmp})


def run(
    access: str = "closed", provider: str = "openai", canary: list[str] | None = None
) -> PlannedRun:
    card = ModelCard(
        id=f"m-{access}",
        name="m",
        organisation="o",
        access=access,  # type: ignore[arg-type]
        release_date=date(2026, 1, 1),
        licence="x",
        source="http://example.invalid",
    )
    if provider == "llama-cpp":
        dep = Deployment(
            id="m-local",
            model=card.id,
            provider="llama-cpp",
            weights={"path": "/models/m.gguf", "quantization": "Q4_1"},  # type: ignore[arg-type]
        )
    else:
        dep = Deployment(id="m@api", model=card.id, provider="openai", api_model="m")
    return PlannedRun(
        run_id=f"base-{access}",
        card=card,
        deployment=dep,
        suite=suite(["s1", "s3"] if canary is None else canary),
        engine_version="9.9",
        sample_ids=tuple(IDS[:2]),
        epochs=1,
        todo=(),
    )


def plan_of(*runs: PlannedRun) -> Plan:
    sweep = SweepSpec(name="nightly-test", models=["m"], suites=["toy"])
    return Plan(sweep, Path("sweep.yaml"), runs, (), None, True)


def stored(run_id: str, sid: str, status: str = "scored") -> SampleRecord:
    return SampleRecord(
        run_id=run_id,
        sample_key=sample_key(run_id, sid, 1),
        sweep_id="nightly-test",
        model_id="m-closed",
        access="closed",
        release_date=None,
        suite="toy",
        suite_version="1",
        kind="standard",
        task="toy",
        sample_id=sid,
        epoch=1,
        status=status,  # type: ignore[arg-type]
        engine="lm_eval",
        engine_version="9.9",
        harness_version="t",
        facts=DeploymentFacts(deployment_id="m@api", provider="openai"),
        score=1.0 if status == "scored" else None,
        error=None if status == "scored" else "HTTP 500",
        started_at=datetime(2026, 12, 1, 2, tzinfo=UTC),
        canary=True,
    )


@pytest.fixture(autouse=True)
def fake_runner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canaries_mod, "get_runner", lambda engine: FakeRunner())


def test_closed_canaries_get_a_run_per_night_open_ones_per_deployment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = run("closed")
    k1, why = canary_key(closed, NIGHT)
    k2, _ = canary_key(closed, date(2026, 12, 2))
    assert k1 != k2 and "night 2026-12-01" in why
    assert canary_run_id(closed.run_id, k1) != canary_run_id(closed.run_id, k2)
    assert canary_run_id(closed.run_id, k1) == canary_run_id(
        closed.run_id, canary_key(closed, NIGHT)[0]
    )

    local = run("open", provider="llama-cpp")
    monkeypatch.setattr("harness.serve.llama.llama_cpp_version", lambda: "0.3.16")
    o1, why_open = canary_key(local, NIGHT)
    assert canary_key(local, date(2027, 1, 1))[0] == o1  # nights alone do not rerun open models
    assert "llama-cpp-python 0.3.16" in why_open
    monkeypatch.setattr("harness.serve.llama.llama_cpp_version", lambda: "0.3.17")
    assert canary_key(local, NIGHT)[0] != o1  # the server software changed: rerun
    other = replace(local, run_id="base-other")
    monkeypatch.setattr("harness.serve.llama.llama_cpp_version", lambda: "0.3.16")
    assert canary_key(other, NIGHT)[0] != o1  # a new run key (deployment, suite, engine)


def test_canary_todo_comes_from_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    closed = run("closed")
    first = plan_canaries(plan_of(closed), NIGHT, store)
    assert [r.todo for r in first.runs] == [(("s1", 1), ("s3", 1))]
    canary = first.runs[0]
    assert canary.canary and canary.epochs == 1 and canary.sample_ids == ("s1", "s3")
    assert canary.run_id != closed.run_id

    # Tonight: s1 stored, s3 errored -> s3 is retried; tomorrow both run again.
    store.append_samples([stored(canary.run_id, "s1"), stored(canary.run_id, "s3", "error")])
    again = plan_canaries(plan_of(closed), NIGHT, store)
    assert [(r.todo, r.n_retry) for r in again.runs] == [((("s3", 1),), 1)]
    store.append_samples([stored(canary.run_id, "s3")])
    done = plan_canaries(plan_of(closed), NIGHT, store)
    assert done.runs == () and [s.reason for s in done.skipped] == ["tonight's canary already ran"]
    tomorrow = plan_canaries(plan_of(closed), date(2026, 12, 2), store)
    assert [len(r.todo) for r in tomorrow.runs] == [2]


def test_suites_without_canaries_are_said_so_and_unknown_ids_are_exit_2(tmp_path: Path) -> None:
    none = plan_canaries(plan_of(run("closed", canary=[])), NIGHT, Store(tmp_path))
    assert none.runs == () and "declares no canary" in none.skipped[0].reason
    bad = run("closed", canary=["s1", "nope"])
    with pytest.raises(ConfigError) as exc:
        plan_canaries(plan_of(bad), NIGHT, Store(tmp_path))
    assert exc.value.exit_code == 2
    assert (
        str(exc.value) == "tasks/toy/suite.yaml: canary[1]: unknown sample id 'nope' in suite toy"
    )


def test_why_a_run_runs() -> None:
    nothing = _Stored(frozenset(), frozenset(), frozenset())
    base = run("closed")
    fresh = replace(base, todo=(("s0", 1), ("s1", 1)))
    assert why_run(fresh, nothing) == "new model"
    known = _Stored(
        frozenset({"m-closed"}),
        frozenset({("m-closed", "toy", "0")}),
        frozenset({("m-closed", "toy")}),
    )
    assert why_run(fresh, known) == "new suite version 1"
    assert (
        why_run(fresh, _Stored(frozenset({"m-closed"}), frozenset(), frozenset()))
        == "new suite for this model"
    )
    same = _Stored(known.models, frozenset({("m-closed", "toy", "1")}), known.pairs)
    assert why_run(fresh, same) == "new run (deployment or engine version changed)"
    epochs = replace(base, epochs=3, todo=(("s0", 3), ("s1", 3)))
    assert why_run(epochs, same) == "2 missing epochs (epochs: 3)"
    retry = replace(base, todo=(("s1", 1),), n_retry=1)
    assert why_run(retry, same) == "1 errored samples retried"
