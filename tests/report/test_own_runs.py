"""The report's "Your runs on the published timeline" section, rendered from a real store: an
own run of a hub suite on the published frontier (marked as own), its calibration against the
published score with the interval methods named, and D per Epoch snapshot drawn once there are
two (one snapshot says so instead)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

from harness import api
from harness._types import DeploymentFacts, SampleRecord
from harness.analysis.intervals import SE_NORMAL, WILSON
from harness.analysis.spec import spec_from_options
from harness.store import Store
from tests.analysis.hub_dumps import dump
from tests.store.epoch_dumps import write_folder

SPEC = spec_from_options(
    since="", censoring="none", replicates=200, curve_replicates=50, power_simulations=50
)
FACTS = DeploymentFacts(deployment_id="gpt-oss-120b@vllm", provider="vllm")
OSS_DAY = date(2025, 8, 5)  # the registry card's release date
# the publisher's gpt-oss-120b (the card's first published name) on GPQA Diamond: 0.80 +- 0.03
PUBLISHED_OSS = (("gpt-oss-120b", OSS_DAY, "Open weights (unrestricted)", 0.80),)


def own_gpqa(store: Store, passed: int = 18, n: int = 20) -> None:
    """An own run of hub_gpqa_diamond (GPQA Diamond as the hub measures it) by gpt-oss-120b."""
    at = datetime(2026, 6, 1, tzinfo=UTC)
    store.append_samples(
        [
            SampleRecord(
                run_id="own-gpqa",
                sample_key=f"own-gpqa-{i}",
                sweep_id="hub_gap",
                model_id="gpt-oss-120b",
                access="open",
                release_date=OSS_DAY,
                suite="hub_gpqa_diamond",
                suite_version="1",
                kind="standard",
                task="hub_gpqa_diamond",
                sample_id=f"gpqa-{i:03d}",
                epoch=1,
                status="scored",
                engine="inspect",
                engine_version="0.3",
                harness_version="0.1.0",
                facts=FACTS,
                score=1.0 if i < passed else 0.0,
                success=i < passed,
                started_at=at,
                finished_at=at,
            )
            for i in range(n)
        ]
    )


def refresh(store: Store, tmp: Path, month: int, *, new_open: bool) -> None:
    files = dump(month, f"2026-{month:02d}-10T12:00:00Z", new_open=new_open, extra=PUBLISHED_OSS)
    api.import_results("epoch", write_folder(tmp / f"dump-{month}", files), ws=ws_of(tmp))


def ws_of(tmp: Path) -> api.Workspace:
    return api.workspace(results_dir=tmp / "results", reports_dir=tmp / "reports")


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_section_shows_the_own_point_its_calibration_and_the_history(tmp_path: Path) -> None:
    ws = ws_of(tmp_path)
    refresh(ws.store, tmp_path, 4, new_open=False)
    own_gpqa(ws.store)
    index = api.build_report("hub", ws=ws, spec=SPEC)
    site = index.parent
    html = index.read_text(encoding="utf-8")
    # one snapshot: said, not drawn
    assert 'id="history-note"' in html and "a history needs a second refresh" in html
    assert not (site / "figures" / "d-history.svg").exists()

    refresh(ws.store, tmp_path, 5, new_open=True)
    index = api.build_report("hub", ws=ws, spec=SPEC)
    site = index.parent
    html = index.read_text(encoding="utf-8")
    assert 'id="timeline"' in html and 'href="#timeline"' in html
    # the own point, on the published benchmark's frontier, raising it (0.90 over 0.80)
    (effect,) = rows_of(site / "data" / "own_effect.csv")
    assert effect["n_own_points"] == "1" and effect["n_raising"] == "1"
    assert effect["sentence"] in html
    assert "gpt-oss-120b raises the open frontier of gpqa_diamond from 0.800" in html
    (point,) = rows_of(site / "data" / "own_points.csv")
    assert (point["suite"], point["previous_model"]) == ("hub_gpqa_diamond", "gpt-oss-120b")
    # calibration: 18/20 against the card's published name, both intervals and methods named
    (cal,) = rows_of(site / "data" / "calibration.csv")
    assert (cal["model_id"], cal["published_model"], cal["verdict"]) == (
        "gpt-oss-120b",
        "gpt-oss-120b",
        "agree",
    )
    assert WILSON in html and SE_NORMAL in html and "MOVER" in html  # every method named
    # the frontier table marks the point as own on the benchmark's page
    suite_page = (site / "suites" / "gpqa_diamond.html").read_text(encoding="utf-8")
    assert "hub_gpqa_diamond" in suite_page  # the own score is listed on the benchmark
    front = [r for r in rows_of(site / "data" / "frontier.csv") if r["benchmark"] == "gpqa_diamond"]
    assert {r["model_id"]: r["source"] for r in front if r["access"] == "open"} == {
        "o-new": "imported:epoch",
        "gpt-oss-120b": "own",
    }
    # two snapshots: drawn, from the history table the analysis gave
    assert (site / "figures" / "d-history.svg").is_file()
    hist = rows_of(site / "figures" / "d-history.csv")
    assert [r["dump_version"] for r in hist] == ["epoch-hub-2026-04", "epoch-hub-2026-05"]
    assert rows_of(site / "data" / "history.csv") == hist
