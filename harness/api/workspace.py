"""A workspace: the settings (where things live), the model registry and the suites."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.config import Settings, load_settings
from harness.errors import ConfigError
from harness.models import Registry, load_registry
from harness.store import Store
from harness.suites import SuiteRegistry, load_suites


@dataclass(frozen=True)
class Workspace:
    settings: Settings
    registry: Registry
    suites: SuiteRegistry

    @property
    def store(self) -> Store:
        return Store(self.settings.results_dir)


def workspace(settings: Settings | None = None) -> Workspace:
    settings = settings or load_settings()
    return Workspace(
        settings, load_registry(settings.registry_path), load_suites(settings.tasks_dir)
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
