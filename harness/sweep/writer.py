"""Finished samples go to the store in small atomic batches, by count or by time.

Engines hand over each sample as it ends (inspect's hooks, lm-eval's per-request callback);
the writer keeps them until `batch` have gathered or the oldest has waited `interval_s`, then
appends them as one atomic file. A crash, even SIGKILL, loses at most the batch not yet
written, and nothing waits on a slow sample: a straggler delays only itself.

A background thread flushes on time, so the last few samples of a quiet stretch do not sit
in memory while a long sample runs. Write errors are kept and raised to the producer at its
next `add` or at `close`, never swallowed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from harness._types import SampleRecord
from harness.store import Store

DEFAULT_BATCH = 16
DEFAULT_INTERVAL_S = 2.0


class BatchWriter:
    """Thread-safe; `add` from any engine thread, `close` once at the end."""

    def __init__(
        self,
        store: Store,
        *,
        batch: int = DEFAULT_BATCH,
        interval_s: float = DEFAULT_INTERVAL_S,
        on_written: Callable[[list[SampleRecord]], None] | None = None,
    ) -> None:
        self.store = store
        self.batch = max(1, batch)
        self.interval_s = interval_s
        self._on_written = on_written
        self._pending: list[SampleRecord] = []
        self._oldest: float | None = None
        self._lock = threading.Lock()  # guards _pending
        self._write_lock = threading.Lock()  # one write at a time, in order
        self._error: BaseException | None = None
        self._closed = threading.Event()
        self.n_written = 0
        self._timer = threading.Thread(target=self._tick, name="gapbench-writer", daemon=True)
        self._timer.start()

    def add(self, record: SampleRecord) -> None:
        self._raise_pending_error()
        with self._lock:
            self._pending.append(record)
            if self._oldest is None:
                self._oldest = time.monotonic()
            full = len(self._pending) >= self.batch
        if full:
            self.flush()

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
            self.n_written += len(records)
            if self._on_written is not None:
                self._on_written(records)

    def _tick(self) -> None:
        while not self._closed.wait(min(0.25, self.interval_s)):
            with self._lock:
                due = self._oldest is not None and (
                    time.monotonic() - self._oldest >= self.interval_s
                )
            if due:
                try:
                    self.flush()
                except BaseException:  # kept in _error; raised to the producer
                    return

    def _raise_pending_error(self) -> None:
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Write what is left and stop the timer; raises a write error if one happened."""
        self._closed.set()
        self._timer.join(timeout=5)
        self._raise_pending_error()
        self.flush()
