"""`gapbench nightly SWEEP --refresh-hub URL`: the night first imports Epoch's hub dump from a
loopback HTTP server; a new dump is kept as a snapshot and re-renders the report even when the
sweep has nothing new, the same dump again changes nothing, and a refresh that cannot happen
(offline) makes the night partial with one line, while the sweep's runs still go on."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml

from harness import api, exitcodes
from harness.config import load_settings
from harness.nightly import FixedClock, NightlyContext, NightlySummary, run_night
from harness.nightly.refresh import DEFAULT_HUB_URL
from harness.store import Store
from harness.store.importers.epoch import EPOCH_ZIP_URL
from harness.store.importers.epoch_snapshots import latest_snapshot, list_snapshots
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import registry_yaml
from tests.store.epoch_dumps import DUMP_1, DUMP_2, serve, write_zip

DAY = date(2026, 12, 1)


@pytest.fixture
def hub(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    write_zip(site / "04" / "benchmark_data.zip", DUMP_1())
    write_zip(site / "05" / "benchmark_data.zip", DUMP_2())
    return site


def workspace(tmp_path: Path, fake: FakeAPI) -> api.Workspace:
    registry = tmp_path / "models.yaml"
    data = yaml.safe_load(registry_yaml(fake))
    data["models"] = [m for m in data["models"] if m["id"] == "fake-gpt"]
    data["deployments"] = [d for d in data["deployments"] if d["model"] == "fake-gpt"]
    registry.write_text(yaml.safe_dump(data, sort_keys=False))
    settings = replace(
        load_settings(tmp_path),
        registry_path=registry,
        results_dir=tmp_path / "results",
        reports_dir=tmp_path / "reports",
        cache_dir=tmp_path / "cache",
    )
    return api.workspace(settings)


def test_nights_that_refresh_the_hub(
    hub: Path,
    tmp_path: Path,
    fake_api: FakeAPI,
    fake_api_key: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ws = workspace(tmp_path, fake_api)
    sweep = tmp_path / "hub-night.yaml"
    sweep.write_text("name: hub-night\nmodels: [fake-gpt]\nsuites: [ladder_standard]\nlimit: 1\n")
    ctx = NightlyContext(ws.settings, ws.registry, ws.suites)
    rendered: list[str] = []

    def render(name: str) -> Path:  # stands for the report: counts when the night asks
        rendered.append(name)
        return tmp_path / "reports" / name / "index.html"

    def night(source: str) -> NightlySummary:
        return run_night(sweep, ctx, clock=FixedClock.on(DAY), render=render, hub_source=source)

    with serve(hub) as base:
        first = night(f"{base}/04/benchmark_data.zip")
        # the sweep's work ran, and the hub's dump is the first snapshot
        assert first.outcome == "ok" and first.ran and len(rendered) == 1
        assert first.hub_refresh is not None and first.hub_refresh.outcome == "new"
        assert first.hub_refresh.dump_version == "epoch-hub-2026-04"

        second = night(f"{base}/05/benchmark_data.zip")
        # nothing of the sweep is left tonight, but a new dump: analysis and report again
        assert second.outcome == "ok" and second.exit_code == exitcodes.OK and not second.ran
        assert "hub refreshed: snapshot" in second.message and len(rendered) == 2
        assert second.hub_refresh is not None and second.hub_refresh.rows_written == 6
        assert second.hub_refresh.snapshots == 2

        third = night(f"{base}/05/benchmark_data.zip")
        assert third.outcome == "nothing_new" and len(rendered) == 2
        assert third.hub_refresh is not None and third.hub_refresh.outcome == "unchanged"
        assert "already imported" in third.hub_refresh.message

        monkeypatch.setenv("GAPBENCH_OFFLINE", "1")
        offline = night(f"{base}/05/benchmark_data.zip")
    assert offline.outcome == "partial" and offline.exit_code == exitcodes.PARTIAL
    assert offline.hub_refresh is not None and offline.hub_refresh.failed
    (skip,) = [s for s in offline.skipped if s.what == "hub refresh"]
    assert "offline" in skip.reason and "\n" not in skip.reason

    # two snapshots, the store's Epoch rows are the newest dump's, and the JSON says so
    snaps = list_snapshots(ws.settings.results_dir)
    assert [s.dump_version for s in snaps] == ["epoch-hub-2026-04", "epoch-hub-2026-05"]
    assert latest_snapshot(ws.settings.results_dir) == snaps[-1]
    epoch = Store(ws.settings.results_dir).samples(source="imported:epoch")
    assert set(epoch["suite_version"]) == {"epoch-hub-2026-05"}
    out = second.write_json(tmp_path / "night.json")
    data = json.loads(out.read_text())
    assert data["hub_refresh"]["snapshot"] == snaps[-1].id


def test_cli_flag_defaults_to_epochs_public_zip() -> None:
    from harness.cli import build_parser

    args = build_parser().parse_args(["nightly", "demo", "--refresh-hub"])
    assert args.refresh_hub == DEFAULT_HUB_URL == EPOCH_ZIP_URL
    args = build_parser().parse_args(["nightly", "demo", "--refresh-hub", "http://x/d.zip"])
    assert args.refresh_hub == "http://x/d.zip"
    assert build_parser().parse_args(["nightly", "demo"]).refresh_hub is None
