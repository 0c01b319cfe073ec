"""Fast start (issue 14): what a gapbench process imports before it has work that needs it.

`import harness.cli` builds every command's parser, and a rerun of a finished sweep plans and
closes it from a few store reads; neither may import the analysis stack (scipy, pandas), an
engine (inspect_ai, lm_eval) or a provider SDK (openai, anthropic): each costs seconds of a
rerun that should take about one. Checked in child processes (sys.modules of a fresh
interpreter). The CLI's copies of the analysis choices (cli/spec_options.py) are checked
against harness.analysis.spec here too, since the light module cannot import them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from harness import api, exitcodes
from harness.analysis.spec import AVERAGINGS, CENSORINGS, OWN_ROWS, PRIMARY
from harness.cli import spec_options
from harness.store import Store
from tests.cli.conftest import REPO
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

HEAVY = ("scipy", "pandas", "inspect_ai", "inspect_evals", "lm_eval", "openai", "anthropic")
HEAVY_HARNESS = ("harness.analysis", "harness.report")


def _imported_by(code: str, env: dict[str, str] | None = None) -> dict[str, object]:
    """Run `code` in a fresh interpreter; the heavy modules it left in sys.modules, and what
    the code put in the variable `result`."""
    script = (
        "import json, sys\nresult = None\n"
        + code
        + "\nheavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        + repr(HEAVY)
        + " or m.startswith("
        + repr(HEAVY_HARNESS)
        + "))\nprint(json.dumps({'heavy': heavy, 'result': result}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return out


def test_the_cli_copies_of_the_analysis_choices_match_harness_analysis() -> None:
    assert tuple(CENSORINGS) == spec_options.CENSORING_CHOICES
    assert tuple(AVERAGINGS) == spec_options.AVERAGING_CHOICES
    assert tuple(OWN_ROWS) == spec_options.OWN_ROWS_CHOICES
    defaults = dict(spec_options.PRIMARY_DEFAULTS)
    since = defaults.pop("since")
    assert PRIMARY.since == (date.fromisoformat(str(since)) if since else None)
    assert defaults == {k: getattr(PRIMARY, k) for k in defaults}
    # and every option the CLI offers has its default shown
    assert set(spec_options.PRIMARY_DEFAULTS) == {
        "since",
        "censoring",
        "averaging",
        "own_rows",
        "replicates",
        "curve_replicates",
        "power_simulations",
        "seed",
        "ci",
    }


def test_import_harness_cli_and_the_analysis_options_import_nothing_heavy() -> None:
    got = _imported_by("import harness.cli\nimport harness.api\n")
    assert got["heavy"] == [], got["heavy"]
    # `report --help` shows the analysis options without importing harness.analysis
    got = _imported_by(
        "from harness.cli import main\n"
        "try:\n    main(['report', '--help'])\nexcept SystemExit:\n    pass\n"
    )
    assert got["heavy"] == [], got["heavy"]


def test_rerunning_a_finished_sweep_imports_no_engine_sdk_or_analysis(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    ws = workspace(tmp_path, fake_api)
    body = "name: lazy\nmodels: [fake-gpt]\nsuites: [ladder_standard, ladder_agentic]\nlimit: 2\n"
    sweep = sweep_file(tmp_path, body)
    first = api.run_sweep(sweep, ws=ws)
    assert first.exit_code == exitcodes.OK and first.upstream_calls > 0
    env = {
        "GAPBENCH_REGISTRY": str(ws.settings.registry_path),
        "GAPBENCH_RESULTS_DIR": str(ws.settings.results_dir),
        "GAPBENCH_CACHE_DIR": str(ws.settings.cache_dir),
        "GAPBENCH_REPORTS_DIR": str(ws.settings.reports_dir),
    }
    got = _imported_by(
        f"from harness.cli import main\nresult = main(['run', {str(sweep)!r}])\n", env=env
    )
    assert got["result"] == exitcodes.OK
    assert got["heavy"] == [], got["heavy"]
    # A fresh results folder sharing the cache copies both runs' rows (and the agentic
    # transcripts) from the rows cache: no engine, SDK or analysis either.
    fresh = tmp_path / "fresh-results"
    got = _imported_by(
        f"from harness.cli import main\nresult = main(['run', {str(sweep)!r}])\n",
        env={**env, "GAPBENCH_RESULTS_DIR": str(fresh)},
    )
    assert got["result"] == exitcodes.OK
    # pandas aside: DuckDB imports it to scan the Arrow tables that stand in for an empty
    # folder's views (0.2 s, once per fresh folder)
    heavy = got["heavy"]
    assert isinstance(heavy, list) and not [m for m in heavy if not m.startswith("pandas")], heavy
    copied, stored = Store(fresh), Store(ws.settings.results_dir)
    assert len(copied.samples()) == len(stored.samples()) == 4
    keys = stored.samples()["sample_key"].tolist()
    assert len(copied.transcripts(keys)) == len(stored.transcripts(keys)) > 0
    # The same check fails when a finished sweep's planning asks an engine for its ids
    # (the sample-ids cache gone: inspect is imported once to fill it again).
    for f in (ws.settings.cache_dir / "sample-ids").glob("*.json"):
        f.unlink()
    got = _imported_by(
        f"from harness.cli import main\nresult = main(['run', {str(sweep)!r}])\n", env=env
    )
    assert got["result"] == exitcodes.OK and "inspect_ai" in got["heavy"]


def test_planning_a_closed_model_run_checks_its_endpoint_without_the_sdk(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str
) -> None:
    # The preflight's model listing is a plain GET (the openai SDK's import cost 0.7 s of a
    # standard run whose engine, lm-eval, never imports it); an unknown model is still found.
    ws = workspace(tmp_path, fake_api)
    sweep = sweep_file(tmp_path, "name: pre\nmodels: [fake-gpt]\nsuites: [ladder_standard]\n")
    env = {
        "GAPBENCH_REGISTRY": str(ws.settings.registry_path),
        "GAPBENCH_RESULTS_DIR": str(ws.settings.results_dir),
        "GAPBENCH_CACHE_DIR": str(ws.settings.cache_dir),
    }
    code = (
        "from harness import api\n"
        f"plan = api.plan({str(sweep)!r})\n"
        "result = [len(r.todo) for r in plan.runs]\n"
    )
    got = _imported_by(code, env=env)
    assert got["result"] == [ws.suites.get("ladder_standard").size], got["result"]
    heavy = got["heavy"]
    assert isinstance(heavy, list)
    assert not [m for m in heavy if m.split(".")[0] in ("openai", "anthropic")], heavy
    assert fake_api.n_requests == 0  # a listing is not a model call
