"""Fixtures for the fidelity slices (issue 21): gapbench's scores against the official
evaluators', which live in .venv-fidelity (bench/fidelity/env.sh; `./run tests` makes it).

`fidelity_python`: that environment's python. Missing or out of date, the test is skipped
with the command that makes it, except under CI (CI=true), where that is a failure: CI must
really run the official evaluators.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.fidelity.official_env import FidelityEnvMissing
from bench.fidelity.official_env import fidelity_python as _fidelity_python


@pytest.fixture(scope="session")
def fidelity_python() -> Path:
    try:
        return _fidelity_python()
    except FidelityEnvMissing as exc:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
