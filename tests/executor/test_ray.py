"""`--executor ray` on a real local cluster on loopback (head plus two worker nodes, Ray's own
multi-node test utility): a small sweep's rows equal the local executor's, and no Ray process
outlives the test."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pandas as pd
import psutil
import ray
from ray.cluster_utils import Cluster

from harness import api, exitcodes
from harness.store import Store
from harness.sweep.execute import execute
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

COLUMNS = ["sample_key", "model_id", "sample_id", "epoch", "status", "score", "success"]
SWEEP = (
    "name: cluster\nmodels: [fake-gpt, fake-claude]\nsuites: [ladder_standard]\n"
    "limit: 16\nshards: 2\n"
)


def _ray_processes() -> set[int]:
    """Ray's daemons and workers on this machine (raylet, gcs_server, workers, ...)."""
    out = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        text = " ".join(proc.info.get("cmdline") or [])
        if "ray" in text and ("raylet" in text or "gcs_server" in text or "ray::" in text
                              or "ray/_private" in text or "default_worker" in text):  # fmt: skip
            out.add(proc.info["pid"])
    return out


def _command_handler(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _rows(ws: api.Workspace) -> pd.DataFrame:
    df = Store(ws.settings.results_dir).samples()[COLUMNS]
    return df.sort_values("sample_key").reset_index(drop=True)


def test_a_local_ray_cluster_stores_the_same_rows_as_the_local_executor(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    before = _ray_processes()  # another user's Ray on this machine is not ours to judge
    local = workspace(tmp_path, fake_api, results="r_local", cache="c_local")
    assert api.run_sweep(sweep_file(tmp_path, SWEEP), ws=local).exit_code == exitcodes.OK

    on_ray = workspace(tmp_path, fake_api, results="r_ray", cache="c_ray")
    plan = api.plan(sweep_file(tmp_path, SWEEP), ws=on_ray)
    # The head schedules nothing: every unit runs on one of the two worker nodes.
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    try:
        cluster.add_node(num_cpus=1)
        cluster.add_node(num_cpus=1)
        cluster.wait_for_nodes()
        assert len(_ray_processes() - before) >= 3  # the check below can see them
        fake_api.reset_counts()
        # The command's SIGTERM handler survives ray.init (which installs sys.exit(15): a
        # SIGTERM'd Ray sweep exited 15 with a C++ stack dump instead of 130 and one line).
        previous = signal.signal(signal.SIGTERM, _command_handler)
        try:
            out = execute(plan, on_ray.settings, executor="ray", address=cluster.address)
            kept = signal.getsignal(signal.SIGTERM)
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert kept is _command_handler
    finally:
        if ray.is_initialized():
            ray.shutdown()
        cluster.shutdown()
    assert out.exit_code == exitcodes.OK, out.summary_lines()
    assert [r.status for r in out.runs] == ["complete", "complete"]
    # The workers' request paths answered every call, and their ledgers came back.
    assert out.upstream_calls == fake_api.n_requests == 32
    assert out.spent_usd > 0
    pd.testing.assert_frame_equal(_rows(on_ray), _rows(local))
    runs = Store(on_ray.settings.results_dir).runs()
    assert sorted(runs["status"]) == ["complete", "complete"]

    deadline = time.monotonic() + 30
    while _ray_processes() - before and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _ray_processes() - before == set(), "a Ray process outlived the test"
