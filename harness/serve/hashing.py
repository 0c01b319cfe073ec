"""sha256 of model weights, computed once per file version and cached on disk.

Hashing a multi-GB GGUF takes a while, so the digest is cached in `cache_dir`/weights-sha256.json
keyed by (resolved path, size, mtime): a changed file gets a new key and is hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

_CACHE_FILE = "weights-sha256.json"


def _key(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _load(cache: Path) -> dict[str, str]:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # missing or corrupt: recompute (it is only a cache)
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _hf_blob_sha256(path: Path) -> str:
    """The Hugging Face cache names LFS blobs by their sha256 (snapshots/<rev>/<file> is a
    symlink to blobs/<sha256>): for such files the digest is known without reading them."""
    if not path.is_symlink():
        return ""
    target = path.resolve()
    name = target.name
    if (
        target.parent.name == "blobs"
        and len(name) == 64
        and all(c in "0123456789abcdef" for c in name)
    ):
        return name
    return ""


def weights_sha256(path: Path, cache_dir: Path) -> str:
    """sha256 of a weights file (cached), or of a directory's files in name order.

    For a directory (an HF snapshot), the digest is over "relative-path sha256" lines of its
    weight-like files, so it changes when any of them does.
    """
    if path.is_dir():
        lines = []
        for f in sorted(p for p in path.rglob("*") if p.is_file()):
            if f.suffix in (".safetensors", ".bin", ".gguf", ".pt", ".pth"):
                lines.append(f"{f.relative_to(path)} {weights_sha256(f, cache_dir)}\n")
        return hashlib.sha256("".join(lines).encode()).hexdigest()
    blob = _hf_blob_sha256(path)
    if blob:
        return blob
    cache = cache_dir / _CACHE_FILE
    key = _key(path)
    known = _load(cache)
    if key in known:
        return known[key]
    digest = sha256_file(path)
    known = _load(cache)  # re-read: another process may have added entries meanwhile
    known[key] = digest
    with contextlib.suppress(OSError):  # an unwritable cache costs time, not correctness
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(known, indent=0, sort_keys=True), encoding="utf-8")
        tmp.replace(cache)
    return digest
