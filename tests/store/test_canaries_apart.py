"""Canaries apart (issue 19.5) and `results --check/--scrub` for secrets (issue 18.2), on the
command line and in the API: the issue's case, a sweep after a nightly whose 8 canary rows
used to show up as results and whose canary score `score()` returned (6 sweep samples here:
a score needs 5)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from harness import api, exitcodes
from harness.cli import main
from harness.store import Store
from tests.store.helpers import run, samples

KEY = "gw-canary-1b2c3d4e5f6a7b8c9d0e"


@pytest.fixture
def nightly_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A sweep run of 6 samples scoring 1.0, and a canary run of 8 samples scoring 0.125."""
    root = tmp_path / "results"
    store = Store(root)
    store.append_samples(samples(6, run_id="run-sweep", score=1.0))
    canary = [
        replace(s, canary=True, score=1.0 if i == 0 else 0.0, success=i == 0)
        for i, s in enumerate(samples(8, run_id="run-canary"))
    ]
    store.append_samples(canary)
    store.append_run(run("run-sweep"))
    store.append_run(replace(run("run-canary", started=1), canary=True))
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(root))
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return root


def test_results_summary_and_api_leave_canaries_out_unless_asked(
    nightly_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["results"]) == exitcodes.OK
    out = capsys.readouterr().out
    [line] = [ln for ln in out.splitlines() if "smollm2" in ln]
    assert " 6 " in f" {line} " and "0.125" not in line  # rows 6, mean 1.0
    assert main(["results", "--include-canaries"]) == exitcodes.OK
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "smollm2" in ln]
    assert len(lines) == 2 and any("0.125" in ln for ln in lines)

    res = api.results(results_dir=nightly_store)
    assert len(res.samples) == 6 and res.score("smollm2-135m-instruct", "arith") == 1.0
    every = api.results(results_dir=nightly_store, include_canaries=True)
    assert len(every.samples) == 14 and len(every.runs) == 2


@pytest.mark.parametrize("table,n,n_all", [("samples", 6, 14), ("runs", 1, 2)])
def test_exports_leave_canaries_out_unless_asked(
    nightly_store: Path, tmp_path: Path, table: str, n: int, n_all: int
) -> None:
    out = tmp_path / f"{table}.parquet"
    assert main(["results", "--export", str(out), "--table", table]) == exitcodes.OK
    df = pd.read_parquet(out)
    assert len(df) == n and not df["canary"].any()
    args = ["results", "--export", str(out), "--table", table, "--include-canaries"]
    assert main(args) == exitcodes.OK
    assert len(pd.read_parquet(out)) == n_all


def test_check_lists_secrets_by_place_and_scrub_masks_them(
    nightly_store: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    raw = nightly_store / "raw" / "demo"
    raw.mkdir(parents=True)
    (raw / "lm_eval_samples.jsonl").write_text(json.dumps({"error": f"401 {KEY}"}) + "\n")
    capsys.readouterr()
    assert main(["results", "--check"]) == exitcodes.FAILURE
    captured = capsys.readouterr()
    assert "secret: raw/demo/lm_eval_samples.jsonl: key-value" in captured.out
    assert KEY not in captured.out + captured.err and "--scrub" in captured.err
    assert main(["results", "--scrub"]) == exitcodes.OK
    assert "1 other files" in capsys.readouterr().out
    assert main(["results", "--check"]) == exitcodes.OK
    assert "no secrets found" in capsys.readouterr().out
    assert KEY not in (raw / "lm_eval_samples.jsonl").read_text()
