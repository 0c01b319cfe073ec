"""Planning's facts about an engine without importing it (harness/runners/suite_ids.py): the
same ids and version the runners give, and a per-suite cache of ids that a changed suite
misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.config import load_settings
from harness.runners import get_runner, suite_ids
from harness.suites import SuiteSpec, load_suites

REPO = Path(__file__).resolve().parents[2]


def _suite(name: str) -> SuiteSpec:
    return load_suites(load_settings(REPO).tasks_dir).get(name)


@pytest.mark.parametrize("name", ["ladder_standard", "ladder_agentic"])
def test_ids_and_version_are_the_runners(name: str, tmp_path: Path) -> None:
    suite = _suite(name)
    runner = get_runner(suite.engine)
    assert suite_ids.engine_version(suite.engine) == runner.engine_version()
    expected = [str(i) for i in runner.sample_ids(suite)]
    assert suite_ids.sample_ids(suite, tmp_path) == expected
    assert suite_ids.sample_ids(suite, tmp_path) == expected  # from the cache when kept


def test_the_ids_cache_is_read_and_a_changed_suite_misses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the fake runner's two ids: no declared size or ids to check them against (registry.py)
    suite = _suite("ladder_agentic").model_copy(update={"size": None, "smoke": [], "canary": []})
    asked: list[str] = []

    class Counting:
        def sample_ids(self, s: SuiteSpec) -> list[str]:
            asked.append(s.version)
            return [f"{s.version}-a", f"{s.version}-b"]

    monkeypatch.setattr("harness.runners.base.get_runner", lambda engine: Counting())
    v = suite.version
    assert suite_ids.sample_ids(suite, tmp_path) == [f"{v}-a", f"{v}-b"]
    assert suite_ids.sample_ids(suite, tmp_path) == [f"{v}-a", f"{v}-b"]
    assert asked == [v]  # the second plan read the cache
    bumped = suite.model_copy(update={"version": v + "-next"})
    assert suite_ids.sample_ids(bumped, tmp_path) == [f"{v}-next-a", f"{v}-next-b"]
    assert asked == [v, v + "-next"]
    assert suite_ids.sample_ids(suite, None) and asked[-1] == v  # no cache folder: asked
