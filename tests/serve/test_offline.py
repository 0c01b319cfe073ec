"""Offline tiktoken: vocabularies converted from quicktok-v1, used with the network blocked."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.offline import ensure_tiktoken_offline, offline_env, tiktoken_cache_name

_URLS = [
    "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
]


def test_files_named_as_tiktoken_expects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    target = ensure_tiktoken_offline(tmp_path)
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(target)
    for url in _URLS:
        path = target / tiktoken_cache_name(url)
        assert path.is_file()
        first = path.read_bytes().splitlines()[0]
        assert first == b"IQ== 0"  # base64("!") rank 0, as in tiktoken's own files


def test_second_call_keeps_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    target = ensure_tiktoken_offline(tmp_path)
    mtimes = {p.name: p.stat().st_mtime_ns for p in target.iterdir()}
    assert ensure_tiktoken_offline(tmp_path) == target
    assert {p.name: p.stat().st_mtime_ns for p in target.iterdir()} == mtimes


def test_corrupt_file_is_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    target = ensure_tiktoken_offline(tmp_path)
    path = target / tiktoken_cache_name(_URLS[0])
    path.write_bytes(b"garbage")
    ensure_tiktoken_offline(tmp_path)
    assert path.read_bytes().startswith(b"IQ== 0\n")


# Runs in a fresh interpreter: every socket connection raises, so any download attempt fails.
_CHECK = textwrap.dedent(
    """
    import socket, sys
    from pathlib import Path

    def no_network(*args, **kwargs):
        raise OSError("network disabled in this test")

    socket.socket.connect = no_network
    socket.create_connection = no_network

    from harness.offline import ensure_tiktoken_offline
    ensure_tiktoken_offline(Path(sys.argv[1]))

    import quicktok, tiktoken
    texts = [
        "Hello, world! The quick brown fox jumps over the lazy dog.",
        "def f(x):\\n    return x ** 2  # squares\\n",
        "Ünïcödé — 日本語のテキスト, emoji 🎉 and numbers 1234567.",
        "   leading spaces and\\ttabs\\n\\n\\nnewlines",
    ]
    for name in ("o200k_base", "cl100k_base"):
        enc, ref = tiktoken.get_encoding(name), quicktok.get_encoding(name)
        for t in texts:
            ids = enc.encode(t)
            assert ids == list(ref.encode(t)), (name, t)
            assert enc.decode(ids) == t
    assert len(tiktoken.get_encoding("o200k_base").encode("hello world")) == 2
    assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    print("ok")
    """
)


def test_tiktoken_encodes_like_quicktok_with_network_blocked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"}
    env["GAPBENCH_CACHE_DIR"] = str(tmp_path)
    out = subprocess.run(
        [sys.executable, "-c", _CHECK, str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_offline_env_turns_off_hub_access() -> None:
    env = offline_env()
    assert env["HF_HUB_OFFLINE"] == "1"
    assert env["HF_DATASETS_OFFLINE"] == "1"
    assert env["TRANSFORMERS_OFFLINE"] == "1"
    assert all(isinstance(v, str) for v in env.values())
