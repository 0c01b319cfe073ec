"""A unit of execution: one run, or one shard of a run, evaluated by one engine invocation.

`run_unit` is the one code path every executor uses (in the executor's own thread, in a local
worker process, on a Ray worker): it reaches the deployment unless the executor already did,
runs the engine over the unit's (sample, epoch) pairs, writes finished samples to the store in
small atomic batches as they come (writer.py), and tells the executor about each one through a
`Channel`. Before each sample the engine asks the channel whether it may start (budget spent,
the deployment's circuit breaker open): the executor decides, the unit obeys.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness._types import Endpoint, SampleRecord
from harness.errors import GapbenchError
from harness.models import Deployment, ModelCard
from harness.offline import follow_environment
from harness.runners.base import RunContext, UserSimulator
from harness.serve.proxy.headers import BREAKER_ERROR_TYPE
from harness.store import Store
from harness.sweep.plan import PlannedRun
from harness.sweep.writer import DEFAULT_BATCH, DEFAULT_INTERVAL_S, BatchWriter

# The error type the request path answers with once a deployment's circuit breaker is open:
# a sample that got it means "stop starting this deployment's samples".
BREAKER_MARK = BREAKER_ERROR_TYPE


def refused_by_breaker(record: SampleRecord) -> bool:
    return record.status == "error" and BREAKER_MARK in (record.error or "")


# A run is split into shards only when each shard gets at least this many samples: below
# it, a worker's start-up (importing an engine takes seconds) costs more than it saves.
MIN_SHARD = 16


@dataclass(frozen=True)
class Unit:
    """What a worker needs to evaluate part of a run; picklable, no secrets."""

    run: PlannedRun
    shard: int  # 0-based
    n_shards: int
    todo: tuple[tuple[str, int], ...]
    sweep_id: str
    results_dir: Path
    raw_root: Path  # settings.raw_dir: engine logs and server logs go below it
    cache_dir: Path
    max_connections: int  # this unit's share of its deployment's limit
    write_batch: int = DEFAULT_BATCH
    write_interval_s: float = DEFAULT_INTERVAL_S
    # Reached by the executor (local): the request path's endpoints. None: the unit reaches
    # the deployment itself, on the worker that runs it (Ray).
    endpoint: Endpoint | None = None
    user: UserSimulator | None = None
    user_model: tuple[ModelCard, Deployment] | None = None  # to reach on the worker
    read_cache: bool = True  # False: the call cache is not read (`--no-cache`)
    worst_usd: float | None = None  # one sample's worst-case cost (budget.worst_case_usd)

    @property
    def unit_id(self) -> str:
        return f"{self.run.run_id}/{self.shard}"

    @property
    def deployment_id(self) -> str:
        return self.run.deployment.id

    @property
    def raw_dir(self) -> Path:
        return run_raw_dir(self.raw_root, self.sweep_id, self.run)


def run_raw_dir(raw_root: Path, sweep_id: str, run: PlannedRun) -> Path:
    """A run's engine logs: raw/<sweep>/<suite>/<model>/<run_id>/ (inspect's .eval files,
    lm-eval's output under lm_eval/<run_id>/), one folder per run so that a report links
    exactly its own logs (RunRecord.raw_path)."""
    return raw_root / sweep_id / run.suite.name / run.card.id / run.run_id


@dataclass(frozen=True)
class UnitResult:
    unit_id: str
    n_reported: int  # samples handed to the store (their batch may have been the last)
    failure: str | None = None  # the engine failed as a whole (RunnerError), one line
    died: bool = False  # the worker process died (failure says how): the run is partial
    calls: tuple[Any, ...] = ()  # ledger CallRecords of a request path reached on the worker


class Channel(Protocol):
    """How a unit talks to its executor."""

    def may_start(self, deployment_id: str, unit_id: str) -> bool:
        """May the unit start a sample now? (With a budget, yes reserves its worst case.)"""
        ...

    def sample_done(self, unit_id: str, record: SampleRecord) -> None: ...


def split(todo: tuple[tuple[str, int], ...], n: int) -> list[tuple[tuple[str, int], ...]]:
    """n shards of todo, round robin (each shard a mix of easy and hard samples)."""
    return [todo[i::n] for i in range(n) if todo[i::n]]


def shard_count(n_todo: int, wanted: int | None, workers: int, concurrency: int) -> int:
    """Shards for a run: as asked in the sweep (`shards`), else the workers this run may use,
    but no more than its samples fill (MIN_SHARD each) nor its connection limit."""
    if wanted is not None:
        return max(1, min(wanted, n_todo))
    return max(1, min(workers, n_todo // MIN_SHARD, concurrency))


@contextlib.contextmanager
def _reached_here(unit: Unit) -> Iterator[tuple[Endpoint, UserSimulator | None, Any]]:
    """Serve and proxy the unit's deployment (and user simulator) on this worker."""
    from harness.serve.proxy import Ledger
    from harness.sweep.reach import reach

    ledger = Ledger()
    with contextlib.ExitStack() as stack:
        endpoint = stack.enter_context(
            reach(unit.run.card, unit.run.deployment, unit.raw_root, unit.cache_dir, ledger,
                  canary=unit.run.canary, read_cache=unit.read_cache)
        )  # fmt: skip
        user = unit.user
        if user is None and unit.user_model is not None:
            card, dep = unit.user_model
            user_ep = stack.enter_context(
                reach(card, dep, unit.raw_root, unit.cache_dir, ledger, read_cache=unit.read_cache)
            )
            user = UserSimulator(card=card, endpoint=user_ep)
        yield endpoint, user, ledger


def run_unit(unit: Unit, channel: Channel) -> UnitResult:
    """Evaluate the unit; every finished sample goes to the store and to the channel."""
    from harness.runners import get_runner

    store = Store(unit.results_dir)
    writer = BatchWriter(store, batch=unit.write_batch, interval_s=unit.write_interval_s)
    reported = 0
    count_lock = threading.Lock()
    # Seen here first: the executor's own view of the breaker comes a poll later, and a
    # refused call is answered at once, so without this a whole run would be refused.
    breaker_seen = threading.Event()

    def sink(record: SampleRecord) -> None:
        nonlocal reported
        if refused_by_breaker(record):
            breaker_seen.set()
        writer.add(record)
        with count_lock:
            reported += 1
        channel.sample_done(unit.unit_id, record)

    failure: str | None = None
    calls: tuple[Any, ...] = ()
    with contextlib.ExitStack() as stack:
        try:
            if unit.endpoint is not None:
                endpoint, user, ledger = unit.endpoint, unit.user, None
            else:
                endpoint, user, ledger = stack.enter_context(_reached_here(unit))
            run = unit.run
            ctx = RunContext(
                run_id=run.run_id,
                sweep_id=unit.sweep_id,
                card=run.card,
                deployment=run.deployment,
                endpoint=endpoint,
                suite=run.suite,
                todo=unit.todo,
                raw_dir=unit.raw_dir,
                user=user if run.suite.needs_user_simulator else None,
                max_connections=unit.max_connections,
                may_start=lambda: (
                    not breaker_seen.is_set() and channel.may_start(run.deployment.id, unit.unit_id)
                ),
                canary=run.canary,
            )
            get_runner(run.suite.engine).run(ctx, sink)
        except GapbenchError as exc:  # RunnerError, ServeError: the run failed as a whole
            failure = str(exc)
        finally:
            writer.close()
        if ledger is not None:
            calls = ledger.calls
    return UnitResult(unit.unit_id, reported, failure, calls=calls)


# --- local worker processes ----------------------------------------------------------------


@dataclass
class PipeChannel:
    """A worker process's channel: records up a pipe, stop flags shared with the executor;
    with a budget, each sample's start is asked of the executor (a reservation) and the
    answer comes back on `replies`."""

    conn: Any  # multiprocessing Connection (send end)
    stop_all: Any  # multiprocessing Event: stop every deployment (budget, Ctrl-C)
    stop_deployment: dict[str, Any]  # deployment id -> Event (its circuit breaker opened)
    replies: Any = None  # multiprocessing Connection (receive end): reservations' answers
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _asking: threading.Lock = field(default_factory=threading.Lock)

    def may_start(self, deployment_id: str, unit_id: str) -> bool:
        event = self.stop_deployment.get(deployment_id)
        if self.stop_all.is_set() or (event is not None and event.is_set()):
            return False
        if self.replies is None:
            return True
        with self._asking:  # one question at a time: answers come back in order
            self.send(("may_start", unit_id, deployment_id))
            try:
                return bool(self.replies.recv())
            except (EOFError, OSError):  # the executor is gone: start nothing more
                return False

    def sample_done(self, unit_id: str, record: SampleRecord) -> None:
        with self._lock:  # engines call back from several threads
            self.conn.send(("sample", unit_id, record))

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self.conn.send(message)


def _exit_with_parent(parent_pid: int) -> None:
    """A worker must not outlive gapbench (a SIGKILLed parent cannot stop it)."""
    while True:
        time.sleep(0.5)
        try:
            os.kill(parent_pid, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:
            continue


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def take_environment(env: dict[str, str], cwd: str) -> None:
    """A worker was forked from a server started earlier: take the executor's environment and
    directory as they are now (keys, offline switches, settings), and make what libraries
    imported in the server read from the environment follow it."""
    os.environ.clear()
    os.environ.update(env)
    follow_environment()
    os.chdir(cwd)


def worker_main(
    unit: Unit,
    conn: Any,
    stop_all: Any,
    stop_deployment: dict[str, Any],
    env: dict[str, str],
    cwd: str,
    parent_pid: int,
    replies: Any = None,
) -> None:
    """Entry point of a local worker process (started by the executor, one per unit)."""
    # Ctrl-C in a terminal reaches the whole process group: the executor decides what
    # happens (stop flags, then it ends the workers), not a KeyboardInterrupt in here.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The executor stops a worker with SIGTERM: unwind (the batch not yet written is
    # written, multiprocessing's finalizers run), so nothing is left for a tracker to report.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    take_environment(env, cwd)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    channel = PipeChannel(conn, stop_all, stop_deployment, replies)
    try:
        result = run_unit(unit, channel)
    except BaseException as exc:
        channel.send(("crash", unit.unit_id, f"{type(exc).__name__}: {exc}"[:500]))
        raise
    channel.send(("done", unit.unit_id, result))
    conn.close()
