"""Several files as one write: a batch a writer committed is finished after its death, one
it did not commit leaves nothing behind; a live writer's batch is never touched."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import time
from pathlib import Path

import pytest

from harness.store import Store, batch
from harness.store.rows import samples_table
from tests.store.helpers import sample, samples


def _staged(root: Path, n_suites: int) -> list[batch.Staged]:
    recs = [sample(run_id=f"run-{i}", suite=f"suite-{i}", sample_id="x") for i in range(n_suites)]
    return [
        batch.Staged(
            samples_table([r]),
            root / "samples" / r.suite / "2026-11-01" / f"part-{i:020d}-x.parquet",
        )
        for i, r in enumerate(recs)
    ]


def test_a_commit_killed_while_publishing_is_rolled_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    calls = {"n": 0}

    def dies_after_one_move(src, dst):  # type: ignore[no-untyped-def]
        if "staging" in str(src) and str(src).endswith(".parquet"):
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt  # killed between two renames
        return real_replace(src, dst)

    monkeypatch.setattr(batch.os, "replace", dies_after_one_move)
    with pytest.raises(KeyboardInterrupt):
        batch.commit(tmp_path, _staged(tmp_path, 3))
    monkeypatch.setattr(batch.os, "replace", real_replace)
    assert len(list((tmp_path / "samples").rglob("*.parquet"))) == 1  # half published
    # the next read finishes it: every file of the committed batch, once
    assert len(Store(tmp_path).samples()) == 3
    assert not [
        p for p in (tmp_path / ".store" / "staging").iterdir() if not p.name.startswith(".")
    ]


def test_an_uncommitted_batch_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_dump = json.dump

    def dies_before_manifest(*a, **k):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    monkeypatch.setattr(batch.json, "dump", dies_before_manifest)
    with pytest.raises(KeyboardInterrupt):
        batch.commit(tmp_path, _staged(tmp_path, 2))
    monkeypatch.setattr(batch.json, "dump", real_dump)
    assert Store(tmp_path).samples().empty
    assert (
        not list((tmp_path / "samples").rglob("*.parquet"))
        if (tmp_path / "samples").exists()
        else True
    )


def _hold_a_batch(root: str, ready: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    import fcntl

    folder = Path(root) / ".store" / "staging" / "live"
    folder.mkdir(parents=True)
    fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    (folder / "0.parquet").write_bytes(b"staged")
    ready.set()
    time.sleep(60)


def test_a_live_writers_batch_is_left_alone_and_a_killed_ones_is_undone(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold_a_batch, args=(str(tmp_path), ready))
    proc.start()
    try:
        assert ready.wait(60)
        live = tmp_path / ".store" / "staging" / "live"
        assert batch.recover(tmp_path) == 0 and live.exists()
        Store(tmp_path).append_samples(samples(1))  # writes go on beside it
        assert live.exists()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
    assert batch.recover(tmp_path) == 1 and not live.exists()
    assert len(Store(tmp_path).samples()) == 1
