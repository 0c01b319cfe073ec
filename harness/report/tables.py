"""Analysis tables made ready to print: documented columns present, rows as dicts, in order.

Selection and ordering only (which rows fit a page, in which order): no statistics here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from harness.analysis.tables import ReportTables, empty
from harness.report import _format as fmt


def _table_fields() -> dict[str, list[str]]:
    """Each DataFrame field of ReportTables with its documented columns (from its default).

    Read from the dataclass itself so that a table analysis adds is written to data/ without
    a change here.
    """
    out: dict[str, list[str]] = {}
    for f in dataclasses.fields(ReportTables):
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
            if isinstance(default, pd.DataFrame):
                out[f.name] = [str(c) for c in default.columns]
    return out


COLUMNS = _table_fields()
TABLE_NAMES: tuple[str, ...] = tuple(COLUMNS)

# Display order of each table's rows.
ORDER: dict[str, tuple[list[str], list[bool] | bool]] = {
    "scores": (["suite", "score", "model_id"], [True, False, True]),
    "understatement": (["measure", "window_start"], True),
    "frontier": (["kind", "benchmark", "access", "date"], True),
    "gaps": (["kind", "benchmark", "date"], True),
    "lags": (["kind", "benchmark", "threshold"], True),
    "horizons": (["suite", "h50"], [True, False]),
    "passk": (["suite", "model_id", "k"], True),
    "ladder": (["closed_model", "open_model", "h"], True),
    "catchup": (["kind", "benchmark", "scale", "level_low"], True),
    "horizon_gap": (["suite", "closed_model", "open_model"], True),
    "flags": (["scope", "item"], True),
    "drift": (["model_id", "suite", "ran_at"], True),
    "published_horizons": (["benchmark", "release_date"], True),
}


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value (NaN, NA, NaT) turned into None."""
    return [
        {k: (None if fmt.is_missing(v) else v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


def sorted_rows(
    df: pd.DataFrame, by: list[str], ascending: list[bool] | bool = True
) -> pd.DataFrame:
    cols = [c for c in by if c in df.columns]
    if df.empty or not cols:
        return df
    asc = (
        ascending
        if isinstance(ascending, bool)
        else [a for c, a in zip(by, ascending, strict=True) if c in cols]
    )
    keyed = df.copy()
    for c in cols:  # object columns of numbers sort as numbers; anything else as text
        if pd.api.types.is_numeric_dtype(keyed[c]):
            continue
        as_num = pd.to_numeric(keyed[c], errors="coerce")
        if as_num.notna().sum() == keyed[c].notna().sum():
            keyed[c] = as_num
        else:  # mixed types (str ids, dates, NaN) must not make sorting raise
            keyed[c] = keyed[c].map(lambda v: "" if fmt.is_missing(v) else str(v))
    order = keyed.sort_values(cols, ascending=asc, na_position="last", kind="stable").index
    return df.loc[order]


def normalised(tables: ReportTables) -> ReportTables:
    """Each table with at least its documented columns (missing ones filled with None)."""
    fixed = {}
    for name, columns in COLUMNS.items():
        df: pd.DataFrame | None = getattr(tables, name)
        if df is None:
            df = empty(columns)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            df = df.assign(**{c: None for c in missing})
        fixed[name] = df.reset_index(drop=True)
    return dataclasses.replace(tables, **fixed)


def ordered(tables: ReportTables) -> dict[str, pd.DataFrame]:
    out = {}
    for name in COLUMNS:
        by, asc = ORDER.get(name, ([], True))
        out[name] = sorted_rows(getattr(tables, name), by, asc)
    return out


def scales(tables: ReportTables) -> dict[str, str]:
    """benchmark -> scale ("fraction" | "horizon" | ...) as analysis labelled it."""
    out: dict[str, str] = {}
    for name in ("gaps", "lags", "scores"):
        df = getattr(tables, name)
        col = "scale" if "scale" in df.columns else "unit" if "unit" in df.columns else None
        key = "benchmark" if "benchmark" in df.columns else "suite"
        if col is None or df.empty:
            continue
        for bench, scale in df[[key, col]].dropna().drop_duplicates().itertuples(index=False):
            out.setdefault(str(bench), "horizon" if str(scale) == "minutes" else str(scale))
    return out


def is_fraction(row: dict[str, Any], scale_of: dict[str, str]) -> bool:
    """A score row that belongs on a 0-1 axis (never minutes, never an unknown scale > 1)."""
    bench = str(row.get("benchmark") or row.get("suite"))
    scale = scale_of.get(bench, scale_of.get(str(row.get("suite")), "fraction"))
    if scale != "fraction":
        return False
    score = row.get("score")
    return score is None or -1e-9 <= float(score) <= 1 + 1e-9
