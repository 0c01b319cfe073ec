"""Nightly end to end: closed models on the fake API (official SDKs, real HTTP), the ladder
suite through lm-eval, the real store, executor, lock and report; the clock is faked.

Day 1 runs everything; a second run the same day does nothing; day 2 runs only the canaries
and a newly added model; a planted canary shift raises DRIFT; a changed snapshot name raises
it too; an overlapping process exits with one line; bad input is one line, exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness import api, exitcodes
from harness.config import load_settings
from harness.nightly import FixedClock, NightlySummary
from harness.store import Store
from harness.sweep.lock import sweep_lock
from tests.fakeapi import FakeAPI, chain_policy, default_policy
from tests.fakeapi.policy import Conversation, Reply
from tests.fakeapi.registry import registry_yaml

pytestmark = pytest.mark.slow

DAY1, DAY2, DAY3, DAY4 = (date(2026, 12, d) for d in (1, 2, 3, 4))
N_MAIN = 3  # samples per main run (limit)
N_CANARY = 8  # ladder_standard's declared canaries


def write_registry(path: Path, fake: FakeAPI, models: list[str]) -> None:
    data = yaml.safe_load(registry_yaml(fake, timeout_s=10.0, max_retries=2))
    data["models"] = [m for m in data["models"] if m["id"] in models]
    data["deployments"] = [d for d in data["deployments"] if d["model"] in models]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def write_sweep(path: Path, models: list[str]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "name": "nightly-test",
                "models": models,
                "suites": ["ladder_standard"],
                "limit": N_MAIN,
            }
        )
    )
    return path


class Env:
    def __init__(self, tmp_path: Path, fake: FakeAPI) -> None:
        self.tmp, self.fake = tmp_path, fake
        self.registry = tmp_path / "models.yaml"
        self.sweep = tmp_path / "nightly-test.yaml"
        self.settings = replace(
            load_settings(tmp_path),
            registry_path=self.registry,
            results_dir=tmp_path / "results",
            reports_dir=tmp_path / "reports",
            cache_dir=tmp_path / "cache",
        )

    def setup(self, models: list[str]) -> None:
        write_registry(self.registry, self.fake, models)
        write_sweep(self.sweep, models)

    def night(self, day: date, *, render: bool = True) -> NightlySummary:
        ws = api.workspace(self.settings)
        return api.nightly(self.sweep, ws=ws, clock=FixedClock.on(day), render=render)

    @property
    def env(self) -> dict[str, str]:
        return {
            "GAPBENCH_REGISTRY": str(self.registry),
            "GAPBENCH_RESULTS_DIR": str(self.settings.results_dir),
            "GAPBENCH_REPORTS_DIR": str(self.settings.reports_dir),
            "GAPBENCH_CACHE_DIR": str(self.settings.cache_dir),
        }

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """gapbench as a scheduler starts it: its own process."""
        return subprocess.run(
            [sys.executable, "-m", "harness.cli", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            cwd=self.tmp,
            timeout=300,
        )

    def main(self, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
        """gapbench's CLI in this process (quicker; output via capsys)."""
        from harness.cli import main

        for key, value in self.env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.chdir(self.tmp)
        return main(list(args))

    def rows(self) -> tuple[int, int]:
        df = Store(self.settings.results_dir).samples()
        return int((~df["canary"]).sum()), int(df["canary"].sum())


@pytest.fixture
def env(tmp_path: Path, fake_api: FakeAPI, fake_api_key: str) -> Env:
    return Env(tmp_path, fake_api)


def slipping_for(model_prefix: str, skill: float):
    """fake-gpt answers with the given per-step skill; other models stay perfect."""
    slipping = chain_policy(skill=skill, seed=5)

    def policy(conv: Conversation) -> Reply:
        return slipping(conv) if conv.model.startswith(model_prefix) else default_policy(conv)

    return policy


def test_nightly_story(
    env: Env, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Day 1 (through the CLI, as a scheduler runs it): everything is new.
    env.setup(["fake-gpt"])
    summary_path = env.tmp / "night.json"
    proc = env.cli(
        "nightly", str(env.sweep), "--night", DAY1.isoformat(), "--json", str(summary_path)
    )
    assert proc.returncode == exitcodes.OK, proc.stdout + proc.stderr
    day1 = NightlySummary.model_validate_json(summary_path.read_text())
    assert day1.outcome == "ok" and day1.exit_code == exitcodes.OK and day1.night == DAY1
    assert sorted((r.canary, r.why, r.n_todo) for r in day1.ran) == [
        (False, "new model", N_MAIN),
        (True, "closed model, night 2026-12-01", N_CANARY),
    ]
    assert all(r.status == "complete" and r.n_written == r.n_todo for r in day1.ran)
    assert env.fake.n_requests == N_MAIN + N_CANARY
    assert day1.spend.upstream_calls == N_MAIN + N_CANARY and day1.spend.spent_usd > 0
    assert day1.report and Path(day1.report).is_file()
    assert day1.drift == []
    assert env.rows() == (N_MAIN, N_CANARY)
    # Canaries apart (issue 19.5): what people read is the sweep's own rows and runs.
    capsys.readouterr()
    assert env.main(monkeypatch, "results") == exitcodes.OK
    [line] = [ln for ln in capsys.readouterr().out.splitlines() if "fake-gpt" in ln]
    assert f" {N_MAIN} " in line, line  # rows: the sweep's 3, not 3 + 8 canaries
    assert sorted(Store(env.settings.results_dir).runs()["canary"].tolist()) == [False, True]
    stored = api.results(ws=api.workspace(env.settings), sweep="nightly-test")
    assert len(stored.samples) == N_MAIN and len(stored.runs) == 1

    # The same day again: nothing new, and it says so (exit NOTHING_NEW, no model call).
    capsys.readouterr()
    code = env.main(
        monkeypatch,
        "nightly",
        str(env.sweep),
        "--night",
        DAY1.isoformat(),
        "--json",
        str(summary_path),
    )
    out = capsys.readouterr().out
    assert code == exitcodes.NOTHING_NEW, out
    assert "nothing new" in out.splitlines()[-1]
    again = json.loads(summary_path.read_text())
    assert again["outcome"] == "nothing_new" and again["ran"] == []
    assert any("already ran" in s["reason"] for s in again["skipped"])
    assert env.fake.n_requests == N_MAIN + N_CANARY

    # Day 2, a model added: fake-gpt's canary reruns (not from the cache), fake-claude runs whole.
    env.setup(["fake-gpt", "fake-claude"])
    env.fake.reset_counts()
    day2 = env.night(DAY2, render=False)
    assert day2.outcome == "ok", day2.message
    ran = sorted((r.model_id, r.canary, r.n_todo) for r in day2.ran)
    assert ran == [
        ("fake-claude", False, N_MAIN),
        ("fake-claude", True, N_CANARY),
        ("fake-gpt", True, N_CANARY),
    ]
    assert env.fake.n_requests == N_MAIN + 2 * N_CANARY  # the canary bypassed the call cache
    assert any(
        s.what == "fake-gpt x ladder_standard" and "up to date" in s.reason for s in day2.skipped
    )
    # Every night's canary rows are kept (own sample keys), apart from the gap rows.
    assert env.rows() == (2 * N_MAIN, 3 * N_CANARY)

    # Day 3: fake-gpt changes behind its name (slips on most steps): DRIFT for it alone.
    env.fake.set_policy(slipping_for("fake-gpt", skill=0.2))
    day3 = env.night(DAY3, render=False)
    assert day3.outcome == "drift" and day3.exit_code == exitcodes.DRIFT, day3.message
    assert [(a.model_id, a.kind) for a in day3.drift] == [("fake-gpt", "score")]
    alert = day3.drift[0]
    assert alert.baseline == 1.0 and alert.score is not None and alert.score < 0.5
    assert "DRIFT fake-gpt x ladder_standard" in day3.message
    assert env.rows() == (2 * N_MAIN, 5 * N_CANARY)  # only canaries ran; main rows untouched

    # Day 4: fake-claude's API now answers with a new snapshot name (same scores): DRIFT.
    env.fake.set_snapshot("fake-claude", "fake-claude-2026-03-01")
    day4 = env.night(DAY4)
    assert day4.outcome == "drift", day4.message
    assert [(a.model_id, a.kind) for a in day4.drift] == [("fake-claude", "snapshot")]
    assert "fake-claude-2026-01-15 -> fake-claude-2026-03-01" in day4.drift[0].reason

    # The report carries the canary history and the alerts; the scores leave canaries out.
    assert day4.report is not None
    site = Path(day4.report).parent
    drift = pd.read_csv(site / "data" / "drift.csv")
    assert len(drift) == 4 + 3  # a row per canary night: fake-gpt from day 1, fake-claude day 2
    alerts = drift[drift["alert"]]
    assert sorted(zip(alerts["model_id"], alerts["kind"], strict=True)) == [
        ("fake-claude", "snapshot"),
        ("fake-gpt", "score"),
    ]
    assert "Drift" in (site / "index.html").read_text(encoding="utf-8")
    scores = pd.read_csv(site / "data" / "scores.csv")
    own = scores[scores["model_id"].isin(["fake-gpt", "fake-claude"])]
    assert len(own) == 2 and (own["n_rows"] == N_MAIN).all()


def test_an_overlapping_second_process_exits_with_one_line(env: Env) -> None:
    env.setup(["fake-gpt"])
    summary_path = env.tmp / "locked.json"
    with sweep_lock(env.settings.results_dir, "nightly-test"):  # "another process" holds it
        proc = env.cli("nightly", str(env.sweep), "--json", str(summary_path))
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == exitcodes.LOCKED and len(lines) == 1, proc.stderr
    assert "already running" in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout.strip() == ""
    assert json.loads(summary_path.read_text())["outcome"] == "locked"
    assert env.fake.n_requests == 0


@pytest.mark.parametrize(
    ("models", "suites", "needle"),
    [
        (["fake-gpt", "gpt-9"], ["ladder_standard"], "gpt-9"),
        (["fake-gpt"], ["ladder_nope"], "ladder_nope"),
    ],
    ids=["unknown-model", "unknown-suite"],
)
def test_unknown_models_or_suites_are_one_line_exit_2(
    env: Env,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    models: list[str],
    suites: list[str],
    needle: str,
) -> None:
    env.setup(["fake-gpt"])
    env.sweep.write_text(
        yaml.safe_dump({"name": "nightly-test", "models": models, "suites": suites})
    )
    summary_path = env.tmp / "bad.json"
    code = env.main(monkeypatch, "nightly", str(env.sweep), "--json", str(summary_path))
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == exitcodes.USAGE and len(lines) == 1, err
    assert needle in lines[0] and str(env.sweep.name) in lines[0]
    assert json.loads(summary_path.read_text())["outcome"] == "error"
    assert not Store(env.settings.results_dir).files("samples")
    assert env.fake.n_requests == 0
