"""BFCL multi-turn base: offline data, h, and the state-based checker proven by an oracle.

A scripted model replays the ground-truth calls turn by turn through inspect_evals' solver
(the real backends execute them); the checker must pass it, and must fail the same script
with one argument changed or one call dropped.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import EvalLog
from inspect_ai.model import ChatMessage, GenerateConfig, ModelOutput, get_model
from inspect_ai.scorer import value_to_float
from inspect_ai.solver._task_state import sample_state  # test-only: which sample is running
from inspect_ai.tool import ToolChoice, ToolInfo

from harness.config import REPO_ROOT, load_settings
from harness.errors import ConfigError
from harness.offline import ensure_tiktoken_offline
from harness.runners.inspect_tasks import build_task
from harness.runners.inspect_tasks.bfcl import bfcl_multi_turn_task, data_dir, ground_truth_calls
from harness.suites.registry import load_suite
from harness.suites.spec import SuiteLimits

MOCK = "mockllm/model"
SUITE_YAML = REPO_ROOT / "tasks" / "agentic" / "bfcl_multi_turn" / "suite.yaml"
LIMITS = SuiteLimits(max_tokens=256, message_limit=200, time_limit_s=120)

Edit = Callable[[int, int, str], str | None]  # (turn, index, call) -> call, or None to drop


@pytest.fixture(scope="module", autouse=True)
def _offline_tokens() -> None:
    # mockllm counts tokens with tiktoken, which must not download its vocabulary.
    ensure_tiktoken_offline(load_settings().cache_dir)


@pytest.fixture(scope="module")
def data() -> Path:
    return data_dir(load_suite(SUITE_YAML))


def parse_call(call: str, tools: list[ToolInfo]) -> tuple[str, dict[str, Any]]:
    """'mv(source="a", destination="b")' -> ('mv', {...}); positional args named by the tool."""
    node = ast.parse(call.strip(), mode="eval").body
    assert isinstance(node, ast.Call)
    name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id  # type: ignore[attr-defined]
    args = {kw.arg: ast.literal_eval(kw.value) for kw in node.keywords if kw.arg}
    if node.args:
        info = next(t for t in tools if t.name == name)
        order = list(info.parameters.properties)
        args.update({order[i]: ast.literal_eval(a) for i, a in enumerate(node.args)})
    return name, args


@dataclass
class _Progress:
    turns: deque[list[str]]
    current: deque[str] = field(default_factory=deque)
    advance: bool = True


@dataclass
class GroundTruthScript:
    """Replays each sample's ground truth, one call per model turn, then answers in text."""

    edit: Edit | None = None
    progress: dict[tuple[str, int], _Progress] = field(default_factory=dict)

    def __call__(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        state = sample_state()
        assert state is not None
        key = (str(state.sample_id), state.epoch)
        if key not in self.progress:
            turns = ground_truth_calls(state.metadata)
            if self.edit is not None:
                turns = [
                    [c for j, call in enumerate(turn) if (c := self.edit(i, j, call)) is not None]
                    for i, turn in enumerate(turns)
                ]
            self.progress[key] = _Progress(deque(turns))
        p = self.progress[key]
        if p.advance:
            p.current = deque(p.turns.popleft() if p.turns else [])
            p.advance = False
        if p.current:
            name, args = parse_call(p.current.popleft(), tools)
            return ModelOutput.for_tool_call(MOCK, name, args)
        p.advance = True
        return ModelOutput.from_content(MOCK, "Done.")


def run_script(
    path: Path, sample_ids: list[str], script: GroundTruthScript, tmp_path: Path
) -> EvalLog:
    log = inspect_eval(
        bfcl_multi_turn_task(path, LIMITS),
        model=get_model(MOCK, custom_outputs=script, memoize=False),
        sample_id=sample_ids,
        log_dir=str(tmp_path),
        display="none",
        log_realtime=False,
        max_samples=8,
    )[0]
    assert log.status == "success", log.error and log.error.message
    return log


def scores(log: EvalLog) -> dict[str, float]:
    to_float = value_to_float()
    out: dict[str, float] = {}
    for sample in log.samples or []:
        assert sample.error is None, sample.error
        assert sample.scores
        out[str(sample.id)] = to_float(next(iter(sample.scores.values())).value)
    return out


def test_suite_yaml_matches_the_data(data: Path) -> None:
    suite = load_suite(SUITE_YAML)
    task = build_task(suite)
    ids = [str(s.id) for s in task.dataset]
    assert suite.kind == "agentic" and suite.engine == "inspect"
    assert len(ids) == suite.size == 200
    assert ids[:2] == ["multi_turn_base_0", "multi_turn_base_1"]
    assert set(suite.smoke) <= set(ids)
    by_id = {str(s.id): s for s in task.dataset}
    for sample in task.dataset:
        h = sample.metadata["h"]
        assert h == sum(len(t) for t in ground_truth_calls(sample.metadata)) and h >= 1
    assert by_id["multi_turn_base_50"].metadata["h"] == 2


def test_missing_data_is_one_config_error(tmp_path: Path) -> None:
    suite = load_suite(SUITE_YAML).model_copy(update={"directory": tmp_path})
    with pytest.raises(ConfigError, match=r"suite\.yaml: data: BFCL data not found"):
        data_dir(suite)


def test_loading_never_clones_or_touches_the_network() -> None:
    # inspect_evals' own `bfcl` task would `git clone` here; ours must not even import git.
    code = (
        "import subprocess, sys\n"
        "def no(*a, **k): raise SystemExit('subprocess called: ' + repr(a[0] if a else k))\n"
        "subprocess.run = subprocess.Popen = no\n"
        "from harness.suites.registry import load_suite\n"
        "from harness.runners.inspect_tasks import build_task\n"
        f"t = build_task(load_suite(__import__('pathlib').Path({str(SUITE_YAML)!r})))\n"
        "print(len(t.dataset))\n"
    )
    env = {
        "INSPECT_EVALS_CACHE_DIR": "/nonexistent-gapbench-test",
        "PATH": "",
        "HOME": "/nonexistent",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "200"


# Samples covering every backend class, single- and multi-turn, a positional-arg call, and
# 90 and 147, whose backends keep argument lists (they failed before the deep-copy fix).
ORACLE_IDS = [
    "multi_turn_base_0",
    "multi_turn_base_11",
    "multi_turn_base_50",
    "multi_turn_base_90",
    "multi_turn_base_100",
    "multi_turn_base_144",
    "multi_turn_base_147",
    "multi_turn_base_177",
]


def test_ground_truth_passes_the_checker(data: Path, tmp_path: Path) -> None:
    log = run_script(data, ORACLE_IDS, GroundTruthScript(), tmp_path)
    assert scores(log) == dict.fromkeys(ORACLE_IDS, 1.0)
    # steps the runner counts (tool calls in the transcript) equal h for a perfect replay
    for sample in log.samples or []:
        calls = sum(len(m.tool_calls or []) for m in sample.messages if m.role == "assistant")
        assert calls == sample.metadata["h"]


def _headlights_off(turn: int, index: int, call: str) -> str:
    return call.replace("mode='on'", "mode='off'")


def _drop_last(turn: int, index: int, call: str) -> str | None:
    return None if (turn, index) == (0, 1) else call


@pytest.mark.parametrize(
    "edit", [_headlights_off, _drop_last], ids=["changed-argument", "dropped-call"]
)
def test_perturbed_ground_truth_fails(data: Path, tmp_path: Path, edit: Edit) -> None:
    # multi_turn_base_50: [["lockDoors(unlock=True, door=[...])", "setHeadlights(mode='on')"]]
    log = run_script(data, ["multi_turn_base_50"], GroundTruthScript(edit=edit), tmp_path)
    assert scores(log) == {"multi_turn_base_50": 0.0}


def test_string_ticket_id_passes_as_in_bfcl(data: Path, tmp_path: Path) -> None:
    # Ground truth calls close_ticket(ticket_id='ticket_001') on an integer parameter. inspect
    # refuses the call during the run, but the checker re-runs the transcript's calls as
    # bfcl-eval does, so the replay passes, as it does in BFCL (suite version 2; 1 failed it).
    log = run_script(data, ["multi_turn_base_173"], GroundTruthScript(), tmp_path)
    assert scores(log) == {"multi_turn_base_173": 1.0}
