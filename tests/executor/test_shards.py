"""Runs sharded over worker processes (issue 14): the same rows as unsharded, one concurrency
limit per deployment across the shards, and a SIGKILLed worker loses at most its unwritten
batch (the resume completes exactly). Real SDKs over real HTTP against the fake API."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import psutil

from harness import api, exitcodes
from harness.store import Store
from harness.sweep.execute import SweepOutcome, execute
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

COLUMNS = ["sample_key", "sample_id", "epoch", "status", "score", "success"]
LIMIT = 40
MAX_CONNECTIONS = 4


def _rows(ws: api.Workspace) -> pd.DataFrame:
    df = Store(ws.settings.results_dir).samples()[COLUMNS]
    return df.sort_values("sample_key").reset_index(drop=True)


def test_sharded_and_unsharded_sweeps_store_identical_rows_within_one_limit(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    body = f"models: [fake-gpt]\nsuites: [ladder_standard]\nlimit: {LIMIT}\n"
    fake_api.set_capacity(None, latency_s=0.05)  # answers take time: concurrency is real
    sharded = workspace(tmp_path, fake_api, max_connections=MAX_CONNECTIONS, results="r1",
                        cache="c1")  # fmt: skip
    out = api.run_sweep(sweep_file(tmp_path, "name: s\nshards: 2\n" + body, "a.yaml"), ws=sharded)
    in_flight_sharded = fake_api.max_in_flight
    assert out.exit_code == exitcodes.OK
    # The deployment's limit held across both worker processes, and both really ran at once.
    assert 2 <= in_flight_sharded <= MAX_CONNECTIONS

    fake_api.set_capacity(None, latency_s=0.05)  # resets the in-flight maximum
    single = workspace(tmp_path, fake_api, max_connections=MAX_CONNECTIONS, results="r2",
                       cache="c2")  # fmt: skip
    api.run_sweep(sweep_file(tmp_path, "name: s\nshards: 1\n" + body, "b.yaml"), ws=single)
    assert fake_api.max_in_flight <= MAX_CONNECTIONS
    a, b = _rows(sharded), _rows(single)
    assert len(a) == LIMIT and a["sample_key"].is_unique
    pd.testing.assert_frame_equal(a, b)


def _workers() -> list[psutil.Process]:
    """This process's sweep workers: the children of its multiprocessing forkserver."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            parent = child.parent()
            if parent is not None and "forkserver" in " ".join(parent.cmdline()):
                out.append(child)
        except psutil.Error:
            continue
    return out


def test_sigkill_of_one_worker_loses_at_most_its_batch_and_resume_completes_exactly(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, max_connections=MAX_CONNECTIONS)
    fake_api.set_capacity(None, latency_s=0.15)
    sweep = sweep_file(
        tmp_path,
        "name: kill\nmodels: [fake-gpt]\nsuites: [ladder_standard]\n"
        f"limit: {LIMIT}\nshards: 2\nwrite_batch: 2\n",
    )
    plan = api.plan(sweep, ws=ws)
    result: list[SweepOutcome] = []
    runner = threading.Thread(target=lambda: result.append(execute(plan, ws.settings)))
    runner.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        workers = _workers()
        if len(workers) == 2 and len(Store(ws.settings.results_dir).samples()) >= 4:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the sweep did not get going")
    victim = workers[0]
    os.kill(victim.pid, signal.SIGKILL)
    runner.join(timeout=120)
    [first] = result
    assert first.exit_code == exitcodes.PARTIAL
    [run] = first.runs
    assert run.status == "partial" and "died (killed by signal 9)" in (run.message or "")
    stored = _rows(ws)
    assert 0 < len(stored) < LIMIT
    assert stored["sample_key"].is_unique

    second = api.run_sweep(sweep, ws=ws)
    assert second.exit_code == exitcodes.OK
    final = _rows(ws)
    assert len(final) == LIMIT and final["sample_key"].is_unique
    assert set(stored["sample_key"]) <= set(final["sample_key"])
    # Answers the dead worker received but had not stored replay from the call cache: only
    # the calls in flight when it died (at most its share of the limit) are asked twice.
    assert LIMIT <= fake_api.n_requests <= LIMIT + MAX_CONNECTIONS // 2
    third = api.run_sweep(sweep, ws=ws)
    assert third.upstream_calls == 0 and third.exit_code == exitcodes.OK
