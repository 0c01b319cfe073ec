"""BatchWriter: engines' threads only queue; appends happen on the writer's thread, grow with
the rate instead of multiplying, and every sample is written exactly once (unit tests with a
recording store: no engine involved)."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from harness._types import SampleRecord
from harness.sweep.writer import BatchWriter


class RecordingStore:
    """Stands in for Store.append_samples: records the calling thread and batch sizes."""

    def __init__(self, delay_s: float = 0.0, fail: bool = False) -> None:
        self.delay_s, self.fail = delay_s, fail
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()

    def append_samples(self, records: list[SampleRecord]) -> None:
        self.threads.add(threading.current_thread().name)
        if self.fail:
            raise OSError("disk full")
        time.sleep(self.delay_s)
        self.batches.append([r.sample_id for r in records])


def _record(i: int) -> SampleRecord:
    # the writer only passes records through: anything with a sample_id stands in
    return SimpleNamespace(sample_id=f"s{i}")  # type: ignore[return-value]


def test_add_never_appends_on_the_producer_thread_and_every_sample_is_written_once() -> None:
    store = RecordingStore(delay_s=0.05)
    w = BatchWriter(store, batch=4, interval_s=2.0)  # type: ignore[arg-type]

    def produce() -> None:
        for i in range(200):
            w.add(_record(i))

    producer = threading.Thread(target=produce)
    producer.start()
    producer.join()
    deadline = time.monotonic() + 10
    while not store.batches and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "gapbench-writer" in store.threads
    assert threading.main_thread().name not in store.threads
    assert producer.name not in store.threads
    w.close()
    written = [s for b in store.batches for s in b]
    assert sorted(written) == sorted(f"s{i}" for i in range(200))
    # 200 samples in batches of 4 would be 50 appends; queued during slow appends they grow
    assert w.n_appends < 25


def test_a_partial_batch_is_written_after_interval_without_close() -> None:
    store = RecordingStore()
    w = BatchWriter(store, batch=100, interval_s=0.2)  # type: ignore[arg-type]
    w.add(_record(1))
    deadline = time.monotonic() + 5
    while not store.batches and time.monotonic() < deadline:
        time.sleep(0.05)
    assert store.batches == [["s1"]]
    w.close()


def test_a_producer_far_ahead_of_the_store_writes_itself() -> None:
    store = RecordingStore(delay_s=0.2)
    w = BatchWriter(store, batch=2, interval_s=5.0, max_pending=10)  # type: ignore[arg-type]
    for i in range(30):
        w.add(_record(i))
    w.close()
    assert threading.current_thread().name in store.threads
    assert sorted(s for b in store.batches for s in b) == sorted(f"s{i}" for i in range(30))


def test_a_write_error_reaches_the_producer() -> None:
    store = RecordingStore(fail=True)
    w = BatchWriter(store, batch=1, interval_s=0.1)  # type: ignore[arg-type]
    w.add(_record(1))
    with pytest.raises(OSError, match="disk full"):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            w.add(_record(2))
            time.sleep(0.05)
        w.close()
