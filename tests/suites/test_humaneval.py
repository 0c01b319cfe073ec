"""HumanEval oracle: canonical solutions pass 164/164; wrong, looping and escaping code fails."""

from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from harness.suites.scorers import get_scorer, load_docs
from harness.suites.scorers.humaneval import extract_code

SUITE_DIR = REPO_ROOT / "tasks" / "standard" / "humaneval"


@pytest.fixture(scope="module")
def docs():  # type: ignore[no-untyped-def]
    return load_docs(SUITE_DIR / "data.jsonl")


def test_suite_yaml_matches_data(docs) -> None:  # type: ignore[no-untyped-def]
    spec = load_suite(SUITE_DIR / "suite.yaml")
    assert spec.size == len(docs) == 164
    ids = [d.id for d in docs]
    assert len(set(ids)) == 164 and ids[0] == "humaneval-000"
    assert set(spec.smoke) <= set(ids)
    assert spec.prompt_variant == "adapted-chat"
    assert spec.scorer == "humaneval_exec"


def test_committed_data_is_derived_from_the_package() -> None:
    spec = importlib.util.spec_from_file_location("he_build", SUITE_DIR / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.render(build.build_rows()) == (SUITE_DIR / "data.jsonl").read_text("utf-8")


def test_canonical_solutions_pass_all_164(docs) -> None:  # type: ignore[no-untyped-def]
    scorer = get_scorer("humaneval_exec")
    with ThreadPoolExecutor(max_workers=4) as pool:
        scores = list(pool.map(lambda d: scorer(d.target, d), docs))
    failed = [d.id for d, s in zip(docs, scores, strict=True) if not s.success]
    assert failed == []
    assert all(s.value == 1.0 for s in scores)


def test_body_only_completion_passes(docs) -> None:  # type: ignore[no-untyped-def]
    # Completion-style answers (just the indented body) are accepted too.
    doc = docs[0]
    body = doc.target.removeprefix("```python\n").removesuffix("```")
    body = body[len(doc.metadata["prompt"]) :]
    assert get_scorer("humaneval_exec")(body, doc).success


def test_wrong_solution_fails(docs) -> None:  # type: ignore[no-untyped-def]
    doc = docs[0]
    wrong = doc.target.replace("return True", "return False", 1)
    assert wrong != doc.target
    score = get_scorer("humaneval_exec")(wrong, doc)
    assert score.value == 0.0 and not score.success


def test_infinite_loop_is_stopped_and_scored_as_failure(docs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import harness.suites.scorers.humaneval as he

    monkeypatch.setattr(he, "LIMITS", replace(he.LIMITS, timeout_s=2.0))
    doc = docs[0]
    loop = (
        "```python\ndef has_close_elements(numbers, threshold):\n    while True:\n        pass\n```"
    )
    score = he.score_completion(loop, doc)
    assert not score.success and score.explanation == "timed out"


def test_write_outside_workdir_is_stopped_and_scored_as_failure(docs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = docs[0]
    target = tmp_path / "pwned.txt"
    evil = doc.target.replace(
        "    for idx, elem", f"    open({str(target)!r}, 'w').write('x')\n    for idx, elem", 1
    )
    assert evil != doc.target
    score = get_scorer("humaneval_exec")(evil, doc)
    assert not score.success and not target.exists()


def test_extract_code_prefers_the_block_defining_the_entry_point() -> None:
    out = "Here:\n```\nprint('x')\n```\nthen\n```python\ndef f(x):\n    return x\n```\n"
    assert extract_code(out, "f").startswith("def f(x)")
    assert extract_code("```python\ndef f(x):\n    return", "f").startswith("def f")  # unclosed
    assert extract_code("def f(x): return x", "f") == "def f(x): return x"
