"""The rows cache (issue 14, fast start): a fresh results folder that shares the cache copies
the finished rows of identical runs instead of running them; `--no-cache` runs them; errors
and other run keys are never copied. Real SDKs over real HTTP against the fake API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from harness import api, exitcodes
from harness.store import Store
from harness.suites import SuiteRegistry
from harness.sweep import execute as execute_mod
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

SWEEP = "name: rc\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 6\n"
# What a copied row may change: the sweep, the attempt and the time it was written.
_COPY_MAY_CHANGE = {"attempt", "written_at", "sweep_id"}


def _rows(ws: api.Workspace) -> list[dict[str, object]]:
    tbl = Store(ws.settings.results_dir).query("SELECT * FROM samples ORDER BY sample_key")
    return [{k: v for k, v in row.items() if k not in _COPY_MAY_CHANGE} for row in tbl.to_pylist()]


def _no_engine(*args: object, **kwargs: object) -> None:
    raise AssertionError("an engine, proxy or server was started with nothing left to run")


def test_a_fresh_results_folder_copies_identical_rows_and_starts_no_engine(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = workspace(tmp_path, fake_api, results="a")
    sweep = sweep_file(tmp_path, SWEEP)
    out = api.run_sweep(sweep, ws=first)
    assert out.exit_code == exitcodes.OK and out.n_served == 0 and fake_api.n_requests == 6
    [ran] = Store(first.settings.results_dir).runs().to_dict("records")
    assert ran["raw_path"] and ran["run_id"] in ran["raw_path"]  # the run's own engine logs
    assert (first.settings.results_dir / ran["raw_path"]).is_dir()

    fresh = workspace(tmp_path, fake_api, results="b")  # same cache folder
    plan = api.plan(sweep, ws=fresh)
    assert plan.n_todo == plan.n_cached == 6
    fake_api.reset_counts()
    monkeypatch.setattr(execute_mod, "_execute_runs", _no_engine)
    again = api.run_sweep(sweep, ws=fresh)
    assert again.exit_code == exitcodes.OK and again.n_served == 6
    assert fake_api.n_requests == 0 and again.upstream_calls == again.cache_hits == 0
    assert _rows(fresh) == _rows(first)
    [run] = Store(fresh.settings.results_dir).runs().to_dict("records")
    assert run["status"] == "complete" and run["n_scored"] == 6
    assert "rows cache" in again.money_line()
    # The copied folder is finished: a rerun there copies nothing more.
    assert api.plan(sweep, ws=fresh).n_todo == 0


def test_no_cache_runs_every_sample_through_the_engine_and_upstream(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    sweep = sweep_file(tmp_path, SWEEP)
    api.run_sweep(sweep, ws=workspace(tmp_path, fake_api, results="a"))
    fresh = workspace(tmp_path, fake_api, results="b")
    plan = api.plan(sweep, ws=fresh, use_cache=False)
    assert plan.n_todo == 6 and plan.n_cached == 0 and plan.rows_cache is None
    fake_api.reset_counts()
    out = api.run_sweep(sweep, ws=fresh, use_cache=False)
    # neither rows nor answers were read from the cache: every sample asked the model again
    assert out.n_served == 0 and out.cache_hits == 0 and fake_api.n_requests == 6
    assert out.upstream_calls == 6 and len(_rows(fresh)) == 6


def test_errored_rows_are_never_copied(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    first = workspace(tmp_path, fake_api, results="a")
    sweep = sweep_file(tmp_path, SWEEP)
    fake_api.set_faults(0.5, kinds=("500", "503"), seed=5)
    api.run_sweep(sweep, ws=first)
    stored = Store(first.settings.results_dir).samples()
    n_error = int((stored["status"] == "error").sum())
    assert 0 < n_error < 6

    fake_api.set_faults(0.0)
    fake_api.reset_counts()
    fresh = workspace(tmp_path, fake_api, results="b")
    assert api.plan(sweep, ws=fresh).n_cached == 6 - n_error
    out = api.run_sweep(sweep, ws=fresh)
    assert out.n_served == 6 - n_error
    assert fake_api.n_requests == n_error  # only the errored samples asked the model
    final = Store(fresh.settings.results_dir).samples()
    assert len(final) == 6 and (final["status"] == "scored").all()


def test_another_deployment_or_suite_version_is_another_run_key_and_copies_nothing(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    first = workspace(tmp_path, fake_api, results="a")
    sweep = sweep_file(tmp_path, SWEEP)
    api.run_sweep(sweep, ws=first)
    [first_run] = api.plan(sweep, ws=first).runs

    # Same model and suite, a deployment fact that can change results (its context length).
    other_dep = workspace(tmp_path, fake_api, results="b")
    data = yaml.safe_load(other_dep.settings.registry_path.read_text())
    for dep in data["deployments"]:
        dep["context_length"] = 4096
    other_dep.settings.registry_path.write_text(yaml.safe_dump(data, sort_keys=False))
    other_dep = api.workspace(other_dep.settings)  # the registry file read again
    plan = api.plan(sweep, ws=other_dep)
    assert plan.runs[0].run_id != first_run.run_id
    assert plan.n_todo == 6 and plan.n_cached == 0

    # Same deployment, the suite's next version.
    same = workspace(tmp_path, fake_api, results="c")
    bumped = tuple(
        s.model_copy(update={"version": s.version + "-next"}) if s.name == "ladder_standard" else s
        for s in same.suites.suites
    )
    next_version = replace(same, suites=SuiteRegistry(same.suites.tasks_dir, bumped))
    plan = api.plan(sweep, ws=next_version)
    assert plan.runs[0].run_id != first_run.run_id
    assert plan.n_todo == 6 and plan.n_cached == 0
    fake_api.reset_counts()
    out = api.run_sweep(sweep, ws=next_version)
    assert out.n_served == 0 and fake_api.n_requests + out.cache_hits == 6


def test_canary_runs_are_neither_kept_nor_served(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    first = workspace(tmp_path, fake_api, results="a")
    sweep = sweep_file(tmp_path, SWEEP)
    plan = api.plan(sweep, ws=first)
    canary = replace(plan, runs=tuple(replace(r, canary=True) for r in plan.runs))
    out = execute_mod.execute(canary, first.settings)
    assert out.exit_code == exitcodes.OK and fake_api.n_requests == 6
    assert not (first.settings.cache_dir / "rows" / "samples").exists() or not list(
        (first.settings.cache_dir / "rows" / "samples").rglob("*.parquet")
    )
    # a plain run of the same sweep elsewhere finds nothing to copy, and asks the model
    fresh = workspace(tmp_path, fake_api, results="b")
    assert api.plan(sweep, ws=fresh).n_cached == 0


def test_a_run_partly_in_the_cache_copies_that_part_and_runs_the_rest(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    api.run_sweep(sweep_file(tmp_path, SWEEP), ws=workspace(tmp_path, fake_api, results="a"))
    fresh = workspace(tmp_path, fake_api, results="b")
    more = sweep_file(tmp_path, SWEEP.replace("limit: 6", "limit: 9"), "more.yaml")
    plan = api.plan(more, ws=fresh)
    assert plan.n_todo == 9 and plan.n_cached == 6
    fake_api.reset_counts()
    out = api.run_sweep(more, ws=fresh)
    [run] = out.runs
    assert fake_api.n_requests == 3 and out.n_served == 6
    assert run.status == "complete" and run.n_written == 9 and run.n_served == 6
    # the run record counts what this command stored: the copied rows and the three it ran
    [record] = Store(fresh.settings.results_dir).runs().to_dict("records")
    assert record["n_scored"] == 9 and record["status"] == "complete"
    assert len(_rows(fresh)) == 9
