"""Figures over calendar time: the gap per kind, one benchmark's frontier, time horizons."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from harness.report.figures import _style as st
from harness.report.figures._types import Drawn

# Names analysis may give the trend table's centre line and band, most specific first.
_GAP_MID = ("score_gap_median", "score_gap")
_GAP_BAND = (("score_gap_q25", "score_gap_q75"), ("score_gap_low", "score_gap_high"))
_LAG_MID = ("lag_months_median", "lag_median", "lag_months")
_LAG_BAND = (
    ("lag_months_q25", "lag_months_q75"),
    ("lag_q25", "lag_q75"),
    ("lag_months_low", "lag_months_high"),
)


def _first(df: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    return next((n for n in names if n in df.columns), None)


def _band(df: pd.DataFrame, pairs: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    return next((p for p in pairs if p[0] in df.columns and p[1] in df.columns), None)


def _kind_lines(
    ax: Axes, df: pd.DataFrame, mid: str, band: tuple[str, str] | None, ylabel: str
) -> bool:
    drawn = False
    for kind, part in df.groupby(df["kind"].astype(str), sort=True):
        part = part.sort_values("_date")
        y = st.floats(part[mid])
        ok = np.isfinite(y)
        if not ok.any():
            continue
        s = st.kind_style(kind)
        x = part["_date"].to_numpy()
        if band is not None:
            lo, hi = st.floats(part[band[0]]), st.floats(part[band[1]])
            good = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(x[good], lo[good], hi[good], color=s.colour, alpha=0.18, linewidth=0)
        ax.plot(
            x[ok],
            y[ok],
            color=s.colour,
            linestyle=s.line,
            marker=s.marker,
            markersize=3.5,
            linewidth=1.6,
            label=kind,
        )
        drawn = True
    ax.axhline(0, color=st.INK, linewidth=0.8)
    ax.set_ylabel(ylabel)
    st.date_axis(ax)
    return drawn


@st.styled
def gap_over_time(trend: pd.DataFrame) -> Drawn | None:
    """Per kind: the score gap and the lag over calendar time, a line with its band."""
    if trend.empty:
        return None
    df = trend.assign(_date=st.dates(trend["period_end"]))
    df = df[df["_date"].notna()]
    gap_mid, lag_mid = _first(df, _GAP_MID), _first(df, _LAG_MID)
    gap_band, lag_band = _band(df, _GAP_BAND), _band(df, _LAG_BAND)
    fig = st.panels(2, 1.7, left=0.7)
    top, bottom = st.axes(fig, 2)
    any_gap = gap_mid is not None and _kind_lines(top, df, gap_mid, gap_band, "score gap (points)")
    any_lag = lag_mid is not None and _kind_lines(bottom, df, lag_mid, lag_band, "lag (months)")
    if not any_gap and not any_lag:
        return None
    if any_gap and any_lag:  # one time axis for both panels: a date lines up top to bottom
        lo = min(top.get_xlim()[0], bottom.get_xlim()[0])
        hi = max(top.get_xlim()[1], bottom.get_xlim()[1])
        top.set_xlim(lo, hi)
        bottom.set_xlim(lo, hi)
    top.set_title("Score gap, closed − open frontier", loc="left")
    bottom.set_title("Lag: months until an open model matched", loc="left")
    st.kind_legend(top, loc="upper left")
    centre = "median" if gap_mid and gap_mid.endswith("median") else "mean"
    band_words = (
        "; the band is the middle half (25th–75th percentile) of the benchmarks (score gap) "
        "and of the quarter's lag datapoints (lag)"
        if gap_band or lag_band
        else ""
    )
    return Drawn(
        fig,
        alt=(
            "Two panels over calendar time: the closed-minus-open score gap and the lag in "
            "months, one line per kind of benchmark (standard, agentic)"
        ),
        caption=(
            f"Per kind of benchmark, the {centre} at each quarter's end"
            f"{band_words}. Score gap in points (closed minus open frontier, x100 of the 0–1 "
            "scores); lag in months, dated when the open model crossed."
        ),
    )


def _frontier(ax: Axes, part: pd.DataFrame, end: pd.Timestamp) -> None:
    for access, s in st.ACCESS.items():
        line = part[part["access"].astype(str) == access].sort_values("_date")
        if line.empty:
            continue
        xs = [*line["_date"], end]
        ys = [*line["_value"], line["_value"].iloc[-1]]
        ax.plot(xs, ys, drawstyle="steps-post", color=s.colour, linestyle=s.line, linewidth=1.6)


@st.styled
def suite_timeline(table: pd.DataFrame, *, title: str, scale: str = "fraction") -> Drawn | None:
    """One benchmark over release date: models and the open / closed frontiers; the gap below.

    `table` is long: series (model | own | frontier | gap | lag), access, date, value, model_id.
    """
    if table.empty:
        return None
    df = table.assign(_date=st.dates(table["date"]), _value=st.floats(table["value"]))
    df = df[df["_date"].notna() & np.isfinite(df["_value"])]
    if scale == "horizon":
        df = df[(df["_value"] > 0) | df["series"].isin(["gap", "lag"])]
    top_rows = df[df["series"].isin(["model", "own", "frontier"])]
    if top_rows.empty:
        return None
    below = "gap" if scale == "fraction" and (df["series"] == "gap").any() else "lag"
    bottom_rows = df[df["series"] == below]
    n = 2 if not bottom_rows.empty else 1
    fig = st.panels(n, 1.9, left=0.7)
    axs = st.axes(fig, n)
    top = axs[0]
    end = df["_date"].max()
    models = top_rows[top_rows["series"] == "model"]
    for access, s in st.ACCESS.items():
        pts = models[models["access"].astype(str) == access]
        if not pts.empty:
            top.plot(
                pts["_date"], pts["_value"], s.marker, color=s.colour, markersize=3, alpha=0.45
            )
    _frontier(top, top_rows[top_rows["series"] == "frontier"], end)
    own = top_rows[top_rows["series"] == "own"]
    for access, s in st.ACCESS.items():
        pts = own[own["access"].astype(str) == access]
        if not pts.empty:
            top.plot(
                pts["_date"],
                pts["_value"],
                "*",
                color=s.colour,
                markeredgecolor=st.INK,
                markersize=11,
                zorder=5,
            )
    if scale == "horizon":
        top.set_yscale("log")
        top.set_ylabel("time horizon (minutes, log)")
    else:
        top.set_ylim(0, 1)
        top.set_ylabel("score (0–1)")
    top.set_title(st.label(title, 50), loc="left")
    st.date_axis(top)
    st.access_legend(top, own=not own.empty, loc="upper left")
    if n == 2:
        ax = axs[1]
        rows = bottom_rows.sort_values("_date")
        if below == "gap":
            ax.plot(rows["_date"], rows["_value"], color=st.INK, linewidth=1.4)
            ax.set_ylabel("gap, closed − open (0–1)")
            ax.set_title("Score gap over time", loc="left")
        else:
            ax.plot(rows["_date"], rows["_value"], "o", color=st.INK, markersize=4)
            ax.set_ylabel("lag (months)")
            ax.set_title("Lag per threshold, at the open crossing", loc="left")
        ax.axhline(0, color=st.INK, linewidth=0.8)
        ax.set_xlim(top.get_xlim())  # the same dates as the frontier above
        st.date_axis(ax)
    unit = "time horizon in minutes (log axis)" if scale == "horizon" else "score on the 0–1 scale"
    return Drawn(
        fig,
        alt=f"{title}: {unit} by model release date, open and closed frontiers"
        + (", and the gap over time" if n == 2 else ""),
        caption=(
            f"Each point is a model ({unit}); step lines are the best closed (blue, solid) and "
            "best open (vermillion, dashed) score among models released by each date"
            + ("; stars are your own runs" if not own.empty else "")
            + "."
        ),
    )


@st.styled
def horizon_minutes(table: pd.DataFrame) -> Drawn | None:
    """METR-style time horizons in minutes on a log2 axis by release date; never on a 0-1 axis.

    Columns (analysis's published_horizons): benchmark, model_id, access, release_date,
    minutes, frontier (the row raises its side's best horizon).
    """
    if table.empty:
        return None
    df = table.assign(_date=st.dates(table["release_date"]), _value=st.floats(table["minutes"]))
    df = df[df["_date"].notna() & np.isfinite(df["_value"]) & (df["_value"] > 0)]
    if df.empty:
        return None
    fig = st.panels(1, 2.6, left=1.0)  # room for tick labels like 0.0625
    (ax,) = st.axes(fig, 1)
    for access, s in st.ACCESS.items():
        pts = df[df["access"].astype(str) == access]
        if not pts.empty:
            ax.plot(pts["_date"], pts["_value"], s.marker, color=s.colour, markersize=4, alpha=0.7)
    front = df[df["frontier"].fillna(False).astype(bool)] if "frontier" in df else df.iloc[0:0]
    _frontier(ax, front, df["_date"].max())
    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_formatter(_minutes_formatter())
    ax.set_ylabel("50% time horizon (minutes, log2)")
    benches = ", ".join(sorted(df["benchmark"].astype(str).unique()))
    ax.set_title(st.label(f"Time horizons: {benches}", 60), loc="left")
    st.date_axis(ax)
    st.access_legend(ax, loc="upper left")
    return Drawn(
        fig,
        alt="Time horizon in minutes (log2 scale) by model release date, open versus closed",
        caption=(
            "The length of task (in minutes of human time) a model completes half the time, "
            "on a log2 axis; step lines are the open and closed frontiers. Horizons are never "
            "drawn on a 0–1 score axis."
        ),
    )


def _minutes_formatter() -> FuncFormatter:

    def fmt(v: float, _pos: int) -> str:
        return f"{v:g}"

    return FuncFormatter(fmt)
