"""The answer's history: D(lag) once per kept Epoch AI hub snapshot, as the data accrued.

Every `gapbench import epoch` keeps its dump as a snapshot (harness.store.importers.
epoch_snapshots). One point per snapshot: that dump's rows as the importer makes them
(`snapshot_frame`), plus every stored row that is not from the Epoch hub (your own runs, other
imports), analysed under one specification by the same code as the answer (prepare, then the
understatement test: `answer.run_tests`). The points differ only by the hub's data, and the
newest snapshot's point is the answer's own D (the store's Epoch rows follow the newest dump).
Each point is dated by the dump's own date (`data_as_of`: its newest run), not by when it
was retrieved.

With one snapshot there is no history to draw: one row says so (status "one snapshot") and
nothing is recomputed. With none (a store whose Epoch rows were imported before snapshots
were kept, or no Epoch rows at all) the table is empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from harness.analysis.answer import run_tests
from harness.analysis.columns import empty
from harness.analysis.measures.hub_links import HubLinks
from harness.analysis.measures.scores import own_task_matrices
from harness.analysis.prepare import prepare
from harness.analysis.spec import MEASURE_UNITS, PRIMARY, PRIMARY_MEASURE, AnalysisSpec
from harness.errors import UserError

EPOCH_SOURCE = "imported:epoch"
HISTORY_COLUMNS = [
    "snapshot",
    "dump_version",
    "data_as_of",
    "retrieved_at",
    "rows",
    "current",
    "measure",
    "unit",
    "d",
    "ci_low",
    "ci_high",
    "p_one_sided",
    "n_agentic",
    "n_standard",
    "status",
    "reason",
]
ONE_SNAPSHOT = "one snapshot"


def snapshot_d(
    frame: pd.DataFrame,
    others: pd.DataFrame,
    spec: AnalysisSpec,
    *,
    hub: HubLinks | None = None,
    null_baselines: Mapping[str, float] | None = None,
) -> dict[str, object]:
    """The D(lag) row of one snapshot's rows plus the other rows, under `spec`."""
    rows = pd.concat([frame, others], ignore_index=True) if not others.empty else frame
    try:
        prep = prepare(rows, spec, null_baselines=null_baselines, hub=hub)
    except UserError as exc:  # e.g. --benchmarks names a benchmark this dump did not have yet
        return {"status": "insufficient", "reason": str(exc)}
    tests = run_tests(prep, spec, own_task_matrices(prep.samples, prep.scores))
    lag = tests[tests["measure"] == PRIMARY_MEASURE]
    if lag.empty:
        return {"status": "insufficient", "reason": "no data"}
    return lag.iloc[0].to_dict()


def d_history(
    results_dir: Path,
    samples: pd.DataFrame,
    spec: AnalysisSpec = PRIMARY,
    *,
    hub: HubLinks | None = None,
    null_baselines: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """HISTORY_COLUMNS, one row per kept Epoch snapshot, oldest first (module doc).

    samples: the rows the answer read (Store.samples()); their Epoch rows are replaced by
    each snapshot's. Empty when the samples hold no Epoch rows (the answer does not read the
    hub) or no snapshot is kept. Raises StoreError / ConfigError (one line naming the file)
    for a snapshot that does not read.
    """
    from harness.store.importers.epoch_snapshots import list_snapshots, snapshot_frame

    if samples.empty or "source" not in samples:
        return empty(HISTORY_COLUMNS)
    source = samples["source"].astype(str)
    if not (source == EPOCH_SOURCE).any():
        return empty(HISTORY_COLUMNS)
    snaps = list_snapshots(Path(results_dir))
    others = samples[source != EPOCH_SOURCE]
    out = []
    for i, snap in enumerate(snaps):
        row: Mapping[str, object]
        if len(snaps) == 1:
            row = {
                "status": ONE_SNAPSHOT,
                "reason": "one Epoch hub snapshot so far: the answer is its D; a history "
                "needs a second refresh (gapbench import epoch --from URL, or nightly "
                "--refresh-hub)",
            }
        else:
            row = snapshot_d(
                snapshot_frame(Path(results_dir), snap),
                others,
                spec,
                hub=hub,
                null_baselines=null_baselines,
            )
        out.append(
            {
                "snapshot": snap.id,
                "dump_version": snap.dump_version,
                "data_as_of": snap.data_as_of or snap.retrieved_at.date(),
                "retrieved_at": snap.retrieved_at.isoformat(),
                "rows": snap.rows,
                "current": i == len(snaps) - 1,
                "measure": PRIMARY_MEASURE,
                "unit": MEASURE_UNITS[PRIMARY_MEASURE],
                "d": row.get("d"),
                "ci_low": row.get("ci_low"),
                "ci_high": row.get("ci_high"),
                "p_one_sided": row.get("p_value", row.get("p_one_sided")),
                "n_agentic": row.get("n_agentic"),
                "n_standard": row.get("n_standard"),
                "status": row.get("status"),
                "reason": row.get("reason") or "",
            }
        )
    return pd.DataFrame(out, columns=HISTORY_COLUMNS) if out else empty(HISTORY_COLUMNS)
