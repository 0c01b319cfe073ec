"""Runs that tell the truth (issue 19.1, 19.2): a mostly failed run is not "complete", a
breaker that opened makes the run partial, and a budget is a ceiling. Real SDKs over real
HTTP against the fake API, with its priced usage."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import api, exitcodes
from harness.cli import main
from harness.store import Store
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import PRICING
from tests.sweep.conftest import sweep_file, workspace


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAPI) -> api.Workspace:
    ws = workspace(tmp_path, fake_api, max_connections=1)
    monkeypatch.setenv("GAPBENCH_REGISTRY", str(ws.settings.registry_path))
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(ws.settings.results_dir))
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(ws.settings.cache_dir))
    return ws


def test_seven_of_eight_errored_is_not_complete_and_exits_4(
    cli_env: api.Workspace,
    fake_api: FakeAPI,
    fake_api_key: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The issue's case: a permanent 429 on all but one sample, --limit 8, one model; the
    breaker's 8 failures are not reached, so only the error-rate rule can say it."""
    fake_api.fail_next(*["429"] * 7)
    code = main(["run", "--model", "fake-gpt", "--suite", "ladder_standard", "--limit", "8"])
    out = capsys.readouterr().out
    assert code == exitcodes.PARTIAL, out
    assert "partial (error-rate): fake-gpt x ladder_standard: 7 of 8 samples errored" in out
    [run] = Store(cli_env.settings.results_dir).runs().to_dict("records")
    assert (run["status"], run["status_rule"], run["n_error"]) == ("partial", "error-rate", 7)
    # The flag overrides the rule's threshold: the same stored run, nothing asked again.
    fake_api.reset_counts()
    args = ["run", "--model", "fake-gpt", "--suite", "ladder_standard", "--limit", "8"]
    assert main([*args, "--max-error-rate", "1"]) == exitcodes.OK
    assert fake_api.n_requests == 0


def test_a_breaker_that_opened_makes_the_run_partial_though_every_sample_was_stored(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api, max_connections=4)
    # 3 auth errors in a row open it, at once; the 4th sample's call succeeds, but only after
    # them ("timeout" answers 200 after delay_s, within the client's 5 s): were it answered
    # between them, its success would reset the count and nothing would open (a race that
    # failed this test on a loaded machine)
    fake_api.set_faults(0.0, delay_s=1.0)
    fake_api.fail_next("401", "401", "401", "timeout")
    body = "name: auth\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 4\n"
    body += "max_error_rate: 1.0\n"  # so that only the breaker can say it
    out = api.run_sweep(sweep_file(tmp_path, body), ws=ws)
    [run] = out.runs
    assert run.status == "partial" and run.rule == "breaker"
    assert "circuit breaker open" in (run.message or "") and "auth" in (run.message or "")
    assert out.exit_code == exitcodes.PARTIAL
    stored = Store(ws.settings.results_dir).runs()
    assert stored["status_rule"].tolist() == ["breaker"]


def test_the_budget_is_a_ceiling_and_the_summary_says_spend_against_it(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    # A declared context length bounds a prompt: one sample's worst case is then
    # (1024 - 256) input and 256 output tokens at the fake's prices, $0.0036 (about 9 times
    # what a ladder sample really costs).
    ws = workspace(tmp_path, fake_api, max_connections=2, context_length=1024)
    worst = PRICING.cost(1024 - 256, 256)
    body = "name: money\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 20\n"
    budget = 0.015
    out = api.run_sweep(sweep_file(tmp_path, body), ws=ws, budget_usd=budget)
    [run] = out.runs
    assert 0 < out.spent_usd <= budget  # never past it ...
    # ... and not far below it either: it stops only when the samples that may be in flight
    # (2) and the next one might, at their worst, pass it.
    assert out.spent_usd > budget - 3 * worst
    assert run.status == "partial" and run.rule == "stopped" and "budget" in (run.message or "")
    # The run's own worst case, not that of whichever sample (maybe of another suite) asked
    # first: a mixed sweep's agentic runs read "$0.0284" though theirs was $1.14 (A3).
    assert f"a sample of this run reserves ${worst:.4f} at its worst" in (run.message or "")
    assert 0 < run.n_stored < 20 and out.exit_code == exitcodes.PARTIAL
    line = out.money_line()
    assert f"budget ${budget:.2f}: spent ${out.spent_usd:.4f}" in line and "EXCEEDED" not in line
    # The next command with a larger budget finishes it, paying only what was not run.
    fake_api.reset_counts()
    rest = api.run_sweep(sweep_file(tmp_path, body), ws=ws, budget_usd=1.0)
    assert rest.runs[0].status == "complete" and fake_api.n_requests == 20 - run.n_stored
