"""Bad input (issue 12): one line naming the file or option and the field, exit 2, no
traceback, and the results folder byte-for-byte unchanged. Every malformed input the issue
lists is here, through every kind of file (sweep, registry, suite.yaml) and the CLI options."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.exitcodes import USAGE
from tests.cli.conftest import REPO, Ran, gapbench_subprocess, one_line_usage_error, tree_hash

DEEP = "[" * 5000 + "]" * 5000
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8)
)
SWEEP_HEAD = "name: x\nmodels: [smollm2-135m-instruct]\nsuites: [ladder_standard]\n"

# (sweep file body, words the one line must contain)
BAD_SWEEPS = {
    "unknown-key": (SWEEP_HEAD + "colour: red\n", ["colour", "unknown key"]),
    "invalid-date-anywhere": (SWEEP_HEAD + "since: 2025-13-45\n", ["since", "unknown key"]),
    "epochs-not-number": (SWEEP_HEAD + "epochs: many\n", ["epochs", "whole number"]),
    "epochs-0": (SWEEP_HEAD + "epochs: 0\n", ["epochs", ">= 1"]),
    "epochs-huge": (SWEEP_HEAD + "epochs: 100000000000\n", ["epochs", "<= 1000"]),
    "limit-negative": (SWEEP_HEAD + "limit: -1\n", ["limit", ">= 1"]),
    "limit-empty-range": (SWEEP_HEAD + "limit: 5-2\n", ["limit", "empty"]),
    "budget-nan": (SWEEP_HEAD + "budget_usd: .nan\n", ["budget_usd", "finite"]),
    "budget-inf": (SWEEP_HEAD + "budget_usd: .inf\n", ["budget_usd", "finite"]),
    "budget-negative": (SWEEP_HEAD + "budget_usd: -5\n", ["budget_usd", "> 0"]),
    "unknown-model": (
        "name: x\nmodels: [gpt-9]\nsuites: [ladder_standard]\n",
        ["models[0]", "gpt-9"],
    ),
    "unknown-suite": (
        "name: x\nmodels: [smollm2-135m-instruct]\nsuites: [nope]\n",
        ["suites[0]", "nope"],
    ),
    "missing-field": ("name: x\nsuites: [ladder_standard]\n", ["models", "required"]),
    "not-yaml": ("name: [unclosed\n", ["YAML", "line"]),
    "nested-5000-deep": (f"name: x\nmodels: {DEEP}\n", ["nested deeper than 64", "line 2"]),
    "alias-bomb": (LAUGHS, ["aliases expand"]),
    "recursive-alias": ("name: x\nmodels: &m [*m]\n", ["alias"]),
    "duplicate-key": (SWEEP_HEAD + "models: [gpt-5]\n", ["duplicate key 'models'", "line 4"]),
    "top-level-list": ("- a\n- b\n", ["(top level)"]),
    "empty": ("", ["empty"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SWEEPS))
def test_malformed_sweep_file(
    case: str, tmp_path: Path, seeded_store: Path, gapbench: Callable[..., Ran]
) -> None:
    body, needles = BAD_SWEEPS[case]
    sweep = tmp_path / "bad.yaml"
    sweep.write_text(body)
    before = tree_hash(seeded_store)
    ran = gapbench("run", str(sweep), "--results-dir", str(seeded_store))
    one_line_usage_error(ran, str(sweep), *needles)
    assert tree_hash(seeded_store) == before


def test_sweep_file_too_large_is_refused_before_reading(
    tmp_path: Path, seeded_store: Path, gapbench: Callable[..., Ran]
) -> None:
    sweep = tmp_path / "huge.yaml"
    sweep.write_text(SWEEP_HEAD + "# " + "x" * (9 * 1024 * 1024) + "\n")
    before = tree_hash(seeded_store)
    ran = gapbench("run", str(sweep), "--dry-run", "--results-dir", str(seeded_store))
    one_line_usage_error(ran, "huge.yaml", "too large")
    assert tree_hash(seeded_store) == before


def test_sweep_file_not_utf8(tmp_path: Path, gapbench: Callable[..., Ran]) -> None:
    sweep = tmp_path / "binary.yaml"
    sweep.write_bytes(b"name: \xff\xfe\x00bad\n")
    one_line_usage_error(gapbench("run", str(sweep), "--dry-run"), "binary.yaml", "cannot read")


def test_missing_sweep_file(tmp_path: Path, gapbench: Callable[..., Ran]) -> None:
    ran = gapbench("run", str(tmp_path / "absent.yaml"), "--dry-run")
    one_line_usage_error(ran, "absent.yaml", "not found")


CARD = "  - id: a\n    name: A\n    organisation: O\n    licence: x\n    source: y\n"
DEP = "deployments:\n  - id: a@x\n    model: a\n"
BAD_REGISTRIES = {
    "access": (
        "models:\n" + CARD + "    access: semi\n    release_date: 2024-01-01\n",
        ["models[0].access"],
    ),
    "date-word": (
        "models:\n" + CARD + "    access: open\n    release_date: soon\n",
        ["models[0].release_date"],
    ),
    "date-month-13": (
        "models:\n" + CARD + "    access: open\n    release_date: 2025-13-45\n",
        ["models[0].release_date", "month"],
    ),
    "date-implausible": (
        "models:\n" + CARD + "    access: open\n    release_date: 1025-01-01\n",
        ["models[0].release_date", "plausible"],
    ),
    "ghost-model": (
        "models: []\ndeployments:\n  - id: d\n    model: ghost\n    provider: openai\n    api_model: m\n",
        ["deployments[0].model", "ghost"],
    ),
    "extra-section": ("models: []\nextra_section: 1\n", ["extra_section", "unknown key"]),
    "price-nan": (
        "models:\n"
        + CARD
        + "    access: open\n    release_date: 2024-01-01\n"
        + DEP
        + "    provider: openai\n    api_model: m\n    pricing: {input_per_m: .nan}\n",
        ["deployments[0].pricing.input_per_m", "finite"],
    ),
    "url-without-scheme": (
        "models:\n"
        + CARD
        + "    access: open\n    release_date: 2024-01-01\n"
        + DEP
        + "    provider: openai-compatible\n    base_url: localhost:8080\n",
        ["deployments[0].base_url", "http"],
    ),
    "connections-0": (
        "models:\n"
        + CARD
        + "    access: open\n    release_date: 2024-01-01\n"
        + DEP
        + "    provider: openai\n    api_model: m\n    max_connections: 0\n",
        ["deployments[0].max_connections", ">= 1"],
    ),
    "nested-deep": (f"models: {DEEP}\n", ["nested deeper"]),
}


@pytest.mark.parametrize("case", sorted(BAD_REGISTRIES))
def test_malformed_registry(
    case: str,
    tmp_path: Path,
    seeded_store: Path,
    monkeypatch: pytest.MonkeyPatch,
    gapbench: Callable[..., Ran],
) -> None:
    body, needles = BAD_REGISTRIES[case]
    registry = tmp_path / "models.yaml"
    registry.write_text(body)
    monkeypatch.setenv("GAPBENCH_REGISTRY", str(registry))
    before = tree_hash(seeded_store)
    for args in (["models"], ["run", "demo", "--dry-run", "--results-dir", str(seeded_store)]):
        one_line_usage_error(gapbench(*args), str(registry), *needles)
    assert tree_hash(seeded_store) == before


SUITE_HEAD = (
    "name: broken\nversion: '1'\nengine: inspect\ndescription: d\ntask: t\nsource: s\nlicence: l\n"
)
BAD_SUITES = {
    "kind": (SUITE_HEAD + "kind: sideways\n", ["kind"]),
    "invalid-date-anywhere": (SUITE_HEAD + "kind: agentic\nsince: 2025-13-45\n", ["since"]),
    "time-limit-inf": (
        SUITE_HEAD + "kind: agentic\nlimits: {time_limit_s: .inf}\n",
        ["limits.time_limit_s", "finite"],
    ),
    "null-baseline-above-1": (
        SUITE_HEAD + "kind: agentic\nnull_baseline: 36\n",
        ["null_baseline", "<= 1"],
    ),
    "nested-deep": (SUITE_HEAD + f"kind: agentic\nsmoke: {DEEP}\n", ["nested deeper"]),
}


@pytest.mark.parametrize("case", sorted(BAD_SUITES))
def test_malformed_suite_yaml(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gapbench: Callable[..., Ran]
) -> None:
    body, needles = BAD_SUITES[case]
    suite_dir = tmp_path / "tasks" / "broken"
    suite_dir.mkdir(parents=True)
    (suite_dir / "suite.yaml").write_text(body)
    monkeypatch.setenv("GAPBENCH_TASKS_DIR", str(tmp_path / "tasks"))
    one_line_usage_error(gapbench("suites"), "suite.yaml", *needles)


# (arguments after `run`, words of the one line). Checked by argparse before any file is read.
BAD_ARGS = {
    "limit-0": (["demo", "--limit", "0"], ["--limit", ">= 1"]),
    "limit-negative": (["demo", "--limit", "-1"], ["--limit"]),
    "limit-word": (["demo", "--limit", "lots"], ["--limit", "range A-B"]),
    "limit-empty-range": (["demo", "--limit", "9-3"], ["--limit", "empty"]),
    "epochs-0": (["demo", "--epochs", "0"], ["--epochs", ">= 1"]),
    "epochs-negative": (["demo", "--epochs", "-2"], ["--epochs", ">= 1"]),
    "epochs-fraction": (["demo", "--epochs", "1.5"], ["--epochs", "whole number"]),
    "budget-negative": (["demo", "--budget", "-5"], ["--budget", "> 0"]),
    "budget-0": (["demo", "--budget", "0"], ["--budget", "> 0"]),
    "budget-nan": (["demo", "--budget", "nan"], ["--budget", "finite"]),
    "budget-inf": (["demo", "--budget", "inf"], ["--budget", "finite"]),
    "name": (
        ["--model", "smollm2-135m-instruct", "--suite", "ladder_standard", "--name", "Bad Name"],
        ["--name"],
    ),
    "release-date": (
        ["--model", "http://127.0.0.1:9/v1", "--release-date", "2024-13-01"],
        ["--release-date", "month"],
    ),
    "unknown-model": (["--model", "gpt-9", "--suite", "ladder_standard"], ["--model", "gpt-9"]),
    "unknown-suite": (
        ["--model", "smollm2-135m-instruct", "--suite", "nope"],
        ["--suite", "nope"],
    ),
    "url-without-facts": (
        ["--model", "http://127.0.0.1:9/v1", "--suite", "ladder_standard"],
        ["--api-model", "--access", "--release-date"],
    ),
    "url-bad-id": (
        [
            "--model",
            "http://127.0.0.1:9/v1",
            "--api-model",
            "m",
            "--access",
            "open",
            "--release-date",
            "2025-01-01",
            "--id",
            "Not A Slug",
            "--suite",
            "ladder_standard",
        ],
        ["--id"],
    ),
    "card-option-on-registry-model": (
        ["--model", "gpt-5", "--access", "open", "--suite", "ladder_standard"],
        ["--access"],
    ),
    "workers-0": (["demo", "--workers", "0"], ["--workers", "1..1024"]),
    "wait-lock-nan": (["demo", "--wait-lock", "nan"], ["--wait-lock", "finite"]),
    "address-without-ray": (["demo", "--address", "ray://h:10001"], ["--address", "ray"]),
    "sweep-and-model": (["demo", "--model", "gpt-5", "--suite", "x"], ["not both"]),
    "nothing": ([], ["sweep"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGS))
def test_bad_run_argument(case: str, seeded_store: Path, gapbench: Callable[..., Ran]) -> None:
    args, needles = BAD_ARGS[case]
    before = tree_hash(seeded_store)
    for dry in ([], ["--dry-run"]):
        one_line_usage_error(
            gapbench("run", *args, *dry, "--results-dir", str(seeded_store)), *needles
        )
    assert tree_hash(seeded_store) == before


def test_bad_models_add_leaves_registry_unchanged(
    tmp_path: Path, gapbench: Callable[..., Ran]
) -> None:
    registry = tmp_path / "models.yaml"
    registry.write_text((REPO / "models.yaml").read_text())
    before = registry.read_bytes()
    for args, needles in (
        (["x", "--access", "open", "--release-date", "2024-13-01"], ["--release-date"]),
        (["Bad Id", "--access", "open", "--release-date", "2024-01-01"], ["id"]),
        (["gpt-5", "--access", "closed", "--release-date", "2025-08-07"], ["already"]),
        (
            ["x", "--access", "open", "--release-date", "2024-01-01", "--base-url", "ftp://h"],
            ["--base-url", "http"],
        ),
        (
            ["x", "--access", "open", "--release-date", "2024-01-01", "--provider", "openai"],
            ["api_model"],
        ),
    ):
        ran = gapbench("models", "add", *args, "--registry", str(registry))
        one_line_usage_error(ran, *needles)
    assert registry.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "{sweep}", "--dry-run"], "since"),
        (["run", "{deep}", "--dry-run"], "nested deeper"),
        (["run", "demo", "--budget", "nan"], "--budget"),
    ],
)
def test_no_traceback_reaches_stderr_of_a_real_process(
    tmp_path: Path, seeded_store: Path, args: list[str], needle: str
) -> None:
    sweep = tmp_path / "since.yaml"
    sweep.write_text(SWEEP_HEAD + "since: 2025-13-45\n")
    deep = tmp_path / "deep.yaml"
    deep.write_text(f"name: x\nmodels: {DEEP}\n")
    argv = [a.format(sweep=sweep, deep=deep) for a in args]
    before = tree_hash(seeded_store)
    proc = gapbench_subprocess(*argv, "--results-dir", str(seeded_store))
    assert proc.returncode == USAGE, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert tree_hash(seeded_store) == before
