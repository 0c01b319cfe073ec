"""Discover and validate every tasks/**/suite.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness._loading import load_model, read_yaml
from harness.errors import ConfigError
from harness.suites.spec import SuiteSpec


@dataclass(frozen=True)
class SuiteRegistry:
    tasks_dir: Path
    suites: tuple[SuiteSpec, ...]

    def get(self, name: str) -> SuiteSpec:
        for suite in self.suites:
            if suite.name == name:
                return suite
        known = ", ".join(s.name for s in self.suites)
        raise KeyError(f"unknown suite '{name}' (known: {known})")


def load_suite(path: Path) -> SuiteSpec:
    data = read_yaml(path)
    if isinstance(data, dict):
        data = {**data, "directory": path.parent}
    return load_model(path, SuiteSpec, data)


def load_suites(tasks_dir: Path) -> SuiteRegistry:
    if not tasks_dir.is_dir():
        raise ConfigError(tasks_dir, None, "tasks directory not found")
    specs: list[SuiteSpec] = []
    where: dict[str, Path] = {}
    for path in sorted(tasks_dir.rglob("suite.yaml")):
        spec = load_suite(path)
        if spec.name in where:
            raise ConfigError(
                path, "name", f"duplicate suite name '{spec.name}' (also {where[spec.name]})"
            )
        where[spec.name] = path
        specs.append(spec)
    return SuiteRegistry(tasks_dir=tasks_dir, suites=tuple(specs))
