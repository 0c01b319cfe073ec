"""A workspace: the settings (where things live), the model registry and the suites."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from harness.config import Settings, load_settings
from harness.errors import ConfigError
from harness.models import Deployment, ModelCard, Registry, open_registry
from harness.store import Store
from harness.suites import SuiteRegistry, load_suites
from harness.sweep.spec import SweepSpec, load_sweep


@dataclass(frozen=True)
class Workspace:
    """Where results, reports and the call cache live, and what can be run.

    Make one with `workspace(results_dir=...)`; every API function takes `ws=`.
    """

    settings: Settings
    registry: Registry
    suites: SuiteRegistry

    @property
    def store(self) -> Store:
        """The results store (Parquet samples and runs tables) under settings.results_dir."""
        return Store(self.settings.results_dir)

    def with_models(
        self, cards: tuple[ModelCard, ...], deployments: tuple[Deployment, ...]
    ) -> Workspace:
        """This workspace with models that are not in the registry file (ad-hoc endpoints)."""
        return replace(self, registry=self.registry.with_entries(cards, deployments))


def workspace(
    settings: Settings | None = None,
    *,
    results_dir: str | Path | None = None,
    reports_dir: str | Path | None = None,
    cache_dir: str | Path | None = None,
    registry: str | Path | None = None,
    tasks_dir: str | Path | None = None,
    sweeps_dir: str | Path | None = None,
) -> Workspace:
    """A workspace from the environment (see README: GAPBENCH_RESULTS_DIR, GAPBENCH_REGISTRY,
    ...), with any folder or file given here taking precedence.

    results_dir: the Parquet store (default ./results); reports_dir: rendered reports
    (default ./reports); cache_dir: the model-call cache (default ~/.cache/gapbench);
    registry: a models.yaml (default the repository's); tasks_dir: suite definitions;
    sweeps_dir: where sweep names (`"demo"`) are looked up.
    Raises ConfigError (one line naming file and field) when the registry or a suite is invalid.
    """
    settings = settings or load_settings()
    given = {
        "results_dir": results_dir,
        "reports_dir": reports_dir,
        "cache_dir": cache_dir,
        "registry_path": registry,
        "tasks_dir": tasks_dir,
        "sweeps_dir": sweeps_dir,
    }
    updates = {k: Path(v) for k, v in given.items() if v is not None}
    if updates:
        settings = replace(settings, **updates)
    return Workspace(
        settings, open_registry(settings.registry_path), load_suites(settings.tasks_dir)
    )


def resolve_sweep_path(ref: str | Path, settings: Settings) -> Path:
    """A path to a YAML file, or the name of a sweep in sweeps/ ('demo')."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        return path
    candidate = settings.sweeps_dir / f"{ref}.yaml"
    if candidate.exists():
        return candidate
    raise ConfigError(path, None, f"no such sweep file (nor {candidate})")


def load_sweep_ref(ref: str | Path | SweepSpec, ws: Workspace) -> tuple[SweepSpec, Path]:
    """(the sweep, what names it in errors): a SweepSpec built in code, a YAML path, or the
    name of a sweep in sweeps/. A file is read and validated here (one ConfigError line)."""
    if isinstance(ref, SweepSpec):
        return ref, Path(f"sweep '{ref.name}'")
    path = resolve_sweep_path(ref, ws.settings)
    return load_sweep(path), path
