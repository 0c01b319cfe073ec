"""Quick runs (`gapbench run --model --suite` without a sweep file), the dry-run that always
prints its plan, and the Python API a notebook uses (`import gapbench`), against the local
fake OpenAI server over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import gapbench
from harness import exitcodes
from tests.cli.conftest import Ran, tree_hash
from tests.fakeapi import FakeAPI
from tests.fakeapi.policy import chain_policy
from tests.fixtures.fakeapi import FAKE_API_KEY


def url_model_args(fake: FakeAPI) -> list[str]:
    return [
        "--model",
        fake.openai_base_url,
        "--api-model",
        "fake-gpt",
        "--access",
        "closed",
        "--release-date",
        "2026-01-15",
        "--api-key-env",
        "FAKE_KEY",
    ]


def test_dry_run_prints_the_plan_and_marks_skips_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gapbench: Callable[..., Ran]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    results = tmp_path / "r"
    ran = gapbench(
        "run",
        "--model",
        "smollm2-135m-instruct",
        "--model",
        "gpt-5",
        "--suite",
        "ladder_standard",
        "--limit",
        "2-4",
        "--dry-run",
        "--results-dir",  # a global option after the subcommand
        str(results),
    )
    assert ran.code == exitcodes.OK, ran.err
    assert "plan: sweep quick" in ran.out
    row = next(ln for ln in ran.out.splitlines() if "ladder_standard@" in ln)
    assert "smollm2-135m-instruct" in row and " 3 " in row  # samples 2..4
    assert "SKIP gpt-5: OPENAI_API_KEY is not set" in ran.out
    assert not results.exists()


def test_dry_run_with_only_unusable_models_still_prints_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gapbench: Callable[..., Ran]
) -> None:
    """Was exit 2 ('nothing runnable'); an unreachable endpoint is a marked line too."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    ran = gapbench(
        "--results-dir",
        str(tmp_path / "r"),
        "run",
        "--model",
        "gpt-5",
        "--model",
        "http://127.0.0.1:9/v1",  # nothing listens on port 9
        "--api-model",
        "m",
        "--access",
        "open",
        "--release-date",
        "2025-04-05",
        "--suite",
        "ladder_standard",
        "--dry-run",
    )
    assert ran.code == exitcodes.OK, ran.err
    assert "SKIP gpt-5: OPENAI_API_KEY is not set" in ran.out
    assert "SKIP m: endpoint http://127.0.0.1:9/v1 unreachable" in ran.out
    assert "a run would stop here" in ran.out
    assert "nothing would run" in ran.out
    # the real run refuses the same plan with one line (exit 2) before spending anything
    ran = gapbench(
        "run",
        "--model",
        "gpt-5",
        "--suite",
        "ladder_standard",
        "--results-dir",
        str(tmp_path / "r"),
    )
    assert ran.code == exitcodes.USAGE and len(ran.err_lines) == 1, ran.err


def test_quick_run_of_a_url_model_then_the_api_reads_it_back(
    tmp_path: Path,
    fake_api: FakeAPI,
    monkeypatch: pytest.MonkeyPatch,
    gapbench: Callable[..., Ran],
) -> None:
    monkeypatch.setenv("FAKE_KEY", FAKE_API_KEY)
    results = tmp_path / "results"
    args = [*url_model_args(fake_api), "--suite", "ladder_standard", "--limit", "6"]
    ran = gapbench("run", *args, "--results-dir", str(results))
    assert ran.code == exitcodes.OK, ran.err + ran.out
    assert fake_api.n_requests == 6
    # the run ends with its table: 6 of 6 solved, the Wilson interval (not a point at 1)
    row = next(ln for ln in ran.out.splitlines() if "ladder_standard@" in ln and "complete" in ln)
    assert "fake-gpt" in row and "1.000" in row and "0.610-1.000" in row, ran.out
    assert "results: sweep quick" in ran.out and "Wilson" in ran.out

    res = gapbench_results(results)
    assert len(res.samples) == 6
    assert set(res.samples["sweep_id"]) == {"quick"}
    assert set(res.samples["model_id"]) == {"fake-gpt"}
    run = res.runs.iloc[0]
    # the fake answers every ladder item correctly: score 1; its interval is Wilson's (6 of 6:
    # 0.61 to 1), as in the table the run ended with
    assert (run["suite"], run["n_samples"], run["score"]) == ("ladder_standard", 6, 1.0)
    assert run["ci_high"] == 1.0 and run["ci_low"] == pytest.approx(0.6097, abs=1e-3)

    # resume: the same command again stores nothing new and calls nothing
    before = tree_hash(results / "samples")
    ran = gapbench("run", *args, "--results-dir", str(results))
    assert ran.code == exitcodes.OK, ran.err
    assert fake_api.n_requests == 6
    assert tree_hash(results / "samples") == before


def gapbench_results(results: Path) -> gapbench.Results:
    return gapbench.results(results_dir=results)


def test_python_api_sweep_built_in_code(
    tmp_path: Path, fake_api: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook's path: build a sweep in code, run it into a folder chosen by argument,
    get per-run scores with CIs and a DataFrame of samples; evaluate() resumes it."""
    monkeypatch.setenv("FAKE_KEY", FAKE_API_KEY)
    fake_api.set_policy(chain_policy(skill=0.9))
    model = gapbench.endpoint(
        fake_api.openai_base_url,
        "fake-gpt",
        access="closed",
        release_date="2026-01-15",
        api_key_env="FAKE_KEY",
    )
    sweep = gapbench.Sweep(
        name="notebook", models=[model.deployment.id], suites=["ladder_standard"], limit=12
    )
    ws = gapbench.workspace(results_dir=tmp_path / "nb").with_models(
        (model.card,), (model.deployment,)
    )
    res = gapbench.run(sweep, ws=ws)
    assert res.exit_code == exitcodes.OK and res.complete
    assert len(res.samples) == 12 and res.samples["sample_key"].is_unique
    run = res.runs.iloc[0]
    assert run["status"] == "complete" and run["n_scored"] + run["n_limit"] == 12
    assert 0.0 < run["score"] < 1.0  # a model that slips on some items
    assert run["ci_low"] < run["score"] < run["ci_high"]
    assert res.score("fake-gpt", "ladder_standard") == run["score"]
    n_calls = fake_api.n_requests

    again = gapbench.evaluate(
        [model], "ladder_standard", limit=12, name="notebook", results_dir=tmp_path / "nb"
    )
    assert fake_api.n_requests == n_calls  # all stored: nothing re-requested
    assert len(again.samples) == 12
    assert again.runs["score"].tolist() == res.runs["score"].tolist()

    with pytest.raises(gapbench.UserError, match="epochs: must be >= 1"):
        gapbench.evaluate([model], "ladder_standard", epochs=0, results_dir=tmp_path / "nb")
    with pytest.raises(gapbench.UserError, match="release_date"):
        gapbench.endpoint("http://h/v1", "m", access="open", release_date="2024-13-01")


def test_dry_run_counts_errored_samples_and_what_retry_errors_would_retry(
    tmp_path: Path, gapbench: Callable[..., Ran]
) -> None:
    from harness import api
    from harness._types import DeploymentFacts, SampleRecord
    from harness.store import Store
    from harness.store.keys import sample_key

    results = tmp_path / "results"
    args = ["--model", "smollm2-135m-instruct", "--suite", "ladder_standard", "--limit", "3"]
    spec = api.SweepSpec(
        name="quick", models=["smollm2-135m-instruct"], suites=["ladder_standard"], limit=3
    )
    run = api.plan(spec, results_dir=results, dry_run=True).runs[0]
    Store(results).append_samples(
        [
            SampleRecord(
                run_id=run.run_id,
                sample_key=sample_key(run.run_id, sid, 1),
                sweep_id="quick",
                model_id="smollm2-135m-instruct",
                access="open",
                release_date=run.card.release_date,
                suite="ladder_standard",
                suite_version=run.suite.version,
                kind="standard",
                task="ladder_standard",
                sample_id=sid,
                epoch=1,
                status="error",
                error="HTTP 503 after retries",
                engine="lm_eval",
                engine_version=run.engine_version,
                harness_version="x",
                facts=DeploymentFacts(deployment_id=run.deployment.id, provider="llama-cpp"),
            )
            for sid in run.sample_ids[:2]
        ]
    )
    before = tree_hash(results)

    def plan_row(out: str) -> list[str]:
        line = next(ln for ln in out.splitlines() if "ladder_standard@" in ln)
        return [c.strip() for c in line.split("│")[1:-1]]

    ran = gapbench("run", *args, "--dry-run", "--results-dir", str(results))
    assert ran.code == exitcodes.OK, ran.err
    # samples, epochs, stored, errored, retry, to run
    assert plan_row(ran.out)[3:] == ["3", "1", "2", "2", "0", "1"]
    assert "2 errored samples stored and not retried (add --retry-errors)" in ran.out

    ran = gapbench("run", *args, "--retry-errors", "--dry-run", "--results-dir", str(results))
    assert ran.code == exitcodes.OK, ran.err
    assert plan_row(ran.out)[3:] == ["3", "1", "0", "2", "2", "3"]
    assert "3 samples to run, of which 2 errored before and retried" in ran.out
    assert tree_hash(results) == before
