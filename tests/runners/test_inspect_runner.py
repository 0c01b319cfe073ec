"""InspectRunner unit tests: the real ladder task, tool, agent loop, scorer, hooks and record
conversion, with inspect's mockllm standing in for the model server (no network, no server)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from inspect_ai.model import ChatMessageTool, ModelOutput, get_model
from inspect_ai.tool import ToolDef

from harness._types import DeploymentFacts, Endpoint, SampleRecord
from harness.config import REPO_ROOT
from harness.errors import ConfigError, RunnerError
from harness.models import load_registry
from harness.runners import inspect_runner, inspect_tasks
from harness.runners.base import RunContext, UserSimulator, get_runner
from harness.runners.inspect_runner import InspectRunner, epoch_groups, make_model
from harness.runners.inspect_tasks import build_task, get_factory, register
from harness.runners.inspect_tasks.ladder import (
    load_samples,
    lookup_tool,
    max_lookups,
    message_budget,
)
from harness.suites import ladder
from harness.suites.registry import load_suite
from harness.suites.scorers import load_docs

SUITE = load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml")
CARD, DEPLOYMENT = load_registry(REPO_ROOT / "models.yaml").resolve("smollm2-135m-instruct")


def _endpoint(**kw: Any) -> Endpoint:
    base = {
        "protocol": "openai",
        "model_name": "smollm2",
        "base_url": "http://127.0.0.1:9/v1",
        "api_key_env": None,
        "facts": DeploymentFacts(deployment_id=DEPLOYMENT.id, provider=DEPLOYMENT.provider),
    }
    return Endpoint(**{**base, **kw})


def _ctx(tmp_path: Path, todo: list[tuple[str, int]], **kw: Any) -> RunContext:
    fields: dict[str, Any] = {
        "run_id": "run-test",
        "sweep_id": "sweep-test",
        "card": CARD,
        "deployment": DEPLOYMENT,
        "endpoint": _endpoint(),
        "suite": SUITE,
        "raw_dir": tmp_path / "raw",
    }
    return RunContext(todo=tuple(todo), **{**fields, **kw})


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path_factory.getbasetemp() / "gapbench-cache"
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(cache))


def _oracle(messages: list[Any], tools: list[Any], *_: Any) -> ModelOutput:
    """A perfect agent: looks up the start key, follows each result, answers the code."""
    assert [t.name for t in tools] == ["lookup"]
    last = messages[-1]
    if isinstance(last, ChatMessageTool):
        if re.fullmatch(ladder.CODE_PATTERN, last.text):
            return ModelOutput.from_content(
                "mockllm/model", f"The chain ends.\nANSWER: {last.text}"
            )
        return ModelOutput.for_tool_call("mockllm/model", "lookup", {"key": last.text})
    start = re.search(r"Start with the key `([a-z]+)`", messages[-1].text)
    assert start is not None
    return ModelOutput.for_tool_call("mockllm/model", "lookup", {"key": start.group(1)})


def _use_mock(monkeypatch: pytest.MonkeyPatch, outputs: Any) -> None:
    def fake_make_model(*args: Any, **kwargs: Any) -> Any:
        return get_model("mockllm/model", custom_outputs=outputs, memoize=False)

    monkeypatch.setattr(inspect_runner, "make_model", fake_make_model)


def _run(ctx: RunContext) -> list[SampleRecord]:
    records: list[SampleRecord] = []
    InspectRunner().run(ctx, records.append)
    return records


# --- registry and dataset ---------------------------------------------------------------


def test_get_runner_and_engine_version() -> None:
    runner = get_runner("inspect")
    assert isinstance(runner, InspectRunner)
    assert re.match(r"^\d+\.\d+\.\d+", runner.engine_version())


def test_sample_ids_match_the_paired_standard_suite() -> None:
    ids = InspectRunner().sample_ids(SUITE)
    std = load_docs(REPO_ROOT / "tasks" / "ladder" / "data" / "standard.jsonl")
    assert ids == [d.id for d in std]
    samples = load_samples(REPO_ROOT / "tasks" / "ladder" / "data" / "agentic.jsonl")
    assert all(s.metadata["h"] == d.h for s, d in zip(samples, std, strict=True))


def test_registry_unknown_task_is_a_config_error() -> None:
    bad = SUITE.model_copy(update={"task": "no_such_task"})
    with pytest.raises(ConfigError, match=r"task.*no_such_task"):
        build_task(bad)


def test_register_twice_is_refused() -> None:
    factory = get_factory("ladder_agentic")
    with pytest.raises(ValueError, match="registered twice"):
        register("ladder_agentic")(lambda s, c: factory(s, c))


def test_gold_calls_through_the_inspect_tool() -> None:
    asyncio.run(_replay_gold())


async def _replay_gold() -> None:
    # the tool the model is offered returns the chain, then the code
    for sample in load_samples(REPO_ROOT / "tasks" / "ladder" / "data" / "agentic.jsonl"):
        tool = ToolDef(lookup_tool({k: v for k, v in sample.metadata["table"]}))
        assert tool.name == "lookup" and list(tool.parameters.properties) == ["key"]
        key, calls = sample.metadata["start"], 0
        while True:
            result = str(await tool.tool(key=key))
            calls += 1
            if not re.fullmatch(ladder.CODE_PATTERN, result):
                key = result
                continue
            break
        assert calls == sample.metadata["h"] and result == sample.target


# --- model construction -------------------------------------------------------------------


def test_openai_compatible_model_gets_url_and_key_as_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MY_KEY", "sk-secret")
    monkeypatch.delenv("GAPBENCH_API_KEY", raising=False)
    model = make_model(
        _endpoint(api_key_env="MY_KEY", max_retries=2, timeout_s=30.5), SUITE.limits, 4
    )
    assert str(model) == "openai-api/gapbench/smollm2"
    assert model.api.base_url == "http://127.0.0.1:9/v1"
    assert model.api.api_key == "sk-secret"
    assert "GAPBENCH_API_KEY" not in __import__("os").environ  # nothing leaked to env
    assert model.config.max_tokens == SUITE.limits.max_tokens
    assert model.config.temperature == 0.0
    assert model.config.max_retries == 2 and model.config.attempt_timeout == 31
    assert model.config.max_connections == 1  # min(ctx, endpoint)


def test_keyless_endpoint_gets_a_dummy_key_and_missing_key_is_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert make_model(_endpoint(), SUITE.limits, 1).api.api_key
    monkeypatch.delenv("NOT_SET_KEY", raising=False)
    with pytest.raises(RunnerError, match="NOT_SET_KEY is not set"):
        make_model(_endpoint(api_key_env="NOT_SET_KEY"), SUITE.limits, 1)


def test_anthropic_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_TEST_KEY", "sk-ant")
    model = make_model(
        _endpoint(
            protocol="anthropic",
            model_name="claude-x",
            base_url="http://127.0.0.1:9",
            api_key_env="ANTHROPIC_TEST_KEY",
        ),
        SUITE.limits,
        1,
    )
    assert str(model) == "anthropic/claude-x"
    assert model.api.base_url == "http://127.0.0.1:9"


def test_epoch_groups_relabel_requested_epochs() -> None:
    groups = epoch_groups((("a", 1), ("a", 2), ("b", 2), ("c", 3), ("a", 2)))
    assert groups == [(["b", "c"], {"b": [2], "c": [3]}), (["a"], {"a": [1, 2]})]


# --- end to end with a mock model -------------------------------------------------------------


def test_oracle_agent_scores_one_at_every_h(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_mock(monkeypatch, _oracle)
    todo = [(ladder.item_id(h, 0), 1) for h in ladder.HORIZONS]
    records = _run(_ctx(tmp_path, todo))
    assert sorted((r.sample_id, r.epoch) for r in records) == sorted(todo)
    for r in records:
        assert r.status == "scored" and r.score == 1.0 and r.success is True, r
        assert r.steps == r.h  # one tool call per required step
        assert r.extra["assistant_turns"] == str(r.h + 1)
        assert r.engine == "inspect" and r.suite == "ladder_agentic" and r.kind == "agentic"
        assert r.input_tokens and r.output_tokens is not None
        assert isinstance(r.started_at, datetime) and isinstance(r.finished_at, datetime)
        assert r.latency_s is not None and r.error is None
    assert list((tmp_path / "raw").glob("*.eval")), "the .eval log is kept for inspect view"


def test_wrong_answer_is_scored_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_mock(monkeypatch, lambda *a: ModelOutput.from_content("mockllm/model", "ANSWER: ZZ-0000"))
    [r] = _run(_ctx(tmp_path, [("ladder-h01-000", 1)]))
    assert (r.status, r.score, r.success, r.steps) == ("scored", 0.0, False, 0)


def test_model_failure_is_an_error_not_a_wrong_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> ModelOutput:
        raise ValueError("backend exploded")

    _use_mock(monkeypatch, broken)
    [r] = _run(_ctx(tmp_path, [("ladder-h02-000", 1)]))
    assert r.status == "error" and r.score is None and r.success is None
    assert "backend exploded" in (r.error or "") and "\n" not in (r.error or "")
    assert r.h == 2


def test_message_limit_gives_status_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an agent that never stops looking up the start key
    _use_mock(
        monkeypatch, lambda *a: ModelOutput.for_tool_call("mockllm/model", "lookup", {"key": "x"})
    )
    suite = SUITE.model_copy(
        update={"limits": SUITE.limits.model_copy(update={"message_limit": 6})}
    )
    [r] = _run(_ctx(tmp_path, [("ladder-h04-000", 1)], suite=suite))
    # Running out of budget is failing the task: the scorer's verdict (no answer: 0) counts.
    assert r.status == "limit" and r.score == 0.0 and r.success is False
    assert r.error and r.error.startswith("message limit (6) reached")


def test_per_item_lookup_budget_stops_a_looping_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the budget scales with h (2h + 4 lookups), below the suite's global message_limit
    _use_mock(
        monkeypatch, lambda *a: ModelOutput.for_tool_call("mockllm/model", "lookup", {"key": "x"})
    )
    [r] = _run(_ctx(tmp_path, [("ladder-h02-000", 1)]))
    assert message_budget(2) == 19 < (SUITE.limits.message_limit or 0)
    assert r.status == "limit" and r.error and r.error.startswith("message limit (19) reached")
    assert r.steps == max_lookups(2) + 1  # the call that broke the budget is counted, not answered


def test_epochs_and_resume_numbering(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_mock(monkeypatch, _oracle)
    todo = [
        ("ladder-h01-000", 2),
        ("ladder-h01-000", 3),
        ("ladder-h01-001", 1),
        ("ladder-h01-001", 2),
    ]
    records = _run(_ctx(tmp_path, todo))
    assert sorted((r.sample_id, r.epoch) for r in records) == sorted(todo)
    assert len({r.sample_key for r in records}) == 4


def test_sink_failure_is_raised_not_swallowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use_mock(monkeypatch, _oracle)

    def sink(_: SampleRecord) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        InspectRunner().run(_ctx(tmp_path, [("ladder-h01-000", 1)]), sink)


def test_unknown_sample_id_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use_mock(monkeypatch, _oracle)
    with pytest.raises(RunnerError, match="no samples ladder-h99-000"):
        _run(_ctx(tmp_path, [("ladder-h99-000", 1)]))


def test_user_simulator_is_passed_as_model_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real_eval = inspect_runner.inspect_eval

    def spy_eval(*args: Any, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return real_eval(*args, **kwargs)

    monkeypatch.setattr(inspect_runner, "inspect_eval", spy_eval)
    _use_mock(monkeypatch, _oracle)
    user = UserSimulator(card=CARD, endpoint=_endpoint(model_name="user-model"))
    [r] = _run(_ctx(tmp_path, [("ladder-h01-000", 1)], user=user))
    assert set(seen["model_roles"]) == {"user"}
    assert r.user_simulator == CARD.id


def test_records_stream_from_the_hook_before_eval_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    returned = {"eval": False}
    real_eval = inspect_runner.inspect_eval

    def spy_eval(*args: Any, **kwargs: Any) -> Any:
        logs = real_eval(*args, **kwargs)
        returned["eval"] = True
        return logs

    monkeypatch.setattr(inspect_runner, "inspect_eval", spy_eval)
    _use_mock(monkeypatch, _oracle)
    seen: list[bool] = []
    InspectRunner().run(
        _ctx(tmp_path, [("ladder-h01-000", 1), ("ladder-h02-000", 1)]),
        lambda r: seen.append(returned["eval"]),
    )
    assert seen == [False, False]  # each delivered while inspect was still running


def test_engine_failure_is_one_runner_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exploding_eval(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("engine broke\nwith a long traceback")

    monkeypatch.setattr(inspect_runner, "inspect_eval", exploding_eval)
    _use_mock(monkeypatch, _oracle)
    with pytest.raises(RunnerError) as err:
        _run(_ctx(tmp_path, [("ladder-h01-000", 1)]))
    assert str(err.value) == "inspect eval failed for ladder_agentic: RuntimeError: engine broke"


def test_task_that_fails_to_build_is_a_runner_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(suite: Any, ctx: Any) -> Any:
        raise ImportError("missing optional dependency")

    # registered for this test only
    monkeypatch.setitem(inspect_tasks._FACTORIES, "broken_task_for_test", broken)
    suite = SUITE.model_copy(update={"task": "broken_task_for_test"})
    with pytest.raises(RunnerError, match=r"broken_task_for_test.*missing optional dependency"):
        _run(_ctx(tmp_path, [("ladder-h01-000", 1)], suite=suite))
