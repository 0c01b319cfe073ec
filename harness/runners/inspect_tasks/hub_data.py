"""Data of the hub-benchmark suites: from the user's cache, or fetched once when online.

The suites that measure Epoch AI hub benchmarks (tasks/*/hub_*) run inspect_evals' own task
definitions, which read Hugging Face datasets pinned to a revision, a checksum-pinned file in
inspect_evals' cache (GPQA), or docker images (SWE-bench). Their data are never shipped, so
each suite first makes sure its data is on disk:

1. the local cache is tried with the network switched off (datasets' own offline path: the
   prepared Arrow cache under HF_DATASETS_CACHE; inspect_evals' cache for pinned files);
2. when that misses and gapbench is offline (GAPBENCH_OFFLINE, HF_HUB_OFFLINE or
   HF_DATASETS_OFFLINE), the suite
   is unavailable: one line, and the sweep skips it (as gsm8k does);
3. when online, the host is first reached with a short connect timeout (no hang when the
   network is down), then the data is downloaded into the same cache by the same library.

The engine's task is then built with the network switched off, so it reads exactly what step
1 or 3 put in the cache and never waits on inspect_evals' minute-long retry back-offs.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from harness.errors import RunnerError
from harness.offline import is_offline, offline_env

CONNECT_TIMEOUT_S = 3.0
DOCKER_TIMEOUT_S = 10.0

# Module-level switches that datasets / huggingface_hub read once at import: setting the
# environment is not enough when they were imported before (as in a long-lived process).
_OFFLINE_FLAGS = (
    ("datasets.config", "HF_HUB_OFFLINE"),
    ("datasets.config", "HF_DATASETS_OFFLINE"),
    ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
)


def offline() -> bool:
    """gapbench's offline switches, plus datasets' own (HF_DATASETS_OFFLINE)."""
    flag = os.environ.get("HF_DATASETS_OFFLINE", "").strip().lower()
    return is_offline() or flag in ("1", "true", "yes", "on")


class HubDataUnavailable(RunnerError):
    """A hub suite's data (or sandbox) cannot be reached: skip the suite, one line."""


@contextlib.contextmanager
def network_off() -> Iterator[None]:
    """Hugging Face libraries read only local files within the block (restored after)."""
    wanted = offline_env()
    saved_env = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    saved_flags: list[tuple[object, str, object]] = []
    for module_name, attr in _OFFLINE_FLAGS:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attr):
            saved_flags.append((module, attr, getattr(module, attr)))
            setattr(module, attr, True)
    try:
        yield
    finally:
        for owner, attr, value in saved_flags:
            setattr(owner, attr, value)
        for k, v in saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:300]


def reachable(url: str, timeout_s: float = CONNECT_TIMEOUT_S) -> str | None:
    """None when a TCP connection to url's host opens within timeout_s, else why not."""
    parsed = urlparse(url)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        return f"cannot reach {host} ({type(exc).__name__})"
    return None


def _hf_cached(path: str, revision: str, name: str | None, split: str) -> str | None:
    """None when datasets can load (path, name, split) from the local cache, else why not."""
    import datasets

    with network_off():
        try:
            builder = datasets.load_dataset_builder(path, name=name, revision=revision)
        except (
            Exception
        ) as exc:  # ConnectionError, FileNotFoundError, ValueError ("Couldn't find cache")
            return _first_line(exc)
    splits = builder.info.splits or {}
    if split not in splits:
        return f"split '{split}' not in the cached dataset (has {', '.join(sorted(splits))})"
    return None


def ensure_hf_dataset(
    suite: str, path: str, revision: str, *, split: str, name: str | None = None
) -> None:
    """Make sure the Hugging Face dataset `path` (pinned `revision`) is in the local cache.

    Raises HubDataUnavailable (one line) when it is not cached and cannot be fetched."""
    why = _hf_cached(path, revision, name, split)
    if why is None:
        return
    import datasets

    what = f"Hugging Face dataset {path}@{revision[:8]}" + (f" ({name})" if name else "")
    cache = datasets.config.HF_DATASETS_CACHE
    if offline():
        raise HubDataUnavailable(
            f"{suite}: {what} is not in the local cache ({cache}) and gapbench is offline; "
            "run the suite once online, or copy a Hugging Face datasets cache there"
        )
    endpoint = os.environ.get("HF_ENDPOINT") or "https://huggingface.co"
    down = reachable(endpoint)
    if down is not None:
        raise HubDataUnavailable(
            f"{suite}: {what} is not in the local cache ({cache}) and {down}: offline?"
        )
    try:
        datasets.load_dataset(path, name=name, split=split, revision=revision)
    except Exception as exc:  # gated (needs HF_TOKEN and accepted terms), removed, network
        raise HubDataUnavailable(
            f"{suite}: {what} could not be fetched: {_first_line(exc)}"
        ) from None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def ensure_pinned_file(suite: str, url: str, sha256: str, dest: Path) -> None:
    """Make sure `dest` holds the file at `url` with checksum `sha256` (inspect_evals' own
    cache layout for checksum-pinned files, e.g. GPQA Diamond's CSV).

    A present file with another checksum is refused rather than replaced when offline."""
    if dest.is_file() and sha256_of(dest) == sha256:
        return
    where = f"{dest} (from {url}, sha256 {sha256[:12]}...)"
    state = "has another checksum" if dest.is_file() else "is missing"
    if offline():
        raise HubDataUnavailable(f"{suite}: {where} {state} and gapbench is offline")
    down = reachable(url)
    if down is not None:
        raise HubDataUnavailable(f"{suite}: {where} {state} and {down}: offline?")
    from inspect_ai.util import download  # inspect's checksum-verified, atomic download

    try:
        download(url, sha256, dest, timeout=30.0)
    except Exception as exc:
        raise HubDataUnavailable(f"{suite}: download of {url} failed: {_first_line(exc)}") from None


def docker_problem(timeout_s: float = DOCKER_TIMEOUT_S) -> str | None:
    """None when a docker engine answers (`docker info`), else one line saying why not."""
    exe = shutil.which("docker")
    if exe is None:
        return "needs a docker engine (the docker command is not installed)"
    try:
        done = subprocess.run(
            [exe, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"needs a docker engine (docker info: {type(exc).__name__})"
    if done.returncode != 0 or not done.stdout.strip():
        detail = (done.stderr or done.stdout).strip().splitlines()
        return "needs a running docker engine" + (f" ({detail[-1][:160]})" if detail else "")
    return None


def ensure_docker(suite: str) -> None:
    problem = docker_problem()
    if problem is not None:
        raise HubDataUnavailable(f"{suite}: {problem}; inspect_evals runs it in docker sandboxes")
