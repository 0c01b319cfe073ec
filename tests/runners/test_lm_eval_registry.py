"""lm-eval registry tasks: offline and not cached, the suite is unavailable with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.errors import ConfigError, RunnerError
from harness.runners.lm_eval_runner import LmEvalRunner, SuiteUnavailable
from harness.suites.registry import load_suite

GSM8K = REPO_ROOT / "tasks" / "standard" / "gsm8k" / "suite.yaml"


@pytest.mark.slow  # lm-eval indexes its task registry (seconds)
def test_registry_task_without_local_data_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf" / "datasets"))
    suite = load_suite(GSM8K)
    assert suite.data is None and suite.task == "gsm8k"
    with pytest.raises(SuiteUnavailable) as err:
        LmEvalRunner().sample_ids(suite)
    message = str(err.value)
    assert isinstance(err.value, RunnerError)
    assert "\n" not in message and message.startswith("gsm8k: ")
    assert "not reachable" in message


@pytest.mark.slow
def test_unknown_registry_task_is_a_mistake_in_the_suite_file() -> None:
    # not "unavailable" (skipped): the suite file names a task lm-eval does not have, which is
    # one line naming suite.yaml and its task field, exit 2 (issue 18)
    suite = load_suite(GSM8K).model_copy(update={"task": "no_such_lm_eval_task"})
    with pytest.raises(ConfigError, match=r"suite\.yaml: task: 'no_such_lm_eval_task' is not an"):
        LmEvalRunner().sample_ids(suite)


def _local_registry_style_task(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A task configured like lm-eval's gsm8k (template prompt, regex filter, exact_match),
    over local data: stands in for a registry task whose data is in the local cache."""
    import json

    from lm_eval.api.task import ConfigurableTask

    data = tmp_path / "qa.jsonl"
    rows = [{"question": f"What is {i} + {i}?", "answer": "42" if i else "7"} for i in range(3)]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ConfigurableTask(
        config={
            "task": "local_qa",
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "test_split": "test",
            "output_type": "generate_until",
            "doc_to_text": "Question: {{question}}",
            "doc_to_target": "answer",
            "generation_kwargs": {"until": ["Question:"], "max_gen_toks": 64},
            "metric_list": [
                {"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}
            ],
            "filter_list": [
                {
                    "name": "strict",
                    "filter": [
                        {"function": "regex", "regex_pattern": r"ANSWER: (\d+)"},
                        {"function": "take_first"},
                    ],
                },
                {"name": "loose", "filter": [{"function": "take_first"}]},
            ],
        }
    )


def test_registry_task_runs_with_its_own_metric(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.runners.lm_eval_registry as reg
    from harness._types import DeploymentFacts, Endpoint, SampleRecord
    from tests.fakeapi import FakeAPI
    from tests.runners.lm_eval_helpers import make_ctx

    task = _local_registry_style_task(tmp_path)
    monkeypatch.setattr(reg, "load_registry_tasks", lambda suite: {"local_qa": task})
    suite = load_suite(GSM8K).model_copy(update={"task": "local_qa"})
    assert LmEvalRunner().sample_ids(suite) == ["local_qa/0", "local_qa/1", "local_qa/2"]
    with FakeAPI() as api:  # replies "...ANSWER: 42"
        endpoint = Endpoint(
            protocol="openai", model_name="fake-gpt", base_url=api.openai_base_url,
            api_key_env=None, facts=DeploymentFacts(deployment_id="f", provider="openai-compatible"),
            timeout_s=2.0, max_retries=0,
        )  # fmt: skip
        todo = [("local_qa/0", 1), ("local_qa/1", 1), ("local_qa/1", 2)]
        records: list[SampleRecord] = []
        LmEvalRunner().run(make_ctx(suite, endpoint, todo, tmp_path / "raw"), records.append)
    got = {(r.sample_id, r.epoch): r for r in records}
    assert sorted(got) == sorted(todo)
    assert all(r.status == "scored" for r in records)
    assert got[("local_qa/0", 1)].score == 0.0  # answer 7, model says 42
    assert got[("local_qa/1", 1)].score == 1.0 and got[("local_qa/1", 2)].success is True
    assert all(r.output_tokens for r in records)
