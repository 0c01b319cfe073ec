"""A plan that prices itself: its numbers equal a hand computation on a planted store.

The store holds samples of model A (deployment a@api) on ladder_standard with known tokens and
latencies, plus rows that must NOT enter a profile (an error, a canary, an imported row, another
suite). A plan of A, B (priced, never run) and a local model ($/hour, concurrency 1), and a
suite with a declared token_profile, is priced; every figure is recomputed here by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from harness._types import DeploymentFacts, SampleRecord
from harness.models import Deployment, ModelCard, Pricing
from harness.store import Store
from harness.store.keys import sample_key
from harness.suites import SuiteRegistry, load_suites
from harness.suites.spec import SuiteSpec, TokenProfile
from harness.sweep.plan import Plan, PlannedRun
from harness.sweep.pricing import estimate_plan
from harness.sweep.spec import SweepSpec

REPO = Path(__file__).resolve().parents[2]
TOKENS = [(1000, 100, 2.0), (3000, 300, 4.0), (2000, 200, 6.0)]  # (in, out, latency_s) of A


def _card(model_id: str, access: str = "closed") -> ModelCard:
    return ModelCard(
        id=model_id,
        name=model_id,
        organisation="o",
        access=access,  # type: ignore[arg-type]
        release_date=date(2025, 1, 1),
        licence="l",
        source="s",
    )


def _dep(dep_id: str, model: str, pricing: Pricing | None, connections: int = 4) -> Deployment:
    return Deployment(
        id=dep_id,
        model=model,
        provider="openai-compatible",
        api_model=model,
        base_url="http://127.0.0.1:9/v1",
        max_connections=connections,
        pricing=pricing,
    )


def _row(
    model: str, dep: str, suite: str, i: int, tokens: tuple[int, int, float], **kw: object
) -> SampleRecord:
    inp, out, lat = tokens
    values: dict[str, object] = {
        "run_id": f"planted-{model}-{suite}",
        "sample_key": sample_key(f"planted-{model}-{suite}", f"s{i}", 1),
        "sweep_id": "old",
        "model_id": model,
        "access": "closed",
        "release_date": date(2025, 1, 1),
        "suite": suite,
        "suite_version": "1",
        "kind": "standard",
        "task": suite,
        "sample_id": f"s{i}",
        "epoch": 1,
        "status": "scored",
        "score": 1.0,
        "engine": "lm_eval",
        "engine_version": "x",
        "harness_version": "x",
        "facts": DeploymentFacts(deployment_id=dep, provider="openai-compatible"),
        "input_tokens": inp,
        "output_tokens": out,
        "latency_s": lat,
        "steps": 1,
        **kw,
    }
    return SampleRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    rows = [_row("a", "a@api", "ladder_standard", i, t) for i, t in enumerate(TOKENS)]
    noise = (1_000_000, 1_000_000, 1000.0)
    rows += [
        _row("a", "a@api", "ladder_standard", 10, noise, status="error", score=None),
        _row("a", "a@api", "ladder_standard", 11, noise, canary=True),
        _row("a", "a@api", "ladder_standard", 12, noise, source="imported:x"),
        _row("a", "a@api", "humaneval", 13, (50, 5, 0.5)),  # another suite: only for its rate
    ]
    s = Store(tmp_path / "results")
    s.append_samples(rows)
    return s


def _run(card: ModelCard, dep: Deployment, suite: SuiteSpec, n: int, cached: int = 0) -> PlannedRun:
    ids = tuple(f"x{i}" for i in range(n))
    todo = tuple((sid, 1) for sid in ids)
    return PlannedRun(
        f"r-{dep.id}-{suite.name}", card, dep, suite, "x", ids, 1, todo, n_cached=cached
    )


def test_plan_estimate_equals_a_hand_computation(store: Store) -> None:
    suites: SuiteRegistry = load_suites(REPO / "tasks")
    ladder = suites.get("ladder_standard")
    declared = suites.get("humaneval").model_copy(
        update={
            "name": "declared_suite",
            "token_profile": TokenProfile(
                input_tokens=400, output_tokens=50, turns=None, source="hand-made"
            ),
        }
    )
    a = _dep("a@api", "a", Pricing(input_per_m=2.0, output_per_m=10.0))
    b = _dep("b@api", "b", Pricing(input_per_m=1.0, output_per_m=4.0), connections=8)
    local = _dep("l@box", "l", Pricing(usd_per_hour=3.6), connections=1)
    runs = (
        _run(_card("a"), a, ladder, 12, cached=2),  # 10 samples will call the model
        _run(_card("b"), b, ladder, 20),
        _run(_card("b"), b, declared, 5),
        _run(_card("l", "open"), local, ladder, 4),
    )
    sweep = SweepSpec(name="priced", models=["a"], suites=["ladder_standard"], concurrency=2)
    plan = Plan(sweep, Path("priced.yaml"), runs, (), None)
    est = estimate_plan(plan, store)
    deps = {d.deployment.id: d for d in est.deployments}

    # A's own stored samples (the error, canary, import and other suite left out)
    mean_in, mean_out = 2000.0, 200.0  # (1000+3000+2000)/3, (100+300+200)/3
    mean_lat = 4.0  # (2+4+6)/3
    da = deps["a@api"]
    (ra,) = da.runs
    assert ra.n_samples == 10 and ra.profile is not None
    assert (
        ra.profile.source == "stored: this model" and "3 stored samples of a" in ra.profile.detail
    )
    assert da.input_tokens == pytest.approx(10 * mean_in)
    assert da.output_tokens == pytest.approx(10 * mean_out)
    assert da.cost_usd == pytest.approx((10 * mean_in * 2.0 + 10 * mean_out * 10.0) / 1e6)
    assert da.concurrency == 2  # min(max_connections 4, sweep concurrency 2)
    assert da.wall_s == pytest.approx(10 * mean_lat / 2)

    # B never ran: ladder from A's samples ("other models"), the declared suite from suite.yaml;
    # no stored sample of b@api, so no wall time
    db = deps["b@api"]
    rb, rd = db.runs
    assert rb.profile is not None and rb.profile.source == "stored: other models"
    assert rd.profile is not None and rd.profile.source == "declared"
    assert "hand-made" in rd.profile.detail
    assert db.input_tokens == pytest.approx(20 * mean_in + 5 * 400)
    assert db.output_tokens == pytest.approx(20 * mean_out + 5 * 50)
    assert db.cost_usd == pytest.approx(
        (20 * mean_in * 1.0 + 20 * mean_out * 4.0 + 5 * 400 * 1.0 + 5 * 50 * 4.0) / 1e6
    )
    assert db.concurrency == 2 and db.wall_s is None

    # the local model: tokens from A, no stored sample of l@box -> wall and $/hour cost unknown
    dl = deps["l@box"]
    assert dl.concurrency == 1 and dl.wall_s is None and dl.cost_usd is None
    assert "unknown" in dl.price_note
    assert est.total_cost_usd is None
    assert est.known_cost_usd == pytest.approx(da.cost_usd + db.cost_usd)
    assert est.n_samples == 10 + 20 + 5 + 4


def test_wall_time_from_a_deployments_throughput_and_hourly_cost(store: Store) -> None:
    """A deployment measured on another suite: its output tokens per second give the time of
    a new suite; $/hour hardware costs wall time x rate."""
    suites = load_suites(REPO / "tasks")
    ladder = suites.get("ladder_standard")
    # a@api measured on humaneval only (0.5 s for 5 output tokens: 10 tokens/s) if priced
    # per hour; ladder's profile comes from its own ladder samples, its time from its latency
    a_hourly = _dep("a@api", "a", Pricing(usd_per_hour=36.0), connections=3)
    plan = Plan(
        SweepSpec(name="p", models=["a"], suites=["ladder_standard"]),
        Path("p.yaml"),
        (_run(_card("a"), a_hourly, ladder, 6),),
        (),
        None,
    )
    (d,) = estimate_plan(plan, store).deployments
    assert d.wall_s == pytest.approx(6 * 4.0 / 3)
    assert d.cost_usd == pytest.approx(6 * 4.0 / 3 * 36.0 / 3600)

    humaneval = suites.get("humaneval")
    other = _dep("a@api", "zz", Pricing(input_per_m=1.0), connections=1)  # model zz, same dep
    plan2 = Plan(
        SweepSpec(name="p", models=["zz"], suites=["humaneval"]),
        Path("p.yaml"),
        (_run(_card("zz"), other, humaneval, 4),),
        (),
        None,
    )
    (r,) = estimate_plan(plan2, store).deployments[0].runs
    # humaneval profile from a's one humaneval sample (5 out tokens); time: same deployment
    # and suite -> its measured latency 0.5 s per sample
    assert r.time_source == "stored: this deployment and suite"
    assert r.seconds == pytest.approx(4 * 0.5)

    # a suite the deployment never ran: rate = all its output tokens / all its latency
    ladder_only = _dep("a@api", "yy", None, connections=1)
    declared = humaneval.model_copy(
        update={
            "name": "fresh",
            "token_profile": TokenProfile(input_tokens=10, output_tokens=70, source="x"),
        }
    )
    plan3 = Plan(
        SweepSpec(name="p", models=["yy"], suites=["fresh"]),
        Path("p.yaml"),
        (_run(_card("yy"), ladder_only, declared, 2),),
        (),
        None,
    )
    (r3,) = estimate_plan(plan3, store).deployments[0].runs
    rate = (100 + 300 + 200 + 5) / (2.0 + 4.0 + 6.0 + 0.5)  # scored, own, non-canary rows
    assert r3.time_source == "stored: this deployment"
    assert r3.seconds == pytest.approx(2 * 70 / rate)
