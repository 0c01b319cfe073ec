"""Every suite's smoke subset runs offline against the managed SmolLM2 server, through the
same path as `gapbench run` (plan -> serve -> runner -> store).

Suites whose smoke run already has a dedicated test elsewhere are listed in COVERED, so CI
does not pay for them twice; the last test keeps that list honest.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from harness import api
from harness.config import load_settings
from harness.store import Store
from harness.suites import SuiteLimits, SuiteRegistry

pytestmark = pytest.mark.slow

COVERED = {
    "ladder_standard": "tests/runners/test_lm_eval_smollm2.py",
    "ladder_agentic": "tests/runners/test_inspect_smollm2.py",
    "humaneval": "tests/runners/test_lm_eval_smollm2.py",
    "bfcl_simple": "tests/runners/test_lm_eval_smollm2.py",
    "tau2_airline": "tests/suites/test_tau2_smoke.py",
    "bfcl_multi_turn": "tests/suites/test_bfcl_multi_turn_smoke.py",
    "agentdojo_utility": "tests/suites/test_agentdojo_utility.py",
}
# Registry tasks by name need data that is not shipped: offline they are skipped (tested in
# tests/runners/test_lm_eval_registry.py). So do the hub-benchmark suites (hub_benchmark:
# set), which run on data the tests write in tests/suites/test_hub_standard.py.
NEEDS_DOWNLOADED_DATA = {"gsm8k"}

REPO = Path(__file__).resolve().parents[2]
_SPECS = api.workspace(load_settings(REPO)).suites.suites
ALL_SUITES = [s.name for s in _SPECS]
NEEDS_DOWNLOADED_DATA |= {s.name for s in _SPECS if s.hub_benchmark}
TO_RUN = [s for s in ALL_SUITES if s not in COVERED and s not in NEEDS_DOWNLOADED_DATA]


@pytest.mark.parametrize("suite", TO_RUN)
def test_smoke_sample_runs_on_smollm2(suite: str, tmp_path: Path) -> None:
    settings = replace(
        load_settings(tmp_path),
        results_dir=tmp_path / "results",
        cache_dir=tmp_path / "cache",
        reports_dir=tmp_path / "reports",
    )
    ws = api.workspace(settings)
    # Tight limits keep a 135M model on 2 CPU cores to a turn or two (tau2's real limits allow
    # 30 minutes a sample); the run key includes limits, so these rows never mix with real ones.
    tight = SuiteLimits(max_tokens=48, message_limit=8, token_limit=9000, time_limit_s=300)
    suites = tuple(
        s.model_copy(update={"limits": tight}) if s.name == suite and s.kind == "agentic" else s
        for s in ws.suites.suites
    )
    ws = replace(ws, suites=SuiteRegistry(ws.suites.tasks_dir, suites))
    sweep = tmp_path / "smoke.yaml"
    sweep.write_text(
        f"name: smoke\nmodels: [smollm2-135m-instruct]\nsuites: [{suite}]\nsmoke: true\nlimit: 1\n"
        "user_simulator: smollm2-135m-instruct\n"
    )
    outcome = api.run_sweep(sweep, ws=ws)
    assert [r.status for r in outcome.runs] == ["complete"]
    df = Store(settings.results_dir).samples()
    assert len(df) == 1
    row = df.iloc[0]
    spec = ws.suites.get(suite)
    assert row["sample_id"] in spec.smoke
    assert row["suite_version"] == spec.version and row["kind"] == spec.kind
    # A small model may fail or run out of its limits, but the server must not have failed.
    assert row["status"] in ("scored", "limit"), row["error"]
    if spec.kind == "agentic":
        assert row["h"] >= 0
    if spec.needs_user_simulator:
        assert row["user_simulator"] == "smollm2-135m-instruct"


def test_every_suite_has_a_smoke_test() -> None:
    for suite in ALL_SUITES:
        assert (
            suite in TO_RUN or suite in NEEDS_DOWNLOADED_DATA or (REPO / COVERED[suite]).is_file()
        )
