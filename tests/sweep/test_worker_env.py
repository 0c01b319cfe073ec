"""A sweep's worker is forked from a server that imported the engines (and datasets) under
the environment the server started in: it must run under the executor's environment as it
is when the unit starts, including what datasets read from it at import (its cache path)."""

from __future__ import annotations

import os
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import pytest

from harness.offline import follow_environment
from harness.sweep.local import mp_context
from harness.sweep.units import take_environment


def _report_cache(conn: Any, env: dict[str, str], cwd: str) -> None:
    take_environment(env, cwd)
    import datasets.config

    conn.send((str(datasets.config.HF_DATASETS_CACHE), os.environ.get("HF_DATASETS_CACHE")))
    conn.close()


def test_follow_environment_moves_datasets_cache_to_the_one_named_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "server-cache")
    monkeypatch.delenv("HF_DATASETS_CACHE", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "home"))
    follow_environment()
    assert tmp_path / "home" / "datasets" == datasets.config.HF_DATASETS_CACHE
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "run-cache"))
    follow_environment()
    assert tmp_path / "run-cache" == datasets.config.HF_DATASETS_CACHE


def test_a_worker_reads_the_datasets_cache_of_the_run_not_of_its_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = mp_context(["inspect", "lm_eval"])  # inspect imports datasets in the server
    forkserver.ensure_running()  # started before the run names its cache
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "run-cache"))
    recv, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_report_cache, args=(send, dict(os.environ), os.getcwd()))  # type: ignore[attr-defined]
    proc.start()
    send.close()
    seen = recv.recv()
    proc.join(30)
    assert seen == (str(tmp_path / "run-cache"), str(tmp_path / "run-cache"))
