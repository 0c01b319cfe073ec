"""Running an official evaluator in the fidelity environment (.venv-fidelity, made by
bench/fidelity/env.sh from bench/fidelity/requirements*.txt).

An official scorer is a script run by that environment's python: it reads one JSON document
on stdin and writes one JSON document on stdout, so gapbench's environment and the official
packages' (which pin other numpy, pydantic, ... versions) never share an interpreter.

    from bench.fidelity.official_env import run_official
    scores = run_official(Path(__file__).with_name("bfcl_official.py"), {"items": [...]})
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENV_SH = ROOT / "bench" / "fidelity" / "env.sh"


class FidelityEnvMissing(RuntimeError):
    """The official evaluators' environment is not made (or is out of date)."""


def venv_dir() -> Path:
    return Path(os.environ.get("GAPBENCH_FIDELITY_VENV", ROOT / ".venv-fidelity"))


def fidelity_python(*, make: bool = False) -> Path:
    """The environment's python. make=True runs env.sh first (idempotent; installs when the
    requirements changed); otherwise a missing or stale environment raises FidelityEnvMissing."""
    if make:
        out = subprocess.run(
            ["bash", str(ENV_SH)], check=True, capture_output=True, text=True
        ).stdout.strip()
        return Path(out.splitlines()[-1])
    check = subprocess.run(["bash", str(ENV_SH), "--check"], capture_output=True)
    python = venv_dir() / "bin" / "python"
    if check.returncode != 0 or not python.exists():
        raise FidelityEnvMissing(
            f"{venv_dir()} is missing or out of date: run bash bench/fidelity/env.sh "
            "(./run tests does it)"
        )
    return python


def run_official(script: Path, payload: Any, *, make: bool = False, timeout_s: float = 1800) -> Any:
    """Run `script` under the fidelity python with `payload` as JSON on stdin; return the
    JSON it prints. Its stderr is passed through on failure, in the exception."""
    python = fidelity_python(make=make)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # -I: the script's folder (bench/fidelity, with modules named like the official
    # packages' topics) is not put on sys.path, nor is anything from the caller's environment;
    # a scratch working directory takes whatever files an evaluator writes.
    with tempfile.TemporaryDirectory(prefix="fidelity-") as scratch:
        proc = subprocess.run(
            [str(python), "-I", str(script)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout_s,
            cwd=scratch,
        )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{script.name} failed (exit {proc.returncode}) in {python}:\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout)


if __name__ == "__main__":  # pragma: no cover - a convenience: print the python path
    print(fidelity_python(make="--make" in sys.argv))
