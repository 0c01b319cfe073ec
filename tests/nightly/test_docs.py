"""What docs/nightly.md, schedules/README.md and README.md say about nightly agrees with the
code: exit codes, summary fields, the declared canaries."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness import exitcodes
from harness.config import REPO_ROOT
from harness.nightly.summary import EXIT_CODES, NightlySummary
from harness.suites import load_suites

DOC = REPO_ROOT / "docs" / "nightly.md"
SCHEDULES = REPO_ROOT / "schedules" / "README.md"
README = REPO_ROOT / "README.md"


def code_table(path: Path) -> dict[str, int]:
    """`| 6 | NOTHING_NEW | ...` rows -> {"NOTHING_NEW": 6}."""
    rows = re.findall(r"^\| (\d+) \| ([A-Z_]+) \|", path.read_text(), re.M)
    return {name: int(code) for code, name in rows}


@pytest.mark.parametrize("path", [DOC, SCHEDULES], ids=lambda p: p.name)
def test_exit_code_tables_match_harness_exitcodes(path: Path) -> None:
    table = code_table(path)
    assert set(table) >= {"OK", "NOTHING_NEW", "DRIFT", "PARTIAL", "LOCKED", "USAGE"}
    for name, code in table.items():
        assert getattr(exitcodes, name) == code, name
    assert {exitcodes.OK, exitcodes.NOTHING_NEW, exitcodes.DRIFT, exitcodes.PARTIAL} <= set(
        EXIT_CODES.values()
    )


def test_readme_nightly_codes_match() -> None:
    section = README.read_text().split("## Nightly", 1)[1].split("\n## ", 1)[0]
    said = dict(
        re.findall(
            r"(\d+) (ran clean|nothing new|drift|partial or failed|another process|bad input)",
            section,
        )
    )
    names = {
        "ran clean": "OK",
        "nothing new": "NOTHING_NEW",
        "drift": "DRIFT",
        "partial or failed": "PARTIAL",
        "another process": "LOCKED",
        "bad input": "USAGE",
    }
    assert len(said) == len(names)
    for code, words in said.items():
        assert getattr(exitcodes, names[words]) == int(code), words


def test_summary_fields_table_lists_every_field() -> None:
    text = DOC.read_text().split("## The summary", 1)[1].split("\n## ", 1)[0]
    documented = set()
    for cell in re.findall(r"^\| ([^|]+) \|", text, re.M):
        documented.update(re.findall(r"`(\w+)`", cell))
    assert documented >= set(NightlySummary.model_fields), (
        set(NightlySummary.model_fields) - documented
    )


def test_declared_canaries_are_samples_of_their_suite() -> None:
    from harness.runners import get_runner

    suites = [s for s in load_suites(REPO_ROOT / "tasks").suites if s.canary]
    assert {s.name for s in suites} >= {"ladder_standard", "ladder_agentic"}
    for suite in suites:
        ids = set(get_runner(suite.engine).sample_ids(suite))
        assert set(suite.canary) <= ids, suite.name
