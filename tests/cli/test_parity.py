"""CLI parity: every sweep-file field that fits on one line is a `run`/`plan` option with the
file's own bounds; the API says what it skips (GapbenchWarning) and names its own arguments."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

import gapbench
from harness import api, exitcodes
from harness._types import DeploymentFacts, SampleRecord
from harness.cli import build_parser
from harness.cli._sweep_args import SWEEP_OPTIONS, make_plan
from harness.errors import UserError
from harness.store import Store
from harness.store.keys import sample_key
from harness.sweep.spec import SweepSpec
from tests.cli.conftest import Ran, one_line_usage_error

# Sweep fields that are not a --flag of the same name, and why.
NOT_OPTIONS = {
    "name": "--name (runs without a sweep file; a file has its name)",
    "description": "prose, not a setting",
    "models": "--model, repeatable",
    "suites": "--suite, repeatable",
    "chunk": "the old name of write_batch (--write-batch)",
}


def test_every_sweep_field_is_an_option_or_says_why_not() -> None:
    fields = set(SweepSpec.model_fields)
    assert fields == set(SWEEP_OPTIONS) | set(NOT_OPTIONS), "a new sweep field needs a flag"
    run_help = build_parser().parse_args(["run", "demo"])  # parses
    assert run_help.sweep == "demo"
    for parser_name in ("run", "plan"):
        sub = build_parser()._subparsers._group_actions[0].choices[parser_name]  # type: ignore[union-attr]
        flags = {o for a in sub._actions for o in a.option_strings}
        assert set(SWEEP_OPTIONS.values()) <= flags, parser_name


def test_options_override_the_sweep_file(tmp_path: Path) -> None:
    sweep = tmp_path / "s.yaml"  # one lm-eval suite: its sample ids need no engine import
    sweep.write_text(
        "name: s\nmodels: [smollm2]\nsuites: [ladder_standard]\nepochs: 1\nconcurrency: 1\n"
    )
    args = build_parser().parse_args(
        [
            "plan",
            str(sweep),
            "--results-dir",
            str(tmp_path / "r"),
            "--samples",
            "ladder-h01-000,ladder-h02-000",
            "--samples",
            "ladder-h04-000",
            "--epochs",
            "2",
            "--concurrency",
            "3",
            "--shards",
            "2",
            "--write-batch",
            "5",
            "--max-error-rate",
            "0.25",
            "--budget",
            "1.5",
            "--timeout",
            "45",
        ]
    )
    plan, _ = make_plan(args, dry_run=True, check_endpoints=False)  # no server check needed
    s = plan.sweep
    assert s.samples == ["ladder-h01-000", "ladder-h02-000", "ladder-h04-000"]
    assert (s.epochs, s.concurrency, s.shards, s.write_batch) == (2, 3, 2, 5)
    assert (s.max_error_rate, s.budget_usd) == (0.25, 1.5)
    assert {len(r.sample_ids) for r in plan.runs} == {3}
    assert {r.deployment.timeout_s for r in plan.runs} == {45.0}


def test_no_smoke_overrides_a_file_that_says_smoke(tmp_path: Path) -> None:
    # A3: --smoke could only turn the subset on; a sweep file's `smoke: true` had no way off.
    sweep = tmp_path / "s.yaml"
    sweep.write_text("name: s\nmodels: [smollm2]\nsuites: [ladder_standard]\nsmoke: true\n")
    sizes = {}
    for flag in ("--smoke", "--no-smoke"):
        args = build_parser().parse_args(["plan", str(sweep), flag, "--results-dir", str(tmp_path)])
        plan, _ = make_plan(args, dry_run=True, check_endpoints=False)
        sizes[flag] = (plan.sweep.smoke, len(plan.runs[0].sample_ids))
    assert sizes["--smoke"][0] is True and sizes["--no-smoke"][0] is False
    assert sizes["--no-smoke"][1] > sizes["--smoke"][1]


@pytest.mark.parametrize(
    ("option", "value", "needle"),
    [
        ("--concurrency", "0", ">= 1"),
        ("--max-error-rate", "1.5", "<= 1"),
        ("--shards", "x", "whole number"),
        ("--timeout", "-3", "> 0"),
        ("--samples", ",", "sample ids"),
    ],
)
def test_bad_option_values_are_one_line_naming_the_option(
    option: str, value: str, needle: str, gapbench: Callable[..., Ran]
) -> None:
    ran = gapbench("plan", "demo", option, value)
    one_line_usage_error(ran, option, needle)


def test_a_quick_tau2_run_takes_its_user_simulator(gapbench: Callable[..., Ran]) -> None:
    base = ["plan", "--model", "smollm2", "--suite", "tau2_airline", "--limit", "2"]
    without = gapbench(*base)
    assert without.code == exitcodes.OK, without.err
    assert "SKIP smollm2-135m-instruct x tau2_airline: suite needs a user simulator" in without.out
    ran = gapbench(*base, "--user-simulator", "smollm2")
    assert ran.code == exitcodes.OK, ran.err
    assert "tau2_airline@" in ran.out and "needs a user simulator" not in ran.out
    one_line_usage_error(
        gapbench(*base, "--user-simulator", "smollm"), "--user-simulator", "did you mean"
    )


def test_the_api_warns_about_a_skipped_model_and_names_its_own_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    results = tmp_path / "r"
    # smollm2's run is already stored (nothing to start); the closed model has no key
    planned = api.plan(
        SweepSpec(name="quick", models=["smollm2"], suites=["ladder_standard"], limit=2),
        results_dir=results,
    )
    (run,) = planned.runs
    Store(results).append_samples(
        [
            SampleRecord(
                run_id=run.run_id,
                sample_key=sample_key(run.run_id, sid, 1),
                sweep_id="quick",
                model_id=run.card.id,
                access="open",
                release_date=date(2024, 10, 31),
                suite="ladder_standard",
                suite_version=run.suite.version,
                kind="standard",
                task="ladder_standard",
                sample_id=sid,
                epoch=1,
                status="scored",
                score=1.0,
                engine="lm_eval",
                engine_version=run.engine_version,
                harness_version="x",
                facts=DeploymentFacts(deployment_id=run.deployment.id, provider="llama-cpp"),
            )
            for sid in run.sample_ids
        ]
    )
    with pytest.warns(gapbench.GapbenchWarning) as caught:
        res = gapbench.evaluate(
            ["smollm2", "claude-sonnet-4.5"], "ladder_standard", limit=2, results_dir=results
        )
    lines = [str(w.message) for w in caught]
    assert any(
        "skipped claude-sonnet-4.5: ANTHROPIC_API_KEY is not set" in line for line in lines
    ), lines
    assert list(res.runs["model_id"]) == ["smollm2-135m-instruct"]

    # an ad-hoc model whose id is taken: the message names the argument `id`, not `--id`
    taken = gapbench.endpoint(
        "http://127.0.0.1:9/v1", "x", id="gpt-5", access="closed", release_date="2025-01-01"
    )
    with pytest.raises(UserError, match=r"choose another id \(id\)") as err:
        gapbench.evaluate([taken], "ladder_standard", limit=1, results_dir=results)
    assert "--" not in str(err.value)
    with pytest.raises(UserError, match=r"^sample_ids\[0\]: "), warnings.catch_warnings():
        bad: list[str] = [1]  # type: ignore[list-item]
        gapbench.evaluate(["smollm2"], "ladder_standard", sample_ids=bad, results_dir=results)
