"""EvalSample -> SampleRecord conventions (status, score, tokens, steps, times)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai.log import EvalSample, EvalSampleLimit
from inspect_ai.model import ModelOutput, ModelUsage
from inspect_ai.scorer import Score

from harness._types import DeploymentFacts, Endpoint
from harness.config import REPO_ROOT
from harness.models import load_registry
from harness.runners.base import RunContext, UserSimulator
from harness.runners.inspect_records import to_record
from harness.suites.registry import load_suite

SUITE = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml")
REGISTRY = load_registry(REPO_ROOT / "models.yaml")


def _ctx(model: str = "smollm2-135m-instruct", user: bool = False) -> RunContext:
    card, deployment = REGISTRY.resolve(model)
    endpoint = Endpoint(
        protocol="openai",
        model_name="m",
        base_url="http://127.0.0.1:9/v1",
        api_key_env=None,
        facts=DeploymentFacts(deployment_id=deployment.id, provider=deployment.provider),
    )
    return RunContext(
        run_id="r",
        sweep_id="s",
        card=card,
        deployment=deployment,
        endpoint=endpoint,
        suite=SUITE,
        todo=(("x", 1),),
        raw_dir=Path("/nonexistent"),
        user=UserSimulator(card=card, endpoint=endpoint) if user else None,
    )


def _sample(**kw: Any) -> EvalSample:
    base: dict[str, Any] = {
        "id": "ladder-h04-000",
        "epoch": 1,
        "input": "go",
        "target": "AB-1234",
        "output": ModelOutput.from_content("provider-snapshot-1", "ANSWER: AB-1234"),
        "scores": {"ladder_scorer": Score(value=1.0)},
        "metadata": {"h": 4},
        "model_usage": {
            "openai-api/gapbench/m": ModelUsage(
                input_tokens=100, output_tokens=10, total_tokens=110
            )
        },
        "started_at": "2026-11-22T10:00:00+00:00",
        "completed_at": "2026-11-22T10:00:02.5+00:00",
        "total_time": 2.5,
    }
    return EvalSample(**{**base, **kw})


def test_scored_sample() -> None:
    r = to_record(_ctx(), "0.3.x", _sample(), epoch=3)
    assert (r.status, r.score, r.success, r.error) == ("scored", 1.0, True, None)
    assert (r.sample_id, r.epoch, r.h) == ("ladder-h04-000", 3, 4)
    assert (r.input_tokens, r.output_tokens, r.latency_s) == (100, 10, 2.5)
    assert r.model_snapshot == "provider-snapshot-1"
    assert r.started_at is not None and r.finished_at is not None
    assert (r.finished_at - r.started_at).total_seconds() == 2.5
    assert r.engine == "inspect" and r.engine_version == "0.3.x"
    # SmolLM2's deployment is priced per hour of a 2-core VM: 2.5 s of it
    assert r.cost_usd is not None and 0 < r.cost_usd < 0.001


def test_string_scores_and_partial_credit() -> None:
    assert to_record(_ctx(), "v", _sample(scores={"s": Score(value="I")}), 1).score == 0.0
    partial = to_record(_ctx(), "v", _sample(scores={"s": Score(value=0.5)}), 1)
    assert partial.score == 0.5 and partial.success is False


def test_no_score_is_an_error() -> None:
    r = to_record(_ctx(), "v", _sample(scores=None), 1)
    assert r.status == "error" and r.score is None and r.error == "sample finished without a score"


def test_limit_is_a_failed_task_scored_as_the_scorer_saw_it() -> None:
    limit = EvalSampleLimit(type="time", limit=300, reason="Time limit exceeded.")
    r = to_record(_ctx(), "v", _sample(limit=limit, scores={"s": Score(value=0)}), 1)
    assert r.status == "limit" and r.score == 0.0 and r.success is False
    assert r.error == "time limit (300) reached: Time limit exceeded."


def test_limit_without_a_score_stays_unscored() -> None:
    limit = EvalSampleLimit(type="message", limit=8, reason=None)
    r = to_record(_ctx(), "v", _sample(limit=limit, scores={}), 1)
    assert r.status == "limit" and r.score is None and r.success is None


def test_user_simulator_tokens_are_not_the_agents() -> None:
    usage = {
        "openai-api/gapbench/m": ModelUsage(
            input_tokens=100, output_tokens=10, total_tokens=110, input_tokens_cache_read=40
        ),
        "openai-api/gapbench-user/u": ModelUsage(input_tokens=70, output_tokens=7, total_tokens=77),
    }
    role = {"user": ModelUsage(input_tokens=70, output_tokens=7, total_tokens=77)}
    r = to_record(_ctx(user=True), "v", _sample(model_usage=usage, role_usage=role), 1)
    assert (r.input_tokens, r.output_tokens, r.cached_tokens) == (140, 10, 40)
    assert r.user_simulator == "smollm2-135m-instruct"


def test_task_reported_steps_win_and_bad_h_is_dropped() -> None:
    r = to_record(_ctx(), "v", _sample(metadata={"h": "seven", "steps": 5}), 1)
    assert r.steps == 5 and r.h is None


def test_an_answer_without_token_usage_has_an_unknown_cost_not_zero() -> None:
    from inspect_ai.model import ChatMessageAssistant, ChatMessageUser

    messages = [ChatMessageUser(content="go"), ChatMessageAssistant(content="ANSWER: AB-1234")]
    priced = _ctx("gpt-5")  # priced per token
    assert priced.deployment.pricing is not None and priced.deployment.pricing.input_per_m > 0
    silent = to_record(priced, "v", _sample(messages=messages, model_usage={}), 1)
    assert silent.status == "scored" and silent.cost_usd is None  # unknown, as lm-eval's side
    told = to_record(priced, "v", _sample(messages=messages), 1)
    assert told.cost_usd is not None and told.cost_usd > 0
    # local hardware is priced by the hour: its cost is known without any token counts
    local = to_record(_ctx(), "v", _sample(messages=messages, model_usage={}), 1)
    assert local.cost_usd is not None and local.cost_usd > 0
