"""A managed vLLM server (GPU): `vllm serve MODEL --host 127.0.0.1 --port N ...`.

Server flags map to vLLM's CLI: `{tool-call-parser: hermes, tensor-parallel-size: 2}` becomes
`--tool-call-parser hermes --tensor-parallel-size 2` ('_' in names is accepted as '-');
True gives a bare flag, False leaves it out. A tool-call parser implies
--enable-auto-tool-choice (vLLM refuses tools without it). context_length -> --max-model-len.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from harness._types import DeploymentFacts, Endpoint
from harness.errors import OfflineError, ServeError, UserError
from harness.models import Deployment, ModelCard
from harness.offline import is_offline, offline_env
from harness.serve.hashing import weights_sha256
from harness.serve.process import (
    free_port,
    local_endpoint,
    start_process,
    stop_process,
    wait_healthy,
)
from harness.serve.weights import cached_snapshot, resolve_weights

HOST = "127.0.0.1"
_RESERVED = {"host", "port", "model", "served-model-name"}


def vllm_executable() -> str | None:
    """The `vllm` console script: beside this interpreter first (a venv), else on PATH."""
    beside = Path(sys.executable).parent / "vllm"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("vllm")


def vllm_version() -> str:
    try:
        return version("vllm")
    except PackageNotFoundError:
        return ""


def vllm_model_arg(deployment: Deployment) -> tuple[str, Path | None]:
    """What to pass as vLLM's MODEL, and the local directory when there is one.

    A path is used as is. A Hub repo is taken from the local cache when it is there; else,
    online, vLLM is given the repo id and downloads it itself (all the files it needs, not
    just the weights); offline and not cached: OfflineError.
    """
    w = deployment.weights
    if w is None:
        raise ServeError(f"deployment {deployment.id}: no weights given")
    if w.hf_repo is not None:
        assert w.file is not None
        local = cached_snapshot(w.hf_repo, w.file)
        if local is not None:
            return str(local), local
        if is_offline():
            raise OfflineError(
                f"deployment {deployment.id}: {w.hf_repo} is not in the local Hugging Face "
                "cache and offline mode is on (HF_HUB_OFFLINE); download it once while online"
            )
        return w.hf_repo, None
    resolved = resolve_weights(deployment, want="dir")
    return str(resolved.path), resolved.path


def vllm_command(
    deployment: Deployment, model: str, *, port: int, served_name: str, executable: str = "vllm"
) -> list[str]:
    cmd = [executable, "serve", model, "--host", HOST, "--port", str(port)]
    cmd += ["--served-model-name", served_name]
    flags: dict[str, str | int | float | bool] = {}
    for raw, value in deployment.server_flags.items():
        name = raw.lstrip("-").replace("_", "-")
        if name in _RESERVED:
            raise UserError(
                f"deployment {deployment.id}: server_flags.{raw} is set by gapbench and cannot be given"
            )
        flags[name] = value
    if "tool-call-parser" in flags:
        flags.setdefault("enable-auto-tool-choice", True)
    if deployment.context_length and "max-model-len" not in flags:
        flags["max-model-len"] = deployment.context_length
    for name, value in flags.items():
        if value is True:
            cmd.append(f"--{name}")
        elif value is not False:
            cmd += [f"--{name}", str(value)]
    return cmd


def tool_call_parser(deployment: Deployment) -> str | None:
    for raw, value in deployment.server_flags.items():
        if raw.lstrip("-").replace("_", "-") == "tool-call-parser":
            return str(value)
    return None


@contextlib.contextmanager
def vllm_server(
    deployment: Deployment,
    card: ModelCard,
    *,
    log_dir: Path,
    cache_dir: Path,
    start_timeout_s: float = 1200.0,
) -> Iterator[Endpoint]:
    exe = vllm_executable()
    if exe is None:
        raise ServeError(
            f"deployment {deployment.id}: vLLM is not installed here (pip install vllm, on a "
            "machine with a GPU), or give the deployment a base_url of a running server"
        )
    model, local = vllm_model_arg(deployment)
    served_name = deployment.api_model or card.id
    port = free_port(HOST)
    log_path = log_dir / f"{deployment.id.replace('/', '_')}-{port}.log"
    cmd = vllm_command(deployment, model, port=port, served_name=served_name, executable=exe)
    env = dict(os.environ)
    if is_offline():
        env.update(offline_env())
    with ThreadPoolExecutor(max_workers=1) as pool:
        proc = start_process(cmd, log_path=log_path, env=env)
        # Hash the weights while vLLM loads them (fork first: no thread is running then).
        sha = pool.submit(weights_sha256, local, cache_dir) if local is not None else None
        try:
            wait_healthy(
                proc,
                f"http://{HOST}:{port}/v1/models",
                deadline_s=start_timeout_s,
                log_path=log_path,
                what=f"vLLM server for {deployment.id}",
            )
            facts = DeploymentFacts(
                deployment_id=deployment.id,
                provider="vllm",
                server="vllm",
                server_version=vllm_version(),
                quantization=deployment.weights.quantization if deployment.weights else "",
                model_sha256=sha.result() if sha is not None else "",
                tool_call_format=deployment.tool_call_format,
                context_length=deployment.context_length,
            )
            yield local_endpoint(deployment, served_name, HOST, port, facts)
        finally:
            stop_process(proc, grace_s=15.0)
