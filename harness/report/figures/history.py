"""The answer's history: D(lag) with its CI once per Epoch hub snapshot, by the dump's date.

Draws the history table analysis gives (harness.analysis.history, HISTORY_COLUMNS) as it is.
Fewer than two points with a D is no history: nothing is drawn (the page says why instead of
showing a lone point).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.report.figures import _style as st
from harness.report.figures._types import Drawn


@st.styled
def d_history(table: pd.DataFrame) -> Drawn | None:
    """D with its CI (error bars) at each snapshot's date; the newest marked.

    Columns: data_as_of, dump_version, d, ci_low, ci_high, unit, status, current.
    """
    if table.empty or "d" not in table.columns:
        return None
    df = table.assign(_date=st.dates(table["data_as_of"]), _d=st.floats(table["d"]))
    if "status" in df.columns:
        df = df[df["status"].astype(str) == "ok"]
    df = df[df["_date"].notna() & np.isfinite(df["_d"])].sort_values("_date", kind="stable")
    if len(df) < 2:
        return None
    unit = str(df["unit"].iloc[0]) if "unit" in df.columns else "months"
    lo, hi = st.floats(df["ci_low"]), st.floats(df["ci_high"])
    d = df["_d"].to_numpy()
    fig = st.panels(1, 2.2, left=0.75)
    (ax,) = st.axes(fig, 1)
    ok = np.isfinite(lo) & np.isfinite(hi)
    dates = df["_date"].to_numpy()
    ax.errorbar(
        dates[ok],
        d[ok],
        yerr=np.vstack([d[ok] - lo[ok], hi[ok] - d[ok]]),
        fmt="none",
        ecolor=st.INK,
        elinewidth=1.0,
        capsize=3,
    )
    ax.plot(dates, d, "-o", color=st.CLOSED, markersize=5, linewidth=1.2)
    current = (
        df["current"].fillna(False).astype(bool).to_numpy()
        if "current" in df.columns
        else np.zeros(len(df), dtype=bool)
    )
    if current.any():
        ax.plot(dates[current], d[current], "D", color=st.INK, markersize=7, zorder=5)
    ax.axhline(0, color=st.INK, linewidth=0.8)
    ax.set_ylabel(f"D(lag) ({unit})")
    ax.set_title("The answer at each refresh of the hub", loc="left")
    st.date_axis(ax)
    first, last = df.iloc[0], df.iloc[-1]
    return Drawn(
        fig,
        alt=(
            f"D(lag) in {unit} at {len(df)} Epoch hub snapshots, from "
            f"{st.label(first['dump_version'], 30)} to {st.label(last['dump_version'], 30)}"
        ),
        caption=(
            f"D = gap(agentic) − gap(standard) in {unit}, threshold lag, with its confidence interval, "
            "computed from each kept Epoch AI hub dump (with your other rows) under the same "
            "specification, dated by the dump's newest run; the diamond is the current dump, "
            "whose D is the answer above. Above 0: standard benchmarks understate the gap."
        ),
    )
