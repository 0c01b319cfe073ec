"""Store-level queries behind `gapbench results`: a summary table and exports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from harness.errors import StoreError
from harness.store.store import Store

SUMMARY_COLUMNS = [
    "sweep_id", "model_id", "access", "suite", "kind", "source",
    "rows", "scored", "errors", "limits", "mean_score", "cost_usd",
]  # fmt: skip

_SUMMARY_SQL = """
SELECT sweep_id, model_id, access, suite, kind, source,
       count(*) AS rows,
       count(*) FILTER (WHERE status = 'scored') AS scored,
       count(*) FILTER (WHERE status = 'error') AS errors,
       count(*) FILTER (WHERE status = 'limit') AS limits,
       avg(score) FILTER (WHERE status IN ('scored', 'limit')) AS mean_score,
       sum(cost_usd) AS cost_usd
FROM samples
GROUP BY ALL
ORDER BY sweep_id, suite, access, model_id, source
"""


def summary(store: Store) -> pd.DataFrame:
    """One row per (sweep, model, suite, source): counts by status, mean score, total cost.

    mean_score averages scored and limit rows (a limit is a failed task; errors are counted,
    never scored as wrong); for imported horizon benchmarks it is in minutes. cost_usd is null when no row
    of the group has a known cost.
    """
    df = store.query(_SUMMARY_SQL).to_pandas()
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SUMMARY_COLUMNS})
    for col in ("rows", "scored", "errors", "limits"):
        df[col] = df[col].astype("int64")
    return df[SUMMARY_COLUMNS]


ExportFormat = Literal["csv", "parquet"]


def export(
    store: Store, path: Path, format: ExportFormat, table: Literal["samples", "runs"] = "samples"
) -> int:
    """Write every (deduplicated) row of a table to one file, atomically; return the row count."""
    tbl = store.query(f"SELECT * FROM {table}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if format == "parquet":
            pq.write_table(tbl, tmp, compression="zstd")
        elif format == "csv":
            pacsv.write_csv(tbl, tmp)
        else:
            raise StoreError(f"{path}: unknown export format {format!r} (csv or parquet)")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return tbl.num_rows
