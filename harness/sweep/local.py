"""Local backends: run units in the executor's own thread, or each in a worker process.

Worker processes come from a forkserver that has already imported the engines, so a worker
starts in milliseconds instead of the seconds an engine import takes. Each worker reports up
its own pipe (a worker killed mid-message breaks only its pipe, never another's) and reads
the executor's stop flags. A worker that dies (SIGKILL, OOM) loses at most the batch it had
not written yet; its run ends partial and the next command completes it exactly.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from harness._types import SampleRecord
from harness.sweep.coordinator import Coordinator, StopFlags
from harness.sweep.units import Unit, UnitResult, run_unit, worker_main

_ENGINE_MODULES = {
    "inspect": "harness.runners.inspect_runner",
    "lm_eval": "harness.runners.lm_eval_runner",
}
_context_lock = threading.Lock()


def mp_context(engines: Iterable[str] = ()) -> multiprocessing.context.BaseContext:
    """The forkserver context, preloading the engines the plan uses (first call decides)."""
    with _context_lock:
        ctx = multiprocessing.get_context("forkserver")
        engine_modules = sorted({_ENGINE_MODULES[e] for e in engines if e in _ENGINE_MODULES})
        preload = ["harness.sweep.units", *engine_modules]
        ctx.set_forkserver_preload(preload)
        return ctx


def warm_up(ctx: multiprocessing.context.BaseContext) -> threading.Thread:
    """Start the forkserver (it imports the engines) in the background, while the executor
    starts the request path and servers; the first worker then forks at once."""
    from multiprocessing import forkserver

    thread = threading.Thread(target=forkserver.ensure_running, name="forkserver-warm-up")
    thread.daemon = True
    thread.start()
    return thread


class _DirectChannel:
    """A unit in the executor's own process talks to the coordinator directly."""

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator

    def may_start(self, deployment_id: str, unit_id: str) -> bool:
        return self.coordinator.may_start(deployment_id, unit_id)

    def sample_done(self, unit_id: str, record: SampleRecord) -> None:
        self.coordinator.sample_done(unit_id, record)


class InlineBackend:
    """Units run one after another in the calling thread (one deployment, no shards)."""

    def __init__(self, coordinator: Coordinator) -> None:
        self.coordinator = coordinator

    def run_units(self, units: list[Unit]) -> list[UnitResult]:
        results = []
        for unit in units:
            self.coordinator.unit_started(unit.unit_id, unit.max_connections, unit.worst_usd)
            try:
                results.append(run_unit(unit, _DirectChannel(self.coordinator)))
            finally:
                self.coordinator.unit_ended(unit.unit_id)
        return results

    def stop(self) -> None:
        """Nothing to kill: the stop flags end the unit after its samples in flight."""


class ProcessBackend:
    """Each unit in its own worker process; the units given together run at once."""

    def __init__(
        self, coordinator: Coordinator, flags: StopFlags, ctx: multiprocessing.context.BaseContext
    ) -> None:
        self.coordinator = coordinator
        self.flags = flags
        self.ctx = ctx
        self._procs: set[Any] = set()
        self._lock = threading.Lock()

    def run_units(self, units: list[Unit]) -> list[UnitResult]:
        results: list[UnitResult | None] = [None] * len(units)
        threads = [
            threading.Thread(
                target=self._one, args=(unit, results, i), name=f"unit-{unit.unit_id}", daemon=True
            )
            for i, unit in enumerate(units)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return [r for r in results if r is not None]

    def _one(self, unit: Unit, results: list[UnitResult | None], index: int) -> None:
        recv, send = self.ctx.Pipe(duplex=False)
        # With a budget, each sample's start is a question to the coordinator (a
        # reservation); its answers go down this second pipe.
        answers, replies = self.ctx.Pipe(duplex=False) if self.coordinator.budget else (None, None)
        proc = self.ctx.Process(  # type: ignore[attr-defined]
            target=worker_main,
            args=(
                unit,
                send,
                self.flags.all,
                self.flags.deployment,
                dict(os.environ),
                os.getcwd(),
                os.getpid(),
                answers,
            ),
            name=f"gapbench-unit-{unit.shard}",
            daemon=True,
        )
        self.coordinator.unit_started(unit.unit_id, unit.max_connections, unit.worst_usd)
        result: UnitResult | None = None
        crash: str | None = None
        try:
            proc.start()
            with self._lock:
                self._procs.add(proc)
            send.close()  # the worker holds the only send end: EOF when it exits
            if answers is not None:
                answers.close()
            while True:
                try:
                    message = recv.recv()
                except (EOFError, OSError):
                    break
                kind = message[0]
                if kind == "may_start":
                    ok = self.coordinator.may_start(message[2], message[1])
                    with contextlib.suppress(OSError):
                        replies.send(ok)  # type: ignore[union-attr]
                elif kind == "sample":
                    self.coordinator.sample_done(message[1], message[2])
                elif kind == "done":
                    result = message[2]
                elif kind == "crash":
                    crash = message[2]
            proc.join()
        finally:
            recv.close()
            if replies is not None:
                replies.close()
            with self._lock:
                self._procs.discard(proc)
            self.coordinator.unit_ended(unit.unit_id)
        if result is None:
            code = proc.exitcode
            why = crash or (f"killed by signal {-code}" if code and code < 0 else f"exit {code}")
            what = f"shard {unit.shard + 1} of {unit.n_shards}" if unit.n_shards > 1 else "worker"
            result = UnitResult(unit.unit_id, 0, f"{what} died ({why})", died=True)
        results[index] = result

    def stop(self, grace_s: float = 3.0) -> None:
        """End the workers (Ctrl-C, SIGTERM): SIGTERM first, so each writes the batch it holds
        and exits in order; SIGKILL for any still there after `grace_s`. What they wrote is
        stored; the rest is resumed later."""
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.terminate()
        deadline = time.monotonic() + grace_s
        for proc in procs:
            with contextlib.suppress(Exception):
                proc.join(max(0.0, deadline - time.monotonic()))
                if proc.is_alive():
                    proc.kill()
