"""A v1 store written by gapbench's v1 code (data/v1_store, built by data/make_v1_store.py)
is read as it is, migrated on disk in order, and then opens in raw readers."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness.store import SCHEMA_VERSION, Store, batch
from harness.store.importers import import_lm_eval
from tests.store.helpers import sample

DATA = Path(__file__).parent / "data"
V1 = DATA / "v1_store"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    shutil.copytree(V1, root)
    return root


def _view(store: Store) -> tuple[pd.DataFrame, pd.DataFrame]:
    samples = store.samples().sort_values("sample_key").reset_index(drop=True)
    runs = store.runs().sort_values("run_id").reset_index(drop=True)
    return samples, runs


def test_v1_store_reads_then_migrates_to_the_same_rows(v1: Path) -> None:
    # The failure, on the store as v1 left it: suite is a column and a hive key.
    with pytest.raises(Exception, match="suite"):
        pd.read_parquet(v1 / "samples")
    before_samples, before_runs = _view(Store(v1))
    assert len(before_samples) == 12 and before_samples.sample_key.is_unique
    assert before_runs[["run_id", "status"]].values.tolist() == [
        ["run-a", "complete"], ["run-b", "complete"],
    ]  # fmt: skip
    assert len(Store(v1).run_history()) == 5  # v1 kept every update in runs/

    summary = Store(v1).migrate()
    assert (summary.sample_files, summary.run_files, summary.left) == (5, 1, ())
    assert not [p for p in v1.rglob("*") if "=" in p.name]  # no v1 folders left
    after = Store(v1, on_bad="raise")
    after_samples, after_runs = _view(after)
    pd.testing.assert_frame_equal(before_samples, after_samples)
    pd.testing.assert_frame_equal(before_runs, after_runs)
    assert len(after.run_history()) == 5 and after.check() == []
    assert set(after_samples.schema_version) == {SCHEMA_VERSION}
    assert set(after_samples.attempt) == {1} and not after_samples.canary.any()
    # the raced v1 duplicate: both rows stay, one shows (the later written)
    raced = after.query("SELECT * FROM samples_all WHERE sample_id = 's0' AND run_id = 'run-a'")
    assert raced.num_rows == 2
    assert after_samples.set_index(["run_id", "sample_id"]).loc[("run-a", "s0"), "score"] == 0.0

    # raw readers now open it; the runs folder holds one row per run
    raw = pd.read_parquet(v1 / "samples")
    latest = raw.sort_values(["attempt", "written_at"]).drop_duplicates("sample_key", keep="last")
    assert len(latest) == 12 and not isinstance(raw.suite.dtype, pd.CategoricalDtype)
    assert "tau2/airline" in set(raw.suite)  # the real name, not the folder name
    assert sorted(pd.read_parquet(v1 / "runs").run_id) == ["run-a", "run-b"]

    # keys are unchanged: re-importing what v1 imported finds every row it stored (only the
    # second filter v1 dropped is new); a second migration has nothing to do
    again = import_lm_eval(DATA / "lm_eval", after, access="open", release_date="2024-10-31")
    assert again.rows_present == 4 and again.rows_written == 3
    assert set(Store(v1).samples(source="imported:lm_eval").suite) == {
        "arith", "arith[flexible-extract]", "boolq_mini",
    }  # fmt: skip
    assert Store(v1).migrate().line().endswith("nothing to migrate")


def test_first_write_migrates(v1: Path) -> None:
    store = Store(v1)
    assert store.append_samples([sample(run_id="run-new")]) == 1
    assert not (v1 / "samples" / "suite=arith").exists()
    assert len(Store(v1).samples()) == 13
    assert len(pd.read_parquet(v1 / "samples").drop_duplicates("sample_key")) == 13


def test_interrupted_migration_resumes(v1: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = _view(Store(v1))
    real_commit = batch.commit
    calls = {"n": 0}

    def dies_on_third(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # as if killed between two files
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(batch, "commit", dies_on_third)
    with pytest.raises(KeyboardInterrupt):
        Store(v1).migrate()
    monkeypatch.setattr(batch, "commit", real_commit)
    half, _ = _view(Store(v1))  # half migrated: still every row once
    pd.testing.assert_frame_equal(expected, half)
    Store(v1).migrate()
    done, _ = _view(Store(v1, on_bad="raise"))
    pd.testing.assert_frame_equal(expected, done)
    assert not [p for p in v1.rglob("*") if "=" in p.name]
