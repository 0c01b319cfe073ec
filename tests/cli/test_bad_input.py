"""Bad input gives one line naming the file and field, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def gapbench(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd or REPO,
        timeout=120,
    )


def one_line_exit_2(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (
            "name: x\nmodels: [smollm2-135m-instruct]\nsuites: [ladder_standard]\ncolour: red\n",
            ["colour", "unknown key"],
        ),
        (
            "name: x\nmodels: [smollm2-135m-instruct]\nsuites: [ladder_standard]\nepochs: many\n",
            ["epochs"],
        ),
        ("name: x\nmodels: [gpt-9]\nsuites: [ladder_standard]\n", ["models[0]", "gpt-9"]),
        ("name: x\nmodels: [smollm2-135m-instruct]\nsuites: [nope]\n", ["suites[0]", "nope"]),
        ("name: x\nsuites: [ladder_standard]\n", ["models", "required"]),
        ("name: [unclosed\n", ["YAML"]),
    ],
)
def test_malformed_sweep_is_one_line_exit_2(tmp_path: Path, body: str, needles: list[str]) -> None:
    sweep = write(tmp_path, "bad.yaml", body)
    proc = gapbench("--results-dir", str(tmp_path / "r"), "run", str(sweep), "--dry-run")
    one_line_exit_2(proc, str(sweep), *needles)
    assert not (tmp_path / "r").exists()


def test_missing_sweep_file(tmp_path: Path) -> None:
    proc = gapbench("run", str(tmp_path / "absent.yaml"), "--dry-run")
    one_line_exit_2(proc, "absent.yaml", "not found")


@pytest.mark.parametrize(
    ("body", "needles"),
    [
        (
            "models:\n  - id: a\n    name: A\n    organisation: O\n    access: semi\n    release_date: 2024-01-01\n    licence: x\n    source: y\n",
            ["models[0].access"],
        ),
        (
            "models:\n  - id: a\n    name: A\n    organisation: O\n    access: open\n    release_date: soon\n    licence: x\n    source: y\n",
            ["models[0].release_date"],
        ),
        (
            "models: []\ndeployments:\n  - id: d\n    model: ghost\n    provider: openai\n    api_model: m\n",
            ["deployments[0].model", "ghost"],
        ),
        ("models: []\nextra_section: 1\n", ["extra_section", "unknown key"]),
    ],
)
def test_malformed_registry_is_one_line_exit_2(
    tmp_path: Path, body: str, needles: list[str]
) -> None:
    registry = write(tmp_path, "models.yaml", body)
    proc = gapbench("models", env={"GAPBENCH_REGISTRY": str(registry)})
    one_line_exit_2(proc, str(registry), *needles)


def test_malformed_suite_yaml_is_one_line_exit_2(tmp_path: Path) -> None:
    suite_dir = tmp_path / "tasks" / "broken"
    suite_dir.mkdir(parents=True)
    (suite_dir / "suite.yaml").write_text(
        "name: broken\nversion: '1'\nkind: sideways\nengine: inspect\ndescription: d\ntask: t\nsource: s\nlicence: l\n"
    )
    proc = gapbench("suites", env={"GAPBENCH_TASKS_DIR": str(tmp_path / "tasks")})
    one_line_exit_2(proc, "suite.yaml", "kind")


def test_bad_cli_argument_is_one_line_exit_2() -> None:
    proc = gapbench("run", "demo", "--limit", "lots")
    one_line_exit_2(proc, "--limit")


def test_help_lists_commands() -> None:
    proc = gapbench("--help")
    assert proc.returncode == 0
    for command in (
        "models",
        "suites",
        "run",
        "report",
        "demo",
        "results",
        "import",
        "analyze",
        "nightly",
    ):
        assert command in proc.stdout
