"""A deployment whose key stops working beside a healthy one: its circuit breaker (request path)
opens, the executor stops starting its samples, the other deployment completes, exit PARTIAL."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import api, exitcodes
from harness.store import Store
from harness.sweep.execute import execute
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

N_AUTH = 3  # the request path's breaker: consecutive auth errors before it opens
MAX_CONNECTIONS = 2


def test_a_permanent_401_deployment_is_stopped_and_the_other_completes(
    tmp_path: Path, fake_api: FakeAPI, fake_api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = workspace(tmp_path, fake_api, max_connections=MAX_CONNECTIONS, bad_key_env="REVOKED_KEY")
    monkeypatch.setenv("REVOKED_KEY", fake_api_key)  # valid while the plan checks it...
    sweep = sweep_file(
        tmp_path,
        "name: breaker\nmodels: [fake-gpt, fake-claude]\nsuites: [ladder_standard]\nlimit: 30\n",
    )
    plan = api.plan(sweep, ws=ws)
    monkeypatch.setenv("REVOKED_KEY", "sk-revoked")  # ...and revoked before the run
    out = execute(plan, ws.settings)

    by_model = {r.run.card.id: r for r in out.runs}
    assert by_model["fake-gpt"].status == "complete"
    bad = by_model["fake-claude"]
    assert bad.status in ("partial", "failed") and "circuit breaker" in (bad.message or "")
    # Stopped within N calls (plus those already in flight when it opened), not 30.
    refused = fake_api.outcomes()["401"]
    assert N_AUTH <= refused <= N_AUTH + MAX_CONNECTIONS
    assert out.exit_code == exitcodes.PARTIAL
    assert any("fake-claude" in line and "circuit breaker" in line for line in out.summary_lines())
    df = Store(ws.settings.results_dir).samples()
    assert (df[df["model_id"] == "fake-gpt"]["status"] == "scored").sum() == 30
    assert len(df[df["model_id"] == "fake-claude"]) < 30  # the rest waits for a later command
    runs = Store(ws.settings.results_dir).runs().set_index("model_id")
    assert "circuit breaker" in runs.loc["fake-claude", "message"]
