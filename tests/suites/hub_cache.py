"""Tiny benchmark data written where the hub suites' loaders read it, for tests.

- `write_hf_dataset`: a Hugging Face dataset in the datasets library's prepared-Arrow cache,
  exactly as a first online `load_dataset(repo, name, revision=...)` leaves it
  (`<HF_DATASETS_CACHE>/<namespace>___<snake_name>/<config>/<version>/<revision>/` with
  `<name>-<split>.arrow` and `dataset_info.json`), written by datasets' own Json builder.
  Offline, `load_dataset(repo, revision=...)` reads it back (datasets' cached-module path).
- the pytest fixture `hub_caches`: datasets' and inspect's caches pointed at a temp folder
  for the test (datasets reads HF_DATASETS_CACHE once at import, so the module's setting is
  set too; inspect's cache follows XDG_CACHE_HOME).
"""

from __future__ import annotations

import importlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def upstream(module: str) -> ModuleType:
    """An inspect_evals module by dotted name (packages re-export same-named functions)."""
    return importlib.import_module(f"inspect_evals.{module}")


def write_hf_dataset(
    cache: Path,
    repo_id: str,
    revision: str,
    split: str,
    rows: list[dict[str, Any]],
    config: str = "default",
) -> Path:
    from datasets.naming import camelcase_to_snakecase
    from datasets.packaged_modules.json.json import Json

    namespace, name = repo_id.split("/")
    snake = camelcase_to_snakecase(name)
    work = cache.parent / f"build-{namespace}-{snake}-{split}"
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"{split}.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    builder = Json(
        cache_dir=str(work / "out"),
        dataset_name=snake,
        config_name=config,
        config_id=config,
        hash=revision,
        data_files={split: str(data)},
    )
    builder.download_and_prepare()
    built = work / "out" / snake / config
    target = cache / f"{namespace}___{snake}" / config
    for version in built.iterdir():
        if not version.is_dir():
            continue
        dest = target / version.name / revision
        dest.parent.mkdir(parents=True, exist_ok=True)
        if dest.exists():  # another split of the same dataset: add its files
            for f in (version / revision).iterdir():
                if f.suffix == ".arrow":
                    shutil.copy2(f, dest / f.name)
            _merge_info(dest / "dataset_info.json", version / revision / "dataset_info.json")
        else:
            shutil.copytree(version / revision, dest)
    shutil.rmtree(work)
    return target


def _merge_info(into: Path, other: Path) -> None:
    a = json.loads(into.read_text(encoding="utf-8"))
    b = json.loads(other.read_text(encoding="utf-8"))
    a.setdefault("splits", {}).update(b.get("splits", {}))
    into.write_text(json.dumps(a), encoding="utf-8")


@pytest.fixture
def hub_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty Hugging Face datasets cache (returned) and inspect cache for this test."""
    import datasets

    cache = tmp_path / "hf" / "datasets"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(cache))
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "gapbench-cache"))
    yield cache
