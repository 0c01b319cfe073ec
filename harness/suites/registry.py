"""Discover and validate every tasks/**/suite.yaml.

A suite file is input like any other: a problem is one ConfigError naming the file and the
field (exit 2). Checked when suites are loaded:
- `data` is a path relative to the suite's folder that stays inside the tasks folder once
  resolved (no absolute path, no `..` out of it, no symbolic link leading out) and exists as
  a regular file or folder; suites whose data live outside the repository (the user's Hugging
  Face cache) declare no `data` (an lm-eval registry task) or set `external_data: true`, and
  are skipped with one line when that data is absent.
Checked when a suite's sample ids are first read (`check_sample_ids`, called by
harness.runners.suite_ids): a declared `size` equal to the number of ids in the data, and
every `smoke` and `canary` id present in it (not for external data: a cache may hold part).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from harness._loading import load_model, read_yaml
from harness.config import REPO_ROOT
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


def check_data_path(spec: SuiteSpec, path: Path, root: Path) -> None:
    """ConfigError unless the suite's `data` resolves inside `root` to a file or folder."""
    if spec.data is None:
        return
    raw = spec.data
    if (
        "\x00" in raw
        or "\\" in raw
        or PurePosixPath(raw).is_absolute()
        or re.match(r"^[A-Za-z]:", raw)
    ):
        raise ConfigError(path, "data", "must be a path relative to the suite's folder")
    base = root.resolve()
    outside = ConfigError(
        path,
        "data",
        f"'{raw}' leads outside {root} (suite data live in the tasks folder; "
        "a symbolic link out of it is refused)",
    )
    # first as written ('..' out of the tasks folder), then as the file system resolves it
    # (a symbolic link out of it)
    written = Path(os.path.normpath(spec.directory.resolve() / raw))
    if written != base and base not in written.parents:
        raise outside
    try:
        resolved = (spec.directory / raw).resolve(strict=True)
    except FileNotFoundError:
        raise ConfigError(path, "data", f"'{raw}' not found") from None
    except (OSError, RuntimeError) as exc:  # a symbolic link loop, a permission problem
        raise ConfigError(path, "data", f"'{raw}' cannot be resolved ({exc})") from None
    if resolved != base and base not in resolved.parents:
        raise outside
    if not (resolved.is_file() or resolved.is_dir()):
        raise ConfigError(path, "data", f"'{raw}' is not a regular file or folder")


def _tasks_root(path: Path) -> Path:
    """The tasks folder holding `path` ($GAPBENCH_TASKS_DIR or the repository's tasks/), else
    the suite's own folder."""
    here = path.resolve()
    for root in (os.environ.get("GAPBENCH_TASKS_DIR"), REPO_ROOT / "tasks"):
        if root and Path(root).resolve() in here.parents:
            return Path(root)
    return path.parent


def load_suite(path: Path, root: Path | None = None) -> SuiteSpec:
    """One suite.yaml, validated; its `data` must stay inside `root` (default: the tasks
    folder that holds it, else the suite's own folder)."""
    data = read_yaml(path)
    if isinstance(data, dict):
        data = {**data, "directory": path.parent}
    spec = load_model(path, SuiteSpec, data)
    check_data_path(spec, path, root if root is not None else _tasks_root(path))
    return spec


def load_suites(tasks_dir: Path) -> SuiteRegistry:
    if not tasks_dir.is_dir():
        raise ConfigError(tasks_dir, None, "tasks directory not found")
    specs: list[SuiteSpec] = []
    where: dict[str, Path] = {}
    for path in sorted(tasks_dir.rglob("suite.yaml")):
        spec = load_suite(path, tasks_dir)
        if spec.name in where:
            raise ConfigError(
                path, "name", f"duplicate suite name '{spec.name}' (also {where[spec.name]})"
            )
        where[spec.name] = path
        specs.append(spec)
    return SuiteRegistry(tasks_dir=tasks_dir, suites=tuple(specs))


def external_data(suite: SuiteSpec) -> bool:
    """Whether the suite reads data from outside the repository and its packages (an lm-eval
    registry task, or `external_data: true`): a local copy may hold only part of it."""
    return suite.external_data or (suite.engine == "lm_eval" and suite.data is None)


def check_sample_ids(suite: SuiteSpec, ids: Sequence[str]) -> None:
    """ConfigError (naming suite.yaml and the field) when the declared size disagrees with
    the data or a smoke or canary id is not in it. External data are not checked."""
    if external_data(suite):
        return
    path = suite.directory / "suite.yaml"
    if suite.size is not None and suite.size != len(ids):
        raise ConfigError(path, "size", f"declares {suite.size} samples; its data have {len(ids)}")
    known = set(ids)
    for field in ("smoke", "canary"):
        for i, sample_id in enumerate(getattr(suite, field)):
            if sample_id not in known:
                raise ConfigError(
                    path, f"{field}[{i}]", f"unknown sample id '{sample_id}' (not in the data)"
                )
