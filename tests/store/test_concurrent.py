"""Two writer processes at once: every row present, every file readable, no duplicate keys."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pyarrow.parquet as pq

from harness.store import Store
from tests.store.helpers import sample


def _writer(root: str, run_id: str, shared_prefix: bool, go: mp.synchronize.Event) -> None:  # type: ignore[name-defined]
    store = Store(Path(root))
    go.wait()
    for chunk in range(15):
        recs = [sample(run_id=run_id, sample_id=f"c{chunk}-s{i}") for i in range(20)]
        if shared_prefix:
            # both processes also write the very same keys, racing on them
            recs += [sample(run_id="shared", sample_id=f"c{chunk}-s{i}") for i in range(5)]
        store.append_samples(recs)
        store.compact() if chunk % 5 == 4 else None


def test_two_writer_processes(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), f"run-{n}", True, go)) for n in "ab"]
    for p in procs:
        p.start()
    go.set()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    store = Store(tmp_path)
    df = store.samples()
    assert df.sample_key.is_unique
    assert len(df[df.run_id == "run-a"]) == 300
    assert len(df[df.run_id == "run-b"]) == 300
    assert len(df[df.run_id == "shared"]) == 75
    for part in store.files("samples"):
        pq.read_table(part)  # every published file is whole
    assert not list(tmp_path.rglob(".tmp-*"))
