"""BFCL single-turn oracle: every ground truth passes; perturbed calls fail."""

from __future__ import annotations

import ast
import re

import pytest

from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from harness.suites.scorers import StandardDoc, get_scorer, load_docs
from harness.suites.scorers.bfcl import decode_calls

SUITES = ("bfcl_simple", "bfcl_multiple", "bfcl_parallel")
score = get_scorer("bfcl_ast")


def _docs(name: str) -> list[StandardDoc]:
    return load_docs(REPO_ROOT / "tasks" / "standard" / name / "data.jsonl")


@pytest.mark.parametrize("name", SUITES)
def test_suite_yaml_matches_data(name: str) -> None:
    spec = load_suite(REPO_ROOT / "tasks" / "standard" / name / "suite.yaml")
    docs = _docs(name)
    ids = [d.id for d in docs]
    assert spec.size == len(docs) == len(set(ids))
    assert set(spec.smoke) <= set(ids) and spec.scorer == "bfcl_ast"
    assert all(d.h == len(d.metadata["ground_truth"]) for d in docs)
    assert all("[func_name1(params_name1=params_value1" in d.prompt for d in docs[:5])


@pytest.mark.parametrize("name", SUITES)
def test_ground_truth_passes(name: str) -> None:
    failed = [
        (d.id, score(d.target, d).explanation)
        for d in _docs(name)
        if not score(d.target, d).success
    ]
    assert failed == []


def _calls(doc: StandardDoc) -> list[ast.Call]:
    tree = ast.parse(doc.target, mode="eval").body
    assert isinstance(tree, ast.List)
    return [c for c in tree.elts if isinstance(c, ast.Call)]


def _render(calls: list[ast.Call]) -> str:
    return "[" + ", ".join(ast.unparse(c) for c in calls) + "]"


@pytest.mark.parametrize("name", SUITES)
def test_perturbed_calls_fail(name: str) -> None:
    for doc in _docs(name)[:40]:
        calls = _calls(doc)
        # 1. a wrong function name
        renamed = [ast.parse(ast.unparse(c), mode="eval").body for c in calls]
        assert isinstance(renamed[0], ast.Call)
        renamed[0].func = ast.Name(id="not_a_function")
        assert not score(_render(renamed), doc).success, doc.id  # type: ignore[arg-type]
        # 2. a wrong value for the first parameter with a number or string value
        wrong = [ast.parse(ast.unparse(c), mode="eval").body for c in calls]
        first = wrong[0]
        assert isinstance(first, ast.Call)
        for kw in first.keywords:
            if isinstance(kw.value, ast.Constant) and type(kw.value.value) in (int, float):
                kw.value = ast.Constant(kw.value.value + 7919)
                break
            if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                kw.value = ast.Constant(kw.value.value + " qqzz")
                break
        else:
            continue
        assert not score(_render(wrong), doc).success, doc.id  # type: ignore[arg-type]


def test_missing_required_parameter_fails() -> None:
    doc = next(d for d in _docs("bfcl_simple") if d.id == "simple_python_0")
    assert score("[calculate_triangle_area(base=10, height=5)]", doc).success
    assert not score("[calculate_triangle_area(base=10)]", doc).success
    assert not score("[calculate_triangle_area(base=10, height=5, colour='red')]", doc).success
    assert not score("[calculate_triangle_area(base='10', height=5)]", doc).success  # type


def test_parallel_is_order_insensitive_and_counts_calls() -> None:
    doc = next(d for d in _docs("bfcl_parallel") if len(_calls(d)) >= 2)
    calls = _calls(doc)
    assert score(_render(list(reversed(calls))), doc).success
    assert not score(_render(calls[:-1]), doc).success
    assert not score(_render([*calls, calls[0]]), doc).success


def test_decoding_follows_bfcl() -> None:
    doc = next(d for d in _docs("bfcl_simple") if d.id == "simple_python_0")
    assert score("calculate_triangle_area(base=10, height=5)", doc).success  # bare call
    assert score("```\n[calculate_triangle_area(base=10, height=5)]\n```", doc).success
    assert score("[calculate_triangle_area(base=2*5, height=10-5)]", doc).success  # arithmetic
    assert not score("The area is 25.", doc).success
    assert not score("", doc).success
    assert decode_calls("[a.b.c(x=[1, 2], y={'k': -1})]") == [
        {"a.b.c": {"x": [1, 2], "y": {"k": -1}}}
    ]


def test_model_output_is_never_executed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    marker = tmp_path / "ran"
    doc = next(d for d in _docs("bfcl_simple") if d.id == "simple_python_0")
    evil = f"[calculate_triangle_area(base=__import__('pathlib').Path({str(marker)!r}).touch() or 1 + 1, height=5)]"
    assert not score(evil, doc).success
    assert not marker.exists()
    assert re.search(r"calculate_triangle_area", doc.prompt)
