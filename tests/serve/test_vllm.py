"""vLLM: the command line (checked here), missing install and offline weights as one line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import OfflineError, ServeError, UserError
from harness.models import Deployment, ModelCard
from harness.serve import serving
from harness.serve.vllm import vllm_command, vllm_model_arg

_CARD = ModelCard.model_validate(
    {
        "id": "gpt-oss-120b",
        "name": "gpt-oss-120b",
        "organisation": "OpenAI",
        "access": "open",
        "release_date": "2025-08-05",
        "licence": "Apache-2.0",
        "source": "https://huggingface.co/openai/gpt-oss-120b",
    }
)


def _dep(**kw: Any) -> Deployment:
    base: dict[str, Any] = {
        "id": "gpt-oss-120b@vllm",
        "model": "gpt-oss-120b",
        "provider": "vllm",
        "weights": {"hf_repo": "openai/gpt-oss-120b", "file": "*.safetensors"},
        "server_flags": {"tool-call-parser": "openai", "tensor_parallel_size": 2},
    }
    base.update(kw)
    return Deployment.model_validate(base)


def test_command_line() -> None:
    cmd = vllm_command(
        _dep(
            context_length=32768,
            server_flags={
                "tool-call-parser": "openai",
                "tensor_parallel_size": 2,
                "enforce-eager": True,
                "trust-remote-code": False,
            },
        ),
        "/snap/gpt-oss",
        port=40001,
        served_name="gpt-oss-120b",
    )
    assert cmd[:3] == ["vllm", "serve", "/snap/gpt-oss"]
    joined = " ".join(cmd)
    assert "--host 127.0.0.1 --port 40001" in joined
    assert "--served-model-name gpt-oss-120b" in joined
    assert "--tool-call-parser openai" in joined
    assert "--enable-auto-tool-choice" in cmd  # vLLM refuses tool calls without it
    assert "--tensor-parallel-size 2" in joined  # '_' becomes '-'
    assert "--max-model-len 32768" in joined
    assert "--enforce-eager" in cmd
    assert "--trust-remote-code" not in cmd  # False: left out


def test_no_tool_parser_no_auto_tool_choice() -> None:
    cmd = vllm_command(_dep(server_flags={}), "m", port=1, served_name="m")
    assert "--enable-auto-tool-choice" not in cmd
    assert "--tool-call-parser" not in cmd


def test_reserved_flag_is_user_error() -> None:
    with pytest.raises(UserError, match=r"server_flags\.port"):
        vllm_command(_dep(server_flags={"port": 9}), "m", port=1, served_name="m")


def test_missing_vllm_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.serve.vllm.vllm_executable", lambda: None)
    with (
        pytest.raises(ServeError) as err,
        serving(_dep(), _CARD, log_dir=tmp_path, cache_dir=tmp_path),
    ):
        pass
    assert "vLLM is not installed" in str(err.value) and "\n" not in str(err.value)


def test_model_arg_offline_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(OfflineError, match="openai/gpt-oss-120b"):
        vllm_model_arg(_dep())


def test_model_arg_online_not_cached_lets_vllm_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("GAPBENCH_OFFLINE", raising=False)
    assert vllm_model_arg(_dep()) == ("openai/gpt-oss-120b", None)


def test_model_arg_local_path(tmp_path: Path) -> None:
    assert vllm_model_arg(_dep(weights={"path": str(tmp_path)})) == (str(tmp_path), tmp_path)
