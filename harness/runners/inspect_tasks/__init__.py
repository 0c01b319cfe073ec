"""Registry of inspect-ai tasks: suite.task name -> factory building an `inspect_ai.Task`.

A task module registers its factories with `@register("name")`. Modules are imported lazily,
on the first lookup of a name they define, so listing suites never imports inspect_evals or
a benchmark's data. Lookup tries the module named by the task name's first `_`-separated
part (`ladder_agentic` -> `ladder.py`, `tau2_airline` -> the `tau2/` package), then every
module of this package.

A factory is called as `factory(suite, ctx)`: `ctx` is the RunContext when building the task
for a run, and None when only the dataset is needed (`InspectRunner.sample_ids`); factories
must not need a model to build the dataset. Sample ids must be the suite's stable ids, and
`Sample.metadata["h"]` holds the number of required steps where known.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from harness.errors import ConfigError

if TYPE_CHECKING:
    from inspect_ai import Task

    from harness.runners.base import RunContext
    from harness.suites.spec import SuiteSpec

TaskFactory = Callable[["SuiteSpec", "RunContext | None"], "Task"]

_FACTORIES: dict[str, TaskFactory] = {}


def register(name: str) -> Callable[[TaskFactory], TaskFactory]:
    """Decorator: make `factory` the builder of inspect task `name`."""

    def deco(factory: TaskFactory) -> TaskFactory:
        if name in _FACTORIES and _FACTORIES[name] is not factory:
            raise ValueError(f"inspect task '{name}' registered twice")
        _FACTORIES[name] = factory
        return factory

    return deco


def _import_candidates(name: str) -> None:
    first = name.split("_", 1)[0]
    modules = [m.name for m in pkgutil.iter_modules(__path__)]
    if first in modules:
        importlib.import_module(f"{__name__}.{first}")
        if name in _FACTORIES:
            return
    for module in modules:
        if module == first:
            continue
        try:
            importlib.import_module(f"{__name__}.{module}")
        except ImportError:  # another suite's optional dependency: not this task's problem
            continue
        if name in _FACTORIES:
            return


def get_factory(name: str) -> TaskFactory:
    if name not in _FACTORIES:
        _import_candidates(name)
    try:
        return _FACTORIES[name]
    except KeyError:
        raise KeyError(
            f"unknown inspect task '{name}' (known: {', '.join(sorted(_FACTORIES))})"
        ) from None


def build_task(suite: SuiteSpec, ctx: RunContext | None = None) -> Task:
    """The inspect Task for `suite` (suite.task names the factory)."""
    try:
        factory = get_factory(suite.task)
    except KeyError as exc:
        raise ConfigError(suite.directory / "suite.yaml", "task", str(exc.args[0])) from None
    return factory(suite, ctx)


def registered() -> list[str]:
    """Every task name, importing all task modules."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    return sorted(_FACTORIES)
