"""Finished samples go to the store in small atomic batches, by count or by time.

Engines hand over each sample as it ends (inspect's hooks, lm-eval's per-request callback);
the writer keeps them until `batch` have gathered or the oldest has waited `interval_s`, then
appends them as one atomic file. A crash, even SIGKILL, loses at most the samples not yet
written (at most `interval_s` of them), and nothing waits on a slow sample: a straggler
delays only itself.

Appends happen on the writer's own thread, never on the engine's: `add` only queues (an
append on lm-eval's scoring threads or inspect's hook held the engine for every batch:
about 125 appends of 16 rows in a 2,000-sample run, 12 s of a 37 s run; BENCHMARKS P1).
The thread appends whatever has gathered, at most every `min_gap_s` while samples pour in,
so at high rates batches grow instead of appends multiplying. Only a producer far ahead of
the store (`max_pending` queued) writes itself, which bounds memory. Write errors are kept
and raised to the producer at its next `add` or at `close`, never swallowed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from harness._types import SampleRecord
from harness.store import Store

DEFAULT_BATCH = 16
DEFAULT_INTERVAL_S = 2.0
DEFAULT_MAX_PENDING = 4096


class BatchWriter:
    """Thread-safe; `add` from any engine thread, `close` once at the end."""

    def __init__(
        self,
        store: Store,
        *,
        batch: int = DEFAULT_BATCH,
        interval_s: float = DEFAULT_INTERVAL_S,
        on_written: Callable[[list[SampleRecord]], None] | None = None,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self.store = store
        self.batch = max(1, batch)
        self.interval_s = interval_s
        # a full batch waits at most this long for the previous append (a quarter of the
        # time bound, so the crash bound stays interval_s)
        self.min_gap_s = interval_s / 4
        self.max_pending = max(self.batch, max_pending)
        self._on_written = on_written
        self._pending: list[SampleRecord] = []
        self._oldest: float | None = None
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._error: BaseException | None = None
        self._closed = threading.Event()
        self._wake = threading.Event()  # a batch is full: the writer thread appends now
        self._last_flush = -float("inf")  # the first full batch goes at once
        self.n_written = 0
        self.n_appends = 0
        self._timer = threading.Thread(target=self._tick, name="gapbench-writer", daemon=True)
        self._timer.start()

    def add(self, record: SampleRecord) -> None:
        self._raise_pending_error()
        with self._lock:
            self._pending.append(record)
            if self._oldest is None:
                self._oldest = time.monotonic()
            n = len(self._pending)
        if n >= self.max_pending:
            self.flush()  # the store is far behind: the producer waits (bounded memory)
        elif n >= self.batch:
            self._wake.set()

    def flush(self) -> None:
        with self._write_lock:
            with self._lock:
                records, self._pending, self._oldest = self._pending, [], None
            if not records:
                return
            try:
                self.store.append_samples(records)
            except BaseException as exc:
                self._error = self._error or exc
                raise
            finally:
                self._last_flush = time.monotonic()
            self.n_written += len(records)
            self.n_appends += 1
            if self._on_written is not None:
                self._on_written(records)

    def _tick(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(min(0.25, self.interval_s))
            self._wake.clear()
            if self._closed.is_set():
                return  # close() writes the rest on the caller's thread
            if self._due():
                try:
                    self.flush()
                except BaseException:  # kept in _error; raised to the producer
                    return
            elif len(self._pending) >= self.batch:
                # a full batch inside min_gap_s of the last append: look again when it ends
                time.sleep(max(0.0, self._last_flush + self.min_gap_s - time.monotonic()))
                self._wake.set()

    def _due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if self._oldest is None:
                return False
            if now - self._oldest >= self.interval_s:
                return True
            return len(self._pending) >= self.batch and now - self._last_flush >= self.min_gap_s

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Write what is left and stop the timer; raises a write error if one happened."""
        self._closed.set()
        self._wake.set()
        self._timer.join(timeout=5)
        self._raise_pending_error()
        self.flush()
