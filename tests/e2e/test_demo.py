"""The front door: `gapbench demo` really runs SmolLM2 offline into Parquet and a report."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pyarrow.parquet as pq
import pytest

from harness.store import Store
from harness.store.schema import SAMPLES_SCHEMA
from tests.report.paths import clicks_to_transcript, first_screen_states_the_answer

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


TAG = f"e2e-{uuid.uuid4().hex}"


def llama_servers() -> set[int]:
    """Model servers started by this test's commands: they inherit its environment tag."""
    out = set()
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "llama" not in cmd:
            continue
        try:
            if proc.environ().get("GAPBENCH_TEST_TAG") == TAG:
                out.add(proc.info["pid"])
        except (psutil.AccessDenied, psutil.NoSuchProcess):
            continue
    return out


def env_for(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "GAPBENCH_RESULTS_DIR": str(tmp_path / "results"),
        "GAPBENCH_REPORTS_DIR": str(tmp_path / "reports"),
        "GAPBENCH_CACHE_DIR": str(tmp_path / "cache"),
        # Air-gapped: any attempt to reach the network through a proxy-aware client fails fast.
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "GAPBENCH_TEST_TAG": TAG,
    }


def gapbench(tmp_path: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        cwd=tmp_path,
        env=env_for(tmp_path),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_demo_runs_end_to_end_offline(tmp_path: Path) -> None:
    proc = gapbench(tmp_path, "demo")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    files = list((tmp_path / "results" / "samples").rglob("*.parquet"))
    assert files, "no Parquet written"
    for f in files:
        assert set(SAMPLES_SCHEMA.names) <= set(pq.read_schema(f).names)
    everything = Store(tmp_path / "results").samples()
    # The demo brings in Epoch AI's published results too, marked as imported.
    assert (everything["source"] == "imported:epoch").sum() > 1000
    df = everything[everything["source"] == "own"]
    assert len(df) == 12
    assert set(df["suite"]) == {"ladder_standard", "ladder_agentic"}
    assert set(df["model_id"]) == {"smollm2-135m-instruct"}
    assert df["sample_key"].is_unique
    assert set(df["status"]) <= {"scored", "error", "limit"}
    # SmolLM2 really generated: tokens were produced and facts about the server recorded.
    assert (df["output_tokens"].fillna(0) > 0).any()
    assert (df["provider"] == "llama-cpp").all() and df["model_sha256"].str.len().eq(64).all()
    assert df["tool_call_format"].notna().all()

    index = tmp_path / "reports" / "demo" / "index.html"
    assert index.is_file()
    html = index.read_text()
    assert "smollm2-135m-instruct" in html and "ladder_agentic" in html
    # The published history answers the central question: D has numbers, not only flags.
    understatement = (tmp_path / "reports" / "demo" / "data" / "understatement.csv").read_text()
    assert "lag_months" in understatement and ",ok," in understatement
    # Issue 10's must-show: the first screen states the answer, and a reader reaches a
    # SmolLM2 ladder transcript (messages and tool calls) in at most three clicks.
    site = tmp_path / "reports" / "demo"
    first_screen_states_the_answer(site)
    path = clicks_to_transcript(site, model_id="smollm2-135m-instruct", suite="ladder_agentic")
    assert path, "no SmolLM2 ladder_agentic transcript within three clicks of index.html"
    assert len(path) - 1 <= 3

    time.sleep(1)
    assert llama_servers() == set(), "a llama.cpp server outlived the command"


def test_sigkill_mid_sweep_then_resume_completes_exactly(tmp_path: Path) -> None:
    sweep = tmp_path / "kill.yaml"
    sweep.write_text(
        "name: kill\nmodels: [smollm2-135m-instruct]\nsuites: [ladder_standard]\nlimit: 6\nchunk: 2\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.cli", "run", str(sweep)],
        cwd=tmp_path,
        env=env_for(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    samples_dir = tmp_path / "results" / "samples"
    deadline = time.time() + 600
    while time.time() < deadline and proc.poll() is None:
        if list(samples_dir.rglob("part-*.parquet")):
            break
        time.sleep(0.5)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    partial = Store(tmp_path / "results").samples()
    assert 0 < len(partial) < 6

    time.sleep(2)  # the server dies with its parent (PR_SET_PDEATHSIG)
    assert llama_servers() == set(), "server orphaned by SIGKILL"

    second = gapbench(tmp_path, "run", str(sweep))
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    final = Store(tmp_path / "results").samples()
    assert len(final) == 6 and final["sample_key"].is_unique
    assert set(partial["sample_key"]) <= set(final["sample_key"])

    third = gapbench(tmp_path, "run", str(sweep))
    assert third.returncode == 0
    assert "model calls: 0" in third.stdout
    assert len(Store(tmp_path / "results").samples()) == 6
