"""lm-eval registry tasks: offline and not cached, the suite is unavailable with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.errors import RunnerError
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
def test_unknown_registry_task_is_unavailable() -> None:
    suite = load_suite(GSM8K).model_copy(update={"task": "no_such_lm_eval_task"})
    with pytest.raises(SuiteUnavailable, match="not an lm-eval task"):
        LmEvalRunner().sample_ids(suite)
