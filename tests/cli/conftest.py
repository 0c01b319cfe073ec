"""Shared helpers for CLI tests: in-process runs of `gapbench`, a seeded store and its hash."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from harness._types import DeploymentFacts, SampleRecord
from harness.cli import main
from harness.store import Store
from harness.store.keys import sample_key

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [ln for ln in self.err.splitlines() if ln.strip()]


@pytest.fixture
def gapbench(capsys: pytest.CaptureFixture[str]) -> Callable[..., Ran]:
    """`gapbench ARGS` in this process (harness.cli.main): exit code, stdout, stderr."""

    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Ran(code, captured.out, captured.err)

    return run


def gapbench_subprocess(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m harness.cli ARGS` in a child process (for what only a process shows)."""
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd or REPO,
        timeout=300,
    )


def tree_hash(root: Path) -> str:
    """Hash of every path, size and content under root ('absent' when root does not exist)."""
    if not root.exists():
        return "absent"
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        h.update(str(path.relative_to(root)).encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


def one_line_usage_error(ran: Ran, *needles: str) -> None:
    """Exit 2 (USAGE), exactly one stderr line containing every needle, no traceback."""
    assert ran.code == 2, (ran.code, ran.err, ran.out)
    assert len(ran.err_lines) == 1, ran.err
    assert "Traceback" not in ran.err and "Traceback" not in ran.out
    for needle in needles:
        assert needle in ran.err_lines[0], ran.err_lines[0]


@pytest.fixture
def seeded_store(tmp_path: Path) -> Path:
    """A results folder holding a few real sample rows (smollm2 on ladder_standard)."""
    root = tmp_path / "results"
    facts = DeploymentFacts(deployment_id="smollm2-135m-instruct@llama-cpp", provider="llama-cpp")
    records = [
        SampleRecord(
            run_id="r" * 16,
            sample_key=sample_key("r" * 16, f"ladder-h01-00{i}", 1),
            sweep_id="seed",
            model_id="smollm2-135m-instruct",
            access="open",
            release_date=date(2024, 10, 31),
            suite="ladder_standard",
            suite_version="1",
            kind="standard",
            task="ladder_standard",
            sample_id=f"ladder-h01-00{i}",
            epoch=1,
            status="scored",
            score=float(i % 2),
            success=bool(i % 2),
            engine="lm_eval",
            engine_version="x",
            harness_version="x",
            facts=facts,
        )
        for i in range(3)
    ]
    Store(root).append_samples(records)
    return root


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never write the user's cache or the repository's results/reports from a CLI test."""
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(tmp_path / "default-results"))
    monkeypatch.setenv("GAPBENCH_REPORTS_DIR", str(tmp_path / "default-reports"))
