"""A user's own stock llama-cpp-python server on agentic suites is warned about; gapbench's
fixed server is startable by hand (`gapbench serve`) and is told apart from a stock one."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from harness import api, exitcodes
from harness.models import Deployment, ModelCard
from harness.serve.llama_server import FIXES_PATH
from harness.sweep.preflight import stock_llama_cpp_warning
from tests.cli.conftest import Ran

CARD = ModelCard(
    id="mine",
    name="mine",
    organisation="me",
    access="open",
    release_date=date(2025, 1, 1),
    licence="x",
    source="x",
)


@contextmanager
def fake_openai_server(owned_by: str, fixed: bool) -> Iterator[str]:
    """A minimal OpenAI-style model listing, like llama-cpp-python's (owned_by "me")."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/v1/models":
                body = {"object": "list", "data": [{"id": "m", "owned_by": owned_by}]}
            elif self.path == FIXES_PATH and fixed:
                body = {"max_tokens_budget": True}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def deployment(url: str, provider: str = "openai-compatible") -> Deployment:
    return Deployment(id="mine@url", model="mine", provider=provider, base_url=url, api_model="m")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("owned_by", "fixed", "provider", "warned"),
    [
        ("me", False, "openai-compatible", True),  # stock llama-cpp-python
        ("me", True, "openai-compatible", False),  # gapbench's wrapper
        ("vllm", False, "openai-compatible", False),  # another server: not ours to judge
        ("vllm", False, "llama-cpp", True),  # the deployment says llama-cpp
    ],
)
def test_stock_llama_cpp_server_is_told_apart(
    owned_by: str, fixed: bool, provider: str, warned: bool
) -> None:
    with fake_openai_server(owned_by, fixed) as url:
        line = stock_llama_cpp_warning(CARD, deployment(url, provider))
    assert (line is not None) == warned
    if line:
        assert "gapbench serve" in line and "max_tokens" in line


def test_dry_run_warns_for_agentic_suites_only(
    tmp_path: Path, gapbench: Callable[..., Ran]
) -> None:
    with fake_openai_server("me", fixed=False) as url:
        base = ["run", "--model", url, "--api-model", "m", "--access", "open"]
        base += ["--release-date", "2025-01-01", "--dry-run", "--results-dir", str(tmp_path)]
        agentic = gapbench(*base, "--suite", "ladder_agentic")
        standard = gapbench(*base, "--suite", "ladder_standard")
    assert agentic.code == standard.code == exitcodes.OK, agentic.err + standard.err
    assert "WARN warning: m at" in agentic.out and "stock llama-cpp-python" in agentic.out
    assert "WARN" not in standard.out


def test_serve_prints_the_fixed_server_command(gapbench: Callable[..., Ran]) -> None:
    ran = gapbench("serve", "smollm2-135m-instruct", "--port", "8099", "--print-command")
    assert ran.code == 0, ran.err
    assert "-m harness.serve.llama_server" in ran.out
    assert "--chat_format chatml-function-calling" in ran.out and "--port 8099" in ran.out
    assert ".gguf" in ran.out
    ran = gapbench("serve", "gpt-5", "--print-command")
    assert ran.code == exitcodes.USAGE and "no llama-cpp deployment" in ran.err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def started(cmd: list[str], url: str) -> Iterator[None]:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert proc.poll() is None, "server exited"
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_gapbench_serve_is_the_fixed_server_and_a_stock_one_is_warned() -> None:
    """Real servers: `gapbench serve` answers the fixes route; stock llama_cpp.server does not."""
    cmd, alias = api.serve_command("smollm2-135m-instruct", port=_free_port())
    port = cmd[cmd.index("--port") + 1]
    url = f"http://127.0.0.1:{port}/v1"
    with started(
        [sys.executable, "-m", "harness.cli", "serve", "smollm2-135m-instruct", "--port", port], url
    ):
        assert httpx.get(f"http://127.0.0.1:{port}{FIXES_PATH}").json()["max_tokens_budget"]
        assert stock_llama_cpp_warning(CARD, deployment(url)) is None
    gguf = cmd[cmd.index("--model") + 1]
    port2 = str(_free_port())
    stock = [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--port", port2]
    url2 = f"http://127.0.0.1:{port2}/v1"
    with started([*stock, "--n_ctx", "512", "--chat_format", "chatml-function-calling"], url2):
        assert stock_llama_cpp_warning(CARD, deployment(url2)) is not None
    assert alias == "smollm2-135m-instruct"
