"""A real rendered report over a small store (own rows for open and closed models on both
ladder forms, with canary nights), and a workspace in a temp folder."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from harness import api
from harness._types import DeploymentFacts, SampleRecord
from harness.config import load_settings
from harness.store import Store
from harness.store.keys import sample_key

MODELS = [  # (id, access, release date, skill)
    ("closed-a", "closed", date(2025, 3, 1), 0.9),
    ("closed-b", "closed", date(2025, 9, 1), 0.95),
    ("open-a", "open", date(2025, 6, 1), 0.7),
    ("open-b", "open", date(2025, 12, 1), 0.8),
]
SUITES = [("ladder_standard", "standard"), ("ladder_agentic", "agentic")]


def _record(
    model: tuple[str, str, date, float],
    suite: tuple[str, str],
    i: int,
    *,
    run_id: str,
    canary: bool = False,
    when: datetime | None = None,
) -> SampleRecord:
    mid, access, released, skill = model
    h = [1, 2, 4, 8][i % 4]
    ok = (i * 37 % 100) / 100 < skill ** (h if suite[1] == "agentic" else 1)
    sid = f"ladder-h{h:02d}-{i // 4:03d}"
    started = when or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    return SampleRecord(
        run_id=run_id,
        sample_key=sample_key(run_id, sid, 1),
        sweep_id="pub",
        model_id=mid,
        access=access,  # type: ignore[arg-type]
        release_date=released,
        suite=suite[0],
        suite_version="1",
        kind=suite[1],  # type: ignore[arg-type]
        task=suite[0],
        sample_id=sid,
        epoch=1,
        status="scored",
        engine="inspect" if suite[1] == "agentic" else "lm_eval",
        engine_version="test",
        harness_version="test",
        facts=DeploymentFacts(deployment_id=f"{mid}@api", provider="openai"),
        h=h,
        score=1.0 if ok else 0.0,
        success=ok,
        started_at=started,
        finished_at=started + timedelta(seconds=2),
        model_snapshot=f"{mid}-2026-01-15",
        canary=canary,
    )


def fill_store(root: Path) -> None:
    store = Store(root)
    records = []
    for model in MODELS:
        for suite in SUITES:
            run_id = f"{model[0]}-{suite[0]}"
            records += [_record(model, suite, i, run_id=run_id) for i in range(24)]
            if model[1] == "closed":
                for night in range(3):
                    when = datetime(2026, 11, 2 + night, 2, 30, tzinfo=UTC)
                    rid = f"{run_id}-canary-{night}"
                    records += [
                        _record(model, suite, i, run_id=rid, canary=True, when=when)
                        for i in range(8)
                    ]
    store.append_samples(records)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[api.Workspace, Path]:
    """One store and one rendered report (reports/pub/) per test module: rendering is the
    slow part, and the tests only read them (or copy them first)."""
    tmp = tmp_path_factory.mktemp("publish")
    settings = replace(
        load_settings(tmp),
        results_dir=tmp / "results",
        reports_dir=tmp / "reports",
        cache_dir=tmp / "cache",
    )
    fill_store(settings.results_dir)
    ws = api.workspace(settings)
    index = api.build_report("pub", ws=ws)
    return ws, Path(index).parent


@pytest.fixture
def workspace(built: tuple[api.Workspace, Path]) -> api.Workspace:
    return built[0]


@pytest.fixture
def report(built: tuple[api.Workspace, Path], tmp_path: Path) -> Path:
    """A copy of the rendered report folder, the test's own to change."""
    site = tmp_path / "report-pub"
    shutil.copytree(built[1], site)
    return site
