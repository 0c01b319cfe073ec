"""D over time (issue 20.4): two refreshes of the hub replayed (two Epoch dumps imported, each
kept as a snapshot), one point per snapshot with the D computed by hand, the newest equal to
the answer's own D; one snapshot says so instead of drawing a lone point."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from harness.analysis.answer import answer
from harness.analysis.history import HISTORY_COLUMNS, ONE_SNAPSHOT, d_history
from harness.analysis.spec import spec_from_options
from harness.store import Store
from harness.store.importers import import_epoch
from tests.analysis.hub_dumps import dump
from tests.analysis.hub_synth import AGENTIC_LAG_DAYS, HAND, STANDARD_LAG_DAYS, months
from tests.store.epoch_dumps import write_folder

D_FIRST = months(AGENTIC_LAG_DAYS) - months(STANDARD_LAG_DAYS)
D_SECOND = months(AGENTIC_LAG_DAYS) - (3 * months(STANDARD_LAG_DAYS) + months(90)) / 4


def refresh(store: Store, tmp: Path, month: int, started: str, *, new_open: bool) -> None:
    folder = write_folder(tmp / f"dump-{month}", dump(month, started, new_open=new_open))
    import_epoch(folder, store)


def test_two_refreshes_give_two_points_with_the_d_of_each_dump(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    refresh(store, tmp_path, 4, "2026-04-10T12:00:00Z", new_open=False)
    one = d_history(store.root, store.samples(), HAND)
    assert list(one.columns) == HISTORY_COLUMNS
    (only,) = one.to_dict("records")
    assert only["status"] == ONE_SNAPSHOT and only["d"] is None and only["current"]
    assert "a history needs a second refresh" in only["reason"]

    refresh(store, tmp_path, 5, "2026-05-12T12:00:00Z", new_open=True)
    rows = store.samples()
    hist = d_history(store.root, rows, HAND)
    assert list(hist["dump_version"]) == ["epoch-hub-2026-04", "epoch-hub-2026-05"]
    assert list(hist["data_as_of"]) == [date(2026, 4, 10), date(2026, 5, 12)]
    assert list(hist["status"]) == ["ok", "ok"] and list(hist["current"]) == [False, True]
    first, second = hist["d"]
    assert first == pytest.approx(D_FIRST, abs=1e-12)  # the first dump, not the store's rows
    assert second == pytest.approx(D_SECOND, abs=1e-12)
    assert (hist["n_agentic"] == 4).all() and (hist["n_standard"] == 4).all()
    # the newest point is the answer's own D, CI and all (the store follows the newest dump)
    ans = answer(rows, HAND)
    assert ans.primary["d"] == pytest.approx(second, abs=1e-12)
    assert (ans.primary["ci_low"], ans.primary["ci_high"]) == pytest.approx(
        (hist["ci_low"].iloc[1], hist["ci_high"].iloc[1]), abs=1e-12
    )


def test_the_api_answer_and_report_carry_the_history(tmp_path: Path) -> None:
    from harness import api

    ws = api.workspace(results_dir=tmp_path / "results")
    refresh(ws.store, tmp_path, 4, "2026-04-10T12:00:00Z", new_open=False)
    refresh(ws.store, tmp_path, 5, "2026-05-12T12:00:00Z", new_open=True)
    spec = spec_from_options(
        since="", censoring="none", replicates=200, curve_replicates=50, power_simulations=50
    )
    doc = json.loads(api.answer(ws, spec).to_json())
    assert [p["d"] for p in doc["history"]] == pytest.approx([D_FIRST, D_SECOND], abs=1e-12)
    assert [p["data_as_of"] for p in doc["history"]] == ["2026-04-10", "2026-05-12"]
    tables = api.analyze(ws, spec=spec)
    assert list(tables.history["d"]) == pytest.approx([D_FIRST, D_SECOND], abs=1e-12)
    # an analysis of one sweep's rows reads no hub rows: no history to compute
    assert api.analyze(ws, sweep="nothing", spec=spec).history.empty


def test_the_cli_shows_the_history_and_takes_own_rows(tmp_path: Path, capsys) -> None:
    from harness import exitcodes
    from harness.cli import main

    store = Store(tmp_path / "results")
    refresh(store, tmp_path, 4, "2026-04-10T12:00:00Z", new_open=False)
    refresh(store, tmp_path, 5, "2026-05-12T12:00:00Z", new_open=True)
    quick = ["--since", "", "--censoring", "none", "--replicates", "200"]
    quick += ["--curve-replicates", "50", "--power-simulations", "50"]
    args = ["analyze", "--results-dir", str(store.root), *quick]
    capsys.readouterr()
    assert main([*args, "--own-rows", "none"]) == exitcodes.OK
    out = capsys.readouterr().out
    assert "D(lag) per Epoch hub snapshot" in out
    assert "epoch-hub-2026-04" in out and "epoch-hub-2026-05" in out
    assert main([*args, "--own-rows", "most"]) == exitcodes.USAGE
    err = capsys.readouterr().err
    assert "--own-rows" in err and "Traceback" not in err


def test_a_snapshot_without_a_chosen_benchmark_is_insufficient_not_an_error() -> None:
    import pandas as pd

    from harness.analysis.history import snapshot_d
    from tests.analysis.hub_synth import frame, timeline

    spec = spec_from_options(benchmarks="gpqa_diamond,arc_agi_9", base=HAND)
    row = snapshot_d(frame(timeline()), pd.DataFrame(), spec)
    assert row["status"] == "insufficient" and "arc_agi_9" in str(row["reason"])
