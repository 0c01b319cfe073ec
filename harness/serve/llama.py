"""A managed llama-cpp-python server for GGUF deployments (CPU).

The command is `python -m harness.serve.llama_server` (llama-cpp-python's server plus the
max_tokens fix for chatml-function-calling, see llama_server.py), bound to a free port on
127.0.0.1, logging to `<log_dir>/<deployment-id>-<port>.log`.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from harness._types import DeploymentFacts, Endpoint
from harness.errors import ServeError, UserError
from harness.models import Deployment, ModelCard
from harness.offline import offline_env
from harness.serve.gguf import chat_template_hash
from harness.serve.hashing import weights_sha256
from harness.serve.process import (
    free_port,
    local_endpoint,
    log_tail,
    start_process,
    stop_process,
    wait_healthy,
)
from harness.serve.weights import resolve_weights

HOST = "127.0.0.1"
# n_ctx when a deployment gives no context_length: modest on purpose, because every turn that
# runs away (see llama_server.py) can at worst fill the context, and the KV cache costs memory.
DEFAULT_N_CTX = 4096
# Flags gapbench sets itself; a deployment may not override them.
_RESERVED = {"model", "host", "port", "model_alias"}
_PORT_TRIES = 3


def _flag_value(value: str | int | float | bool) -> str:
    # llama-cpp-python's CLI parses booleans from a value ("--flash_attn true"), not bare flags.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def server_args(deployment: Deployment) -> dict[str, str]:
    """Server flags (without model/host/port) as llama-cpp-python option -> value.

    Names may be written with '-' or '_' in models.yaml; llama-cpp-python uses '_'.
    """
    args: dict[str, str] = {"n_ctx": str(deployment.context_length or DEFAULT_N_CTX)}
    if deployment.tool_call_format == "chatml-function-calling":
        args["chat_format"] = "chatml-function-calling"
    for raw, value in deployment.server_flags.items():
        name = raw.lstrip("-").replace("-", "_")
        if name in _RESERVED:
            raise UserError(
                f"deployment {deployment.id}: server_flags.{raw} is set by gapbench and cannot be given"
            )
        args[name] = _flag_value(value)
    return args


def llama_cpp_command(
    deployment: Deployment, model_path: Path, *, port: int, model_alias: str
) -> list[str]:
    cmd = [sys.executable, "-m", "harness.serve.llama_server", "--model", str(model_path)]
    cmd += ["--model_alias", model_alias, "--host", HOST, "--port", str(port)]
    for name, value in server_args(deployment).items():
        cmd += [f"--{name}", value]
    return cmd


def llama_cpp_version() -> str:
    try:
        return version("llama-cpp-python")
    except PackageNotFoundError:
        return ""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(offline_env())  # the server needs no network; make sure it never tries
    env["GAPBENCH_PARENT_PID"] = str(os.getpid())
    env.setdefault("PYTHONUNBUFFERED", "1")
    # ggml's OpenMP threads spin while waiting by default. When the CPU is shared (other
    # servers, the engines, CI neighbours) spinning threads starve each other: measured on
    # 2 busy cores, 2 threads generated 0.5 tokens/s spinning vs 12 tokens/s passive.
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return env


@contextlib.contextmanager
def llama_cpp_server(
    deployment: Deployment,
    card: ModelCard,
    *,
    log_dir: Path,
    cache_dir: Path,
    start_timeout_s: float = 180.0,
) -> Iterator[Endpoint]:
    if not llama_cpp_version():
        raise ServeError(
            f"deployment {deployment.id}: llama-cpp-python is not installed "
            "(pip install 'llama-cpp-python[server]')"
        )
    weights = resolve_weights(deployment, want="file")
    model_alias = deployment.api_model or card.id
    n_ctx = int(server_args(deployment)["n_ctx"])
    what = f"llama.cpp server for {deployment.id}"
    safe_id = deployment.id.replace("/", "_")

    with ThreadPoolExecutor(max_workers=1) as pool:
        sha: Future[str] | None = None
        for attempt in range(_PORT_TRIES):
            port = free_port(HOST)
            log_path = log_dir / f"{safe_id}-{port}.log"
            cmd = llama_cpp_command(deployment, weights.path, port=port, model_alias=model_alias)
            proc = start_process(cmd, log_path=log_path, env=_child_env())
            if sha is None:  # hash the weights while the server loads them (cached later)
                sha = pool.submit(weights_sha256, weights.path, cache_dir)
            try:
                wait_healthy(
                    proc,
                    f"http://{HOST}:{port}/v1/models",
                    deadline_s=start_timeout_s,
                    log_path=log_path,
                    what=what,
                )
            except ServeError:
                stop_process(proc)
                # Another process may have taken the port between our check and the bind.
                if (
                    attempt + 1 < _PORT_TRIES
                    and "address already in use" in log_tail(log_path).lower()
                ):
                    continue
                raise
            except BaseException:
                stop_process(proc)
                raise
            break
        try:
            facts = DeploymentFacts(
                deployment_id=deployment.id,
                provider="llama-cpp",
                server="llama-cpp-python",
                server_version=llama_cpp_version(),
                quantization=deployment.weights.quantization if deployment.weights else "",
                model_sha256=sha.result() if sha is not None else "",
                chat_template_hash=chat_template_hash(weights.path),
                tool_call_format=deployment.tool_call_format,
                context_length=n_ctx,
            )
            yield local_endpoint(deployment, model_alias, HOST, port, facts)
        finally:
            stop_process(proc)
