"""The managed llama.cpp server for real (SmolLM2-135M): requests, tools, and no orphans."""

from __future__ import annotations

import contextlib
import hashlib
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openai
import psutil
import pytest
from openai.types.chat import ChatCompletionToolParam

from harness._types import Endpoint
from harness.config import load_settings
from harness.errors import ServeError
from harness.models import Deployment, ModelCard, load_registry
from harness.models.deployments import LocalWeights
from harness.serve import serving
from harness.serve.process import http_ok
from harness.serve.weights import resolve_weights

pytestmark = pytest.mark.slow

_TOOLS: list[ChatCompletionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the current weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def _client(ep: Endpoint) -> openai.OpenAI:
    return openai.OpenAI(base_url=ep.base_url, api_key="none", timeout=ep.timeout_s, max_retries=0)


def _server_pids(parent: psutil.Process) -> list[int]:
    pids = []
    for p in parent.children(recursive=True):
        # A child another test has not reaped yet is a zombie: it has no command line.
        with contextlib.suppress(psutil.Error):
            if "harness.serve.llama_server" in " ".join(p.cmdline()):
                pids.append(p.pid)
    return pids


def _gone(pid: int, within_s: float = 20.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False


def test_chat_completion(smollm2_endpoint: Endpoint) -> None:
    resp = _client(smollm2_endpoint).chat.completions.create(
        model=smollm2_endpoint.model_name,
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=8,
        temperature=0,
    )
    assert resp.choices[0].message.content
    assert resp.usage is not None and 0 < resp.usage.completion_tokens <= 8


def test_tool_call(smollm2_endpoint: Endpoint) -> None:
    resp = _client(smollm2_endpoint).chat.completions.create(
        model=smollm2_endpoint.model_name,
        messages=[{"role": "user", "content": "What is the weather in Paris? Use the tool."}],
        tools=_TOOLS,
        tool_choice="auto",
        max_tokens=24,
        temperature=0,
    )
    msg = resp.choices[0].message
    # A 135M model may answer in text instead; either way the response must be well formed.
    if msg.tool_calls:
        assert resp.choices[0].finish_reason == "tool_calls"
        call = msg.tool_calls[0]
        assert call.type == "function" and call.function.name == "get_weather"
    else:
        assert msg.content


def test_max_tokens_honoured_inside_tool_calls(smollm2_endpoint: Endpoint) -> None:
    # Upstream chatml-function-calling would generate tool arguments until n_ctx.
    resp = _client(smollm2_endpoint).chat.completions.create(
        model=smollm2_endpoint.model_name,
        messages=[{"role": "user", "content": "Write a very long essay about the weather."}],
        tools=_TOOLS,
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        max_tokens=5,
        temperature=0,
    )
    assert resp.usage is not None and resp.usage.completion_tokens <= 5


def test_facts_recorded(smollm2_endpoint: Endpoint) -> None:
    settings = load_settings()
    _, dep = load_registry(settings.registry_path).resolve("smollm2-135m-instruct@llama-cpp")
    gguf = resolve_weights(dep).path
    facts = smollm2_endpoint.facts
    assert facts.model_sha256 == hashlib.sha256(gguf.read_bytes()).hexdigest()
    assert facts.server == "llama-cpp-python" and facts.server_version
    assert len(facts.chat_template_hash) == 64
    assert facts.quantization == "Q4_1"
    assert facts.tool_call_format == "chatml-function-calling"
    assert facts.context_length == 8192
    assert smollm2_endpoint.base_url is not None
    assert smollm2_endpoint.base_url.startswith("http://127.0.0.1:")


def _small_deployment() -> tuple[ModelCard, Deployment]:
    settings = load_settings()
    card, dep = load_registry(settings.registry_path).resolve("smollm2-135m-instruct@llama-cpp")
    # A small context keeps these extra servers cheap.
    return card, dep.model_copy(update={"context_length": 512})


def test_server_stopped_on_exit_and_on_error(tmp_path: Path) -> None:
    card, dep = _small_deployment()
    me = psutil.Process()
    before = set(_server_pids(me))  # the session fixture's server may be running
    for fail in (False, True):
        expect = pytest.raises(RuntimeError) if fail else contextlib.nullcontext()
        with expect, serving(dep, card, log_dir=tmp_path, cache_dir=tmp_path) as ep:
            pids = [p for p in _server_pids(me) if p not in before]
            assert len(pids) == 1
            assert http_ok(f"{ep.base_url}/models")
            if fail:
                raise RuntimeError("boom")
        assert _gone(pids[0])
        assert not http_ok(f"{ep.base_url}/models")
    logs = list(tmp_path.glob("smollm2-135m-instruct@llama-cpp-*.log"))
    assert len(logs) == 2 and all(log.stat().st_size > 0 for log in logs)


def test_bad_weights_fail_with_log_tail(tmp_path: Path) -> None:
    card, dep = _small_deployment()
    before = set(_server_pids(psutil.Process()))
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"definitely not a model")
    bad = dep.model_copy(update={"weights": LocalWeights(path=str(junk), quantization="Q4_1")})
    with (
        pytest.raises(ServeError) as err,
        serving(bad, card, log_dir=tmp_path, cache_dir=tmp_path, start_timeout_s=120),
    ):
        pass
    msg = str(err.value)
    assert "\n" not in msg and "exited with code" in msg and str(tmp_path) in msg
    assert set(_server_pids(psutil.Process())) <= before


_PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from harness.config import load_settings
    from harness.models import load_registry
    from harness.serve import serving
    card, dep = load_registry(load_settings().registry_path).resolve(
        "smollm2-135m-instruct@llama-cpp")
    dep = dep.model_copy(update={"context_length": 512})
    with serving(dep, card, log_dir=Path(sys.argv[1]), cache_dir=Path(sys.argv[1])) as ep:
        print(ep.base_url, flush=True)
        time.sleep(600)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_no_orphan_when_parent_killed_or_interrupted(tmp_path: Path, sig: int) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        base_url = parent.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:"), "server did not start"
        pids = _server_pids(psutil.Process(parent.pid))
        assert len(pids) == 1
        parent.send_signal(sig)
        parent.wait(timeout=60)
        assert _gone(pids[0]), f"llama.cpp server outlived its parent ({signal.Signals(sig).name})"
        assert not http_ok(f"{base_url}/models")
    finally:
        if parent.poll() is None:
            parent.kill()
