"""Suite files are input: data confined to the tasks folder, declared size and ids checked
against the data, and a suite that cannot be loaded is one line naming its file and field
(exit 2) on a normal run, not only under --dry-run (issue 18.4)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.cli import main
from harness.config import REPO_ROOT
from harness.errors import ConfigError
from harness.runners.suite_ids import sample_ids
from harness.suites.registry import check_sample_ids, load_suite, load_suites

SUITE = """\
name: {name}
version: "1"
kind: standard
engine: lm_eval
description: a test suite
task: {task}
source: this test
licence: MIT
scorer: exact_match
"""


def _suite(root: Path, name: str, extra: str = "", task: str | None = None) -> Path:
    folder = root / "standard" / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "suite.yaml"
    path.write_text(SUITE.format(name=name, task=task or f"gapbench_{name}") + extra)
    return path


def _docs(path: Path, n: int) -> None:
    rows = [{"id": f"q{i}", "prompt": f"say {i}", "target": str(i)} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    root = tmp_path / "tasks"
    root.mkdir()
    (tmp_path / "passwd").write_text("root:x:0:0\n")
    return root


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("../../../../etc/passwd", "leads outside"),
        ("../../../passwd", "leads outside"),
        ("/etc/passwd", "relative"),
        ("C:/data.jsonl", "relative"),
        ("missing.jsonl", "'missing.jsonl' not found"),
    ],
)
def test_data_outside_the_tasks_folder_or_missing_is_one_line(
    tasks: Path, data: str, problem: str
) -> None:
    path = _suite(tasks, "bad", f"data: {data}\n")
    with pytest.raises(ConfigError) as err:
        load_suites(tasks)
    assert str(err.value).startswith(f"{path}: data: ") and problem in str(err.value)


def test_a_symbolic_link_out_of_the_tasks_folder_is_refused(tasks: Path, tmp_path: Path) -> None:
    path = _suite(tasks, "linked", "data: data.jsonl\n")
    (path.parent / "data.jsonl").symlink_to(tmp_path / "passwd")
    with pytest.raises(ConfigError, match=r"data: 'data\.jsonl' leads outside"):
        load_suites(tasks)
    # a link that stays inside the tasks folder is data like any other
    _docs(tasks / "shared.jsonl", 2)
    (path.parent / "data.jsonl").unlink()
    (path.parent / "data.jsonl").symlink_to(tasks / "shared.jsonl")
    assert load_suites(tasks).get("linked").data == "data.jsonl"
    (path.parent / "data.jsonl").unlink()
    os.mkfifo(path.parent / "data.jsonl")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_suites(tasks)


def test_the_shipped_suites_load_and_a_sibling_data_folder_is_inside(tmp_path: Path) -> None:
    reg = load_suites(REPO_ROOT / "tasks")
    assert reg.get("ladder_agentic").data == "../data/agentic.jsonl"  # tasks/ladder/data
    # alone, a suite in tasks/ is held to tasks/; one elsewhere to its own folder
    assert load_suite(REPO_ROOT / "tasks" / "ladder" / "agentic" / "suite.yaml").data
    path = _suite(tmp_path / "elsewhere", "alone", "data: ../shared.jsonl\n")
    _docs(path.parent.parent / "shared.jsonl", 2)
    with pytest.raises(ConfigError, match="leads outside"):
        load_suite(path)
    assert load_suite(path, root=tmp_path).data == "../shared.jsonl"


def test_declared_size_smoke_and_canary_ids_must_match_the_data(tasks: Path) -> None:
    path = _suite(tasks, "sized", "data: data.jsonl\nsize: 3\nsmoke: [q0, q9]\n")
    _docs(path.parent / "data.jsonl", 2)
    suite = load_suites(tasks).get("sized")
    with pytest.raises(ConfigError) as err:
        sample_ids(suite)
    assert str(err.value) == f"{path}: size: declares 3 samples; its data have 2"
    with pytest.raises(ConfigError, match=r"smoke\[1\]: unknown sample id 'q9'"):
        check_sample_ids(suite.model_copy(update={"size": 2}), ["q0", "q1"])
    with pytest.raises(ConfigError, match=r"canary\[0\]: unknown sample id 'x'"):
        check_sample_ids(
            suite.model_copy(update={"size": None, "smoke": [], "canary": ["x"]}), ["q0"]
        )
    # external data (the user's HF cache may hold part of a data set) are not held to them
    check_sample_ids(suite.model_copy(update={"external_data": True}), ["q0"])
    check_sample_ids(suite.model_copy(update={"data": None, "size": 1319}), ["gsm8k/0"])


def _run(
    tasks: Path, tmp_path: Path, suite: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str]]:
    os.environ["GAPBENCH_TASKS_DIR"] = str(tasks)
    try:
        capsys.readouterr()
        code = main(
            ["run", "--model", "smollm2-135m-instruct", "--suite", suite,
             "--results-dir", str(tmp_path / "results")]
        )  # fmt: skip
    finally:
        del os.environ["GAPBENCH_TASKS_DIR"]
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def test_a_suite_that_cannot_be_loaded_is_exit_2_on_a_normal_run(
    tasks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _suite(tasks, "wrong_size", "data: data.jsonl\nsize: 5\n")
    _docs(path.parent / "data.jsonl", 2)
    code, lines = _run(tasks, tmp_path, "wrong_size", capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == f"gapbench: {path}: size: declares 5 samples; its data have 2"
    assert not (tmp_path / "results").exists() or not any((tmp_path / "results").rglob("*.parquet"))


def test_a_skipped_suite_says_why_on_a_normal_run(
    tasks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _suite(tasks, "needs_module", "data: data.jsonl\nrequires: [no_such_module_xyz]\n")
    _docs(path.parent / "data.jsonl", 2)
    code, lines = _run(tasks, tmp_path, "needs_module", capsys)
    assert code == 1
    assert any("no_such_module_xyz" in line and "needs_module" in line for line in lines), lines
    assert lines[-1].startswith("gapbench: nothing to run")


def test_an_unknown_engine_task_is_exit_2_naming_the_field(
    tasks: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _suite(tasks, "no_task", task="no_such_inspect_task")
    path.write_text(path.read_text().replace("engine: lm_eval", "engine: inspect"))
    code, lines = _run(tasks, tmp_path, "no_task", capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(
        f"gapbench: {path}: task: unknown inspect task 'no_such_inspect_task'"
    )
