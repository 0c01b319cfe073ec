"""The runner contract shared by both engines."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from harness import __version__
from harness._types import Endpoint, RunEngine, SampleRecord
from harness.models import Deployment, ModelCard
from harness.store.keys import sample_key
from harness.suites import SuiteSpec

SampleSink = Callable[[SampleRecord], None]


@dataclass(frozen=True)
class UserSimulator:
    """The model playing the user in tau2-style suites: one per sweep, same for every agent."""

    card: ModelCard
    endpoint: Endpoint


@dataclass(frozen=True)
class RunContext:
    run_id: str
    sweep_id: str
    card: ModelCard
    deployment: Deployment
    endpoint: Endpoint
    suite: SuiteSpec
    # (sample_id, epoch) pairs still to do, in order; epochs count from 1.
    todo: tuple[tuple[str, int], ...]
    raw_dir: Path  # engine logs go here (inspect .eval files, lm-eval samples)
    user: UserSimulator | None = None
    max_connections: int = 1
    env: dict[str, str] = field(default_factory=dict)  # extra env for the engine (no secrets)
    # Asked before each sample starts (budget, a deployment's circuit breaker): False means
    # do not start it; it is not reported to the sink and a later command runs it.
    may_start: Callable[[], bool] | None = None
    canary: bool = False  # rows of nightly canary runs are marked (harness.nightly)

    def gate_open(self) -> bool:
        return self.may_start is None or self.may_start()


class Runner(Protocol):
    engine: RunEngine

    def engine_version(self) -> str: ...

    def sample_ids(self, suite: SuiteSpec) -> list[str]:
        """Every sample id of the suite, in a stable order (limits take a prefix)."""
        ...

    def run(self, ctx: RunContext, sink: SampleSink) -> None:
        """Evaluate ctx.todo in one engine invocation, calling sink once per (sample, epoch)
        as soon as it is known (from the engine's own hooks, not at the end). A sample that
        ctx.gate_open() refused to start is not reported.

        A sample whose model call failed after retries is reported with status "error" and
        the message, never as a wrong answer. Raise RunnerError only when the engine fails
        as a whole.
        """
        ...


_RUNNERS: dict[str, str] = {
    "inspect": "harness.runners.inspect_runner:InspectRunner",
    "lm_eval": "harness.runners.lm_eval_runner:LmEvalRunner",
}


def get_runner(engine: RunEngine) -> Runner:
    module, _, name = _RUNNERS[engine].partition(":")
    cls = getattr(importlib.import_module(module), name)
    runner: Runner = cls()
    return runner


def make_record(
    ctx: RunContext,
    engine: RunEngine,
    engine_version: str,
    sample_id: str,
    epoch: int,
    **fields: Any,
) -> SampleRecord:
    """A SampleRecord with every run-level column filled from the context."""
    return SampleRecord(
        run_id=ctx.run_id,
        sample_key=sample_key(ctx.run_id, sample_id, epoch),
        sweep_id=ctx.sweep_id,
        model_id=ctx.card.id,
        access=ctx.card.access,
        release_date=ctx.card.release_date,
        suite=ctx.suite.name,
        suite_version=ctx.suite.version,
        kind=ctx.suite.kind,
        task=ctx.suite.task,
        sample_id=sample_id,
        epoch=epoch,
        engine=engine,
        engine_version=engine_version,
        harness_version=__version__,
        facts=ctx.endpoint.facts,
        user_simulator=ctx.user.card.id if ctx.user else None,
        prompt_variant=ctx.suite.prompt_variant,
        canary=ctx.canary,
        **fields,
    )
