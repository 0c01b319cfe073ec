"""The llama.cpp server command line and the in-child patches (no server started here)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from harness.errors import UserError
from harness.models import Deployment
from harness.serve.llama import DEFAULT_N_CTX, llama_cpp_command, server_args
from harness.serve.llama_server import BudgetedLlama, budgeted_handler, take_extra_bufts_flag


def _dep(**kw: Any) -> Deployment:
    base: dict[str, Any] = {
        "id": "m@llama-cpp",
        "model": "m",
        "provider": "llama-cpp",
        "weights": {"path": "/models/m.gguf"},
    }
    base.update(kw)
    return Deployment.model_validate(base)


def _opts(cmd: list[str]) -> dict[str, str]:
    flags = cmd[cmd.index("harness.serve.llama_server") + 1 :]
    return dict(zip(flags[::2], flags[1::2], strict=True))


def test_command_binds_loopback_port_and_alias() -> None:
    cmd = llama_cpp_command(_dep(), Path("/models/m.gguf"), port=40123, model_alias="m")
    assert cmd[:3] == [sys.executable, "-m", "harness.serve.llama_server"]
    opts = _opts(cmd)
    assert opts["--model"] == "/models/m.gguf"
    assert opts["--host"] == "127.0.0.1"
    assert opts["--port"] == "40123"
    assert opts["--model_alias"] == "m"


def test_tool_call_format_selects_chat_format() -> None:
    assert server_args(_dep(tool_call_format="chatml-function-calling"))["chat_format"] == (
        "chatml-function-calling"
    )
    assert "chat_format" not in server_args(_dep(tool_call_format="native"))


def test_context_length_sets_n_ctx_with_modest_default() -> None:
    assert server_args(_dep(context_length=8192))["n_ctx"] == "8192"
    assert server_args(_dep())["n_ctx"] == str(DEFAULT_N_CTX)
    # An explicit server flag wins over context_length.
    assert server_args(_dep(context_length=8192, server_flags={"n_ctx": 2048}))["n_ctx"] == "2048"


def test_server_flags_map_to_underscore_options_and_bool_values() -> None:
    args = server_args(
        _dep(server_flags={"n_threads": 2, "n-batch": 256, "flash_attn": True, "--use_mmap": False})
    )
    assert args["n_threads"] == "2"
    assert args["n_batch"] == "256"
    # llama-cpp-python parses booleans from a value, not from a bare flag.
    assert args["flash_attn"] == "true"
    assert args["use_mmap"] == "false"


@pytest.mark.parametrize("flag", ["port", "host", "model", "model-alias"])
def test_reserved_flags_are_one_line_user_errors(flag: str) -> None:
    with pytest.raises(UserError) as err:
        server_args(_dep(server_flags={flag: "x"}))
    assert "\n" not in str(err.value)
    assert "m@llama-cpp" in str(err.value) and flag in str(err.value)


def test_registry_default_command(tmp_path: Path) -> None:
    from harness.config import load_settings
    from harness.models import load_registry

    card, dep = load_registry(load_settings().registry_path).resolve("smollm2-135m-instruct")
    opts = _opts(llama_cpp_command(dep, Path("/w.gguf"), port=1, model_alias=card.id))
    assert opts["--chat_format"] == "chatml-function-calling"
    assert opts["--n_ctx"] == "8192"


def test_extra_bufts_flag_is_consumed_and_defaults_off() -> None:
    assert take_extra_bufts_flag(["--model", "m", "--n_ctx", "8"]) == (
        ["--model", "m", "--n_ctx", "8"],
        False,
    )
    assert take_extra_bufts_flag(["--use_extra_bufts", "true", "--port", "1"]) == (
        ["--port", "1"],
        True,
    )
    assert take_extra_bufts_flag(["--use_extra_bufts=false"]) == ([], False)


class _FakeLlama:
    """Records create_completion calls; answers with `n` completion tokens (or the cap)."""

    verbose = False

    def __init__(self, tokens_per_call: int = 1000) -> None:
        self.calls: list[dict[str, Any]] = []
        self.tokens = tokens_per_call

    def create_completion(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        cap = kwargs.get("max_tokens")
        used = self.tokens if cap is None or cap <= 0 else min(cap, self.tokens)
        return {"choices": [{"text": "x"}], "usage": {"completion_tokens": used}}


def test_budget_is_shared_by_sub_completions() -> None:
    # Upstream's chatml-function-calling passes max_tokens=None to its sub-completions.
    llama = _FakeLlama(tokens_per_call=30)
    budgeted = BudgetedLlama(llama, 50)
    budgeted.create_completion(prompt="p", max_tokens=None)
    budgeted.create_completion(prompt="p", max_tokens=None)
    budgeted.create_completion(prompt="p", max_tokens=None)
    assert [c["max_tokens"] for c in llama.calls] == [50, 20, 1]
    assert budgeted.left == 0


def test_budget_leaves_grammar_bound_choice_alone() -> None:
    llama = _FakeLlama(tokens_per_call=3)
    budgeted = BudgetedLlama(llama, 10)
    budgeted.create_completion(prompt="p", stop=[":"], grammar=object(), max_tokens=None)
    assert llama.calls[0]["max_tokens"] is None
    assert budgeted.left == 10
    assert budgeted.verbose is False  # other attributes pass through


def test_budgeted_handler_wraps_only_when_max_tokens_given() -> None:
    seen: list[Any] = []

    def handler(llama: Any, **kwargs: Any) -> str:
        seen.append(llama)
        llama.create_completion(prompt="p", max_tokens=None)
        return "ok"

    wrapped = budgeted_handler(handler)
    llama = _FakeLlama()
    assert wrapped(llama=llama, messages=[], max_tokens=7) == "ok"
    assert isinstance(seen[-1], BudgetedLlama)
    assert llama.calls[-1]["max_tokens"] == 7
    assert wrapped(llama=llama, messages=[], max_tokens=None) == "ok"
    assert seen[-1] is llama
    assert llama.calls[-1]["max_tokens"] is None


def test_child_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from harness.serve.llama import _child_env

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    env = _child_env()
    assert env["GAPBENCH_PARENT_PID"] == str(os.getpid())  # the child's watchdog checks it
    assert env["OMP_WAIT_POLICY"] == "PASSIVE"  # no spinning threads on a shared CPU
    assert env["HF_HUB_OFFLINE"] == "1"  # the server never needs the network
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert _child_env()["OMP_WAIT_POLICY"] == "ACTIVE"  # the user's choice wins
