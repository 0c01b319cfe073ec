"""The Ray executor: the sweep's units (model x suite x shard) as Ray tasks on a cluster.

The only module that imports ray. Each unit runs `units.run_unit` (the same code path as the
local executor) on whichever node Ray places it: the unit starts a local model's server there
(one per unit, on that node) and its own request path, and writes its samples to the store,
which every node must reach at the same path (a shared filesystem). Finished samples come
back to the executor through a Ray queue (progress, budget, breakers, run records); stop
flags are a small actor that units poll at most a few times a second.

API keys are read from the environment of the nodes (never shipped by gapbench). A deployment's
concurrency limit holds per node's request path; the executor gives each shard its share of
the limit, so the shards of a run together stay within it.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

import ray
from ray.util.queue import Empty, Queue

from harness._types import SampleRecord
from harness.sweep.coordinator import Coordinator
from harness.sweep.units import Unit, UnitResult, run_unit

_POLL_FLAGS_S = 0.25  # how stale a unit's view of the stop flags may be


@ray.remote(num_cpus=0)
class _Flags:
    def __init__(self) -> None:
        self._names: list[str] = []

    def set(self, name: str) -> None:
        if name not in self._names:
            self._names.append(name)

    def snapshot(self) -> list[str]:
        return list(self._names)


class RayEvent:
    """An Event-like flag kept by the _Flags actor; picklable, readable on any node."""

    def __init__(self, flags: Any, name: str) -> None:
        self._flags = flags
        self.name = name
        self._cache: tuple[float, bool] = (0.0, False)

    def set(self) -> None:
        ray.get(self._flags.set.remote(self.name))

    def is_set(self) -> bool:
        at, value = self._cache
        if value or time.monotonic() - at < _POLL_FLAGS_S:
            return value
        value = self.name in ray.get(self._flags.snapshot.remote())
        self._cache = (time.monotonic(), value)
        return value

    def __getstate__(self) -> dict[str, Any]:
        return {"_flags": self._flags, "name": self.name, "_cache": (0.0, False)}


class _QueueChannel:
    """A unit's channel on a Ray worker: samples into the queue, stop flags from the actor."""

    def __init__(self, queue: Queue, stop_all: RayEvent, stop_deployment: RayEvent) -> None:
        self.queue = queue
        self.stop_all = stop_all
        self.stop_deployment = stop_deployment

    def may_start(self, deployment_id: str, unit_id: str) -> bool:
        # No reservation from a Ray worker: the coordinator counts a Ray unit's samples in
        # flight at their worst case and sets the stop flag before they could pass the budget.
        return not self.stop_all.is_set() and not self.stop_deployment.is_set()

    def sample_done(self, unit_id: str, record: SampleRecord) -> None:
        self.queue.put((unit_id, record))


@ray.remote(num_cpus=1, max_retries=0)
def _run_unit_remote(unit: Unit, channel: _QueueChannel) -> UnitResult:
    return run_unit(unit, channel)


class RayCluster:
    """Connect to a cluster (`address`) or start a local one for the sweep; context manager.

    Gives StopFlags its events (`Event()`), and carries finished samples to the coordinator.
    """

    def __init__(self, address: str | None) -> None:
        self.address = address
        self._owns = False
        self._flags: Any = None
        self.queue: Queue | None = None
        self._n = 0
        self._coordinator: Coordinator | None = None
        self._drain: threading.Thread | None = None
        self._stop = threading.Event()

    def __enter__(self) -> RayCluster:
        if not ray.is_initialized():
            # ray.init installs its own SIGTERM handler (sys.exit(15), after its C++ layer
            # prints a stack dump): the command's stays, so SIGTERM ends a Ray sweep as it
            # ends any other (runs closed as interrupted, exit 130, one line).
            previous = signal.getsignal(signal.SIGTERM)
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            self._owns = True
            if previous is not None and threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)
        self._flags = _Flags.remote()  # type: ignore[attr-defined]
        self.queue = Queue()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._drain is not None:
            self._drain.join(timeout=10)
        if self._owns:
            ray.shutdown()

    def cpus(self) -> int:
        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def Event(self) -> RayEvent:  # the name of multiprocessing's factory, as StopFlags calls it
        self._n += 1
        return RayEvent(self._flags, f"flag-{self._n}")

    def attach(self, coordinator: Coordinator) -> None:
        """Start handing the units' samples to the coordinator (once)."""
        if self._drain is not None:
            return
        self._coordinator = coordinator
        self._drain = threading.Thread(target=self._pump, name="ray-samples", daemon=True)
        self._drain.start()

    def _pump(self) -> None:
        assert self.queue is not None and self._coordinator is not None
        while not self._stop.is_set():
            self.drain_once(timeout=0.2)
        self.drain_once(timeout=0)

    def drain_once(self, timeout: float) -> None:
        assert self.queue is not None and self._coordinator is not None
        try:
            first = self.queue.get(timeout=timeout) if timeout else self.queue.get_nowait()
        except Empty:
            return
        batch = [first]
        size = self.queue.qsize()
        if size:
            batch += self.queue.get_nowait_batch(size)
        for unit_id, record in batch:
            self._coordinator.remote_sample(unit_id, record)


class RayBackend:
    """Runs the units given together as Ray tasks, at once, and waits for them."""

    def __init__(self, coordinator: Coordinator, cluster: RayCluster) -> None:
        self.coordinator = coordinator
        self.cluster = cluster
        cluster.attach(coordinator)
        self._refs: list[Any] = []

    def run_units(self, units: list[Unit]) -> list[UnitResult]:
        flags = self.coordinator.flags
        refs = []
        for unit in units:
            channel = _QueueChannel(
                self.cluster.queue,  # type: ignore[arg-type]
                flags.all,
                flags.deployment[unit.deployment_id],
            )
            self.coordinator.unit_started(
                unit.unit_id, unit.max_connections, unit.worst_usd, reserving=False
            )
            refs.append(_run_unit_remote.remote(unit, channel))
        self._refs += refs
        results = []
        for unit, ref in zip(units, refs, strict=True):
            try:
                results.append(ray.get(ref))
            except (ray.exceptions.RayError, ray.exceptions.RayTaskError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                results.append(
                    UnitResult(unit.unit_id, 0, f"Ray task died ({type(exc).__name__}: {first[:200]})",
                               died=True)
                )  # fmt: skip
            finally:
                self.coordinator.unit_ended(unit.unit_id)
        # Samples still on their way belong to these units: wait for them before the run
        # record is closed, and take the units' ledgers.
        self.coordinator.settle_remote(results)
        return results

    def stop(self) -> None:
        for ref in self._refs:
            try:
                ray.cancel(ref, force=True)
            except Exception:  # already finished
                continue
