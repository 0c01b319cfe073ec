"""Declared token profiles are computed from each suite's data, never typed: every declared
profile equals what `python -m harness.sweep.profiles` computes now (data or limits changed
without the profile: this fails), and the generator rewrites a block in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from harness.suites import load_suites
from harness.suites.spec import TokenProfile
from harness.sweep.profiles import compute_profile, profiled, write_profile


def test_every_declared_profile_matches_its_suites_data(tmp_path: Path) -> None:
    suites = load_suites(REPO_ROOT / "tasks").suites
    computed = [s for s in suites if profiled(s)]
    assert {s.name for s in computed} >= {"humaneval", "bfcl_simple", "ladder_standard"}
    for suite in computed:
        assert suite.token_profile == compute_profile(suite, tmp_path), (
            f"{suite.name}: run python -m harness.sweep.profiles --write"
        )
    # agentic suites are measured on stored runs, not declared from a ceiling
    assert all(s.token_profile is None for s in suites if s.kind == "agentic")


def test_write_profile_replaces_the_block_in_place(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text("name: x\nlimits:\n  max_tokens: 5\n")
    first = TokenProfile(input_tokens=10, output_tokens=5, source="a")
    assert write_profile(path, first)
    assert not write_profile(path, first)  # unchanged: not rewritten
    second = TokenProfile(input_tokens=11, output_tokens=5, source="b")
    assert write_profile(path, second)
    text = path.read_text()
    assert text.count("token_profile:") == 1 and "input_tokens: 11" in text
    assert text.startswith("name: x\nlimits:\n  max_tokens: 5\n")


@pytest.mark.parametrize("name", ["humaneval"])
def test_input_tokens_are_o200k_counts_of_the_prompts(name: str, tmp_path: Path) -> None:
    import json

    import tiktoken

    suite = load_suites(REPO_ROOT / "tasks").get(name)
    compute_profile(suite, tmp_path)  # makes the vocabulary loadable offline
    enc = tiktoken.get_encoding("o200k_base")
    rows = [json.loads(x) for x in (suite.directory / str(suite.data)).read_text().splitlines()]
    mean = sum(len(enc.encode(r["prompt"])) for r in rows) / len(rows)
    assert suite.token_profile is not None
    assert suite.token_profile.input_tokens == round(mean) + 8
    assert suite.token_profile.output_tokens == suite.limits.max_tokens
