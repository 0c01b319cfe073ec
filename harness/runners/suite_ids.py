"""What planning needs from an engine, without importing it: its version and a suite's ids.

Importing inspect_ai takes 2-5 s (it loads every inspect_evals task through its entry points)
and lm_eval about as long, so a plan that made a `Runner` for these facts spent most of a
finished sweep's rerun importing engines it would not use (issue 14, fast start).

- `engine_version(engine)`: the installed package's version, read from its metadata (what
  each runner's `engine_version()` returns).
- `sample_ids(suite, cache_dir)`: a standard suite's data file is read directly (its ids are
  the JSONL rows' ids, as LmEvalRunner.sample_ids reads them); any other suite asks its
  runner once and keeps the answer under `cache_dir/sample-ids/`, keyed by everything that
  can change it: the suite's spec and folder, its data file, the engine's and inspect_evals'
  versions, gapbench's version and the inspect task modules (size and mtime of each file).
  cache_dir None: no cache (the runner is asked each time).
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any

from harness import __version__
from harness._files import write_text_atomic
from harness._types import RunEngine
from harness.store.keys import stable_hash
from harness.suites import SuiteSpec
from harness.suites.registry import check_sample_ids

# The distribution each engine's runner reports as its version.
ENGINE_PACKAGES: dict[str, str] = {"inspect": "inspect-ai", "lm_eval": "lm_eval"}
_TASK_MODULES = Path(__file__).resolve().parent / "inspect_tasks"
CACHE_FOLDER = "sample-ids"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def engine_version(engine: RunEngine) -> str:
    """The engine's version, as its runner's `engine_version()` says, without importing it."""
    return _version(ENGINE_PACKAGES[engine])


def _stat(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path), st.st_size, st.st_mtime_ns)


def _files(folder: Path) -> list[tuple[str, int, int] | None]:
    if not folder.is_dir():
        return []
    paths = sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return [_stat(p) for p in paths]


def cache_key(suite: SuiteSpec) -> str:
    """What the suite's sample ids depend on, hashed."""
    facts: dict[str, Any] = {
        "suite": suite.model_dump(mode="json"),
        "directory": _files(suite.directory),
        "data": _stat(suite.directory / suite.data) if suite.data else None,
        "engine": suite.engine,
        "engine_version": engine_version(suite.engine),
        "harness": __version__,
    }
    if suite.engine == "inspect":
        facts["inspect_evals"] = _version("inspect_evals")
        facts["task_modules"] = _files(_TASK_MODULES)
    return stable_hash(facts)


def _read(path: Path) -> list[str] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ids = data.get("ids") if isinstance(data, dict) else None
    if isinstance(ids, list) and all(isinstance(i, str) for i in ids):
        return ids
    return None


def _write(path: Path, suite: SuiteSpec, ids: list[str]) -> None:
    """Best effort, atomic (a reader never sees half a file); a cache that cannot be
    written only costs the next plan an engine import."""
    try:
        write_text_atomic(
            path, json.dumps({"suite": suite.name, "version": suite.version, "ids": ids})
        )
    except OSError:
        return


def sample_ids(suite: SuiteSpec, cache_dir: Path | None = None) -> list[str]:
    """Every sample id of the suite, in the runner's stable order (see the module doc).

    Raises what the runner raises (a GapbenchError such as an lm-eval registry task whose
    data is offline; such answers are not cached), and ConfigError when the suite's declared
    size, smoke or canary ids disagree with its data (harness.suites.registry)."""
    ids = _sample_ids(suite, cache_dir)
    # the suite's declared size, smoke and canary ids against its data (ConfigError, exit 2)
    check_sample_ids(suite, ids)
    return ids


def _sample_ids(suite: SuiteSpec, cache_dir: Path | None) -> list[str]:
    if suite.engine == "lm_eval" and suite.data:
        from harness.suites.scorers import load_docs

        return [d.id for d in load_docs(suite.directory / suite.data)]
    path = cache_dir / CACHE_FOLDER / f"{cache_key(suite)}.json" if cache_dir else None
    if path is not None:
        cached = _read(path)
        if cached is not None:
            return cached
    from harness.runners.base import get_runner

    ids = [str(i) for i in get_runner(suite.engine).sample_ids(suite)]
    if path is not None:
        _write(path, suite, ids)
    return ids


__all__ = ["cache_key", "engine_version", "sample_ids"]
