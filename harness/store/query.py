"""Store-level queries behind `gapbench results`: a summary table and exports."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from harness._text import csv_safe_table
from harness.errors import UserError
from harness.store.store import Store

if TYPE_CHECKING:  # pandas is imported where a DataFrame is made (every CLI start imports
    import pandas as pd  # this module; issue 14, fast start)

SUMMARY_COLUMNS = [
    "sweep_id", "model_id", "access", "suite", "kind", "source",
    "rows", "scored", "errors", "limits", "mean_score", "cost_usd",
]  # fmt: skip

# A row counts for every sweep it belongs to (membership, or the sweep that wrote it);
# imported rows (no sweep) once, under sweep_id ''.
_SUMMARY_SQL = """
WITH rows AS (
    SELECT coalesce(m.sweep_id, s.sweep_id) AS sweep_id, s.*
    FROM samples s LEFT JOIN sweep_members m USING (sample_key)
    {where}
)
SELECT sweep_id, model_id, access, suite, kind, source, {canary}
       count(*) AS rows,
       count(*) FILTER (WHERE status = 'scored') AS scored,
       count(*) FILTER (WHERE status = 'error') AS errors,
       count(*) FILTER (WHERE status = 'limit') AS limits,
       avg(score) FILTER (WHERE status IN ('scored', 'limit')) AS mean_score,
       sum(cost_usd) AS cost_usd
FROM rows
GROUP BY ALL
ORDER BY sweep_id, suite, access, model_id, source
"""

# Canary rows (nightly drift checks) are not results: reads for people leave them out.
NOT_CANARY = "NOT coalesce(canary, false)"


def summary(store: Store, *, include_canaries: bool = False) -> pd.DataFrame:
    """One row per (sweep, model, suite, source): counts by status, mean score, total cost.

    A row shared by two sweeps (the second reused it) counts in both. mean_score averages
    scored and limit rows (a limit is a failed task; errors are counted, never scored as
    wrong); for imported horizon benchmarks it is in minutes. cost_usd is null when no row of
    the group has a known cost. Nightly canary rows are left out unless include_canaries
    (then they are groups of their own, `canary` true).
    """
    import pandas as pd

    columns = SUMMARY_COLUMNS[:6] + (["canary"] if include_canaries else []) + SUMMARY_COLUMNS[6:]
    sql = _SUMMARY_SQL.format(
        where="" if include_canaries else f"WHERE {NOT_CANARY}",
        canary="coalesce(canary, false) AS canary," if include_canaries else "",
    )
    df = store.query(sql).to_pandas()
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    for col in ("rows", "scored", "errors", "limits"):
        df[col] = df[col].astype("int64")
    return df[columns]


ExportFormat = Literal["csv", "parquet", "json", "jsonl"]
EXPORT_FORMATS: tuple[str, ...] = get_args(ExportFormat)
ExportTable = Literal["samples", "runs", "run_history", "membership", "transcripts"]


def _export_sql(table: ExportTable, include_canaries: bool) -> str:
    order = " ORDER BY written_at" if table == "run_history" else ""
    if include_canaries or table == "membership":
        return f"SELECT * FROM {table}{order}"
    if table == "transcripts":
        return (
            "SELECT * FROM transcripts WHERE sample_key NOT IN "
            "(SELECT sample_key FROM samples_all WHERE canary)"
        )
    return f"SELECT * FROM {table} WHERE {NOT_CANARY}{order}"


def format_of(path: Path) -> ExportFormat:
    """The export format a file name asks for; UserError (one line, exit 2) otherwise."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in EXPORT_FORMATS:
        shown = f"'.{suffix}'" if suffix else "no extension"
        raise UserError(
            f"{path}: cannot tell the export format from {shown} "
            f"(use .csv, .parquet, .json or .jsonl)"
        )
    return suffix  # type: ignore[return-value]


def _json_safe(tbl: pa.Table) -> pd.DataFrame:
    return tbl.to_pandas(date_as_object=True, types_mapper=None)


def export(
    store: Store,
    path: Path,
    format: ExportFormat | None = None,
    table: ExportTable = "samples",
    *,
    include_canaries: bool = False,
) -> int:
    """Write every row of a table as reads see it (samples: newest attempt per key; runs: a
    dead process's running attempt as interrupted) to one file, atomically; return the row
    count. The format defaults to the file's extension: csv, parquet, json (one array of
    objects) or jsonl (one object per line). Nightly canary rows and runs (and their
    transcripts) are left out unless include_canaries."""
    path = Path(path)
    fmt = format or format_of(path)
    if fmt not in EXPORT_FORMATS:
        raise UserError(f"{path}: unknown export format {fmt!r} (csv, parquet, json, jsonl)")
    tbl = store.query(_export_sql(table, include_canaries))
    tbl = tbl.drop_columns([c for c in ("filename", "file_row_number") if c in tbl.column_names])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if fmt == "parquet":
            pq.write_table(tbl, tmp, compression="zstd")
        elif fmt == "csv":
            if table == "transcripts":
                raise UserError(
                    f"{path}: transcripts hold nested messages; export them as json, jsonl or parquet"
                )
            # strings a spreadsheet would run as formulas get a leading ' (numbers stay)
            pacsv.write_csv(csv_safe_table(tbl), tmp)
        else:
            df = _json_safe(tbl)
            df.to_json(
                tmp, orient="records", lines=fmt == "jsonl", date_format="iso", force_ascii=False
            )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return tbl.num_rows
