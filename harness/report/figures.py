"""Matplotlib figures for the report, written as self-contained SVG files.

Draws what analysis returned; computes nothing beyond choosing which rows fit on a page.
Uses `matplotlib.figure.Figure` directly (never pyplot), so no GUI backend is ever selected,
no global figure state leaks between renders, and the Agg/SVG canvases are used headless.
Each function returns a `FigureFile`, or None when the table has nothing drawable (the
template then shows a "no data" note instead).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies. Access is
# also encoded by marker shape, so colour is never the only cue.
ACCESS_STYLE = {"closed": ("#0072B2", "o"), "open": ("#E69F00", "s")}
KIND_COLOUR = {"standard": "#009E73", "agentic": "#CC79A7"}
OTHER_COLOUR = "#777777"

P = ParamSpec("P")
R = TypeVar("R")

MAX_PANELS = 12
MAX_BARS = 20

_RC: dict[str, Any] = {
    "svg.fonttype": "path",  # text as paths: renders identically without the fonts installed
    "svg.hashsalt": "gapbench",  # stable element ids, so re-rendering unchanged data is byte-stable
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}


@dataclass(frozen=True)
class FigureFile:
    path: str  # relative to the report root, '/'-separated
    alt: str
    caption: str


def _label(value: object, width: int = 40) -> str:
    # Labels come from data: '$' would switch matplotlib into mathtext (and may raise).
    s = str(value)
    if len(s) > width:
        s = s[: width - 1] + "…"
    return s.replace("$", r"\$")


def _dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def _styled(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a whole figure function under the report style, without touching global rcParams."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
            return fn(*args, **kwargs)

    return wrapper


def _save(fig: Figure, root: Path, rel: str) -> None:
    target = root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    # constrained layout already fits everything; "tight" would draw the figure twice
    fig.savefig(target, format="svg", metadata={"Date": None})


def _grid(n: int, panel_w: float, panel_h: float) -> tuple[Figure, list[Axes]]:
    ncols = 1 if n <= 2 else 2 if n <= 6 else 3
    nrows = -(-n // ncols)
    fig = Figure(figsize=(panel_w * ncols, panel_h * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def _access_legend(fig: Figure) -> None:
    handles = [
        Line2D([], [], color=c, marker=m, linestyle="", label=a)
        for a, (c, m) in ACCESS_STYLE.items()
    ]
    fig.legend(handles=handles, loc="outside upper right", ncols=2, frameon=False)


def _kind_legend(ax: Axes) -> None:
    handles = [Line2D([], [], color=c, label=k) for k, c in KIND_COLOUR.items()]
    ax.legend(handles=handles, frameon=False, fontsize=8)


def _capped(keys: list[str], what: str) -> tuple[list[str], str]:
    if len(keys) <= MAX_PANELS:
        return keys, ""
    return keys[
        :MAX_PANELS
    ], f" Showing the first {MAX_PANELS} of {len(keys)} {what}; each has its own page."


@_styled
def scores_figure(
    scores: pd.DataFrame, root: Path, rel: str, *, title: str = ""
) -> FigureFile | None:
    """Horizontal bars per suite: score with its 95% CI, coloured by access, null baseline dashed."""
    df = scores.assign(_score=_floats(scores["score"]))
    df = df[np.isfinite(df["_score"])]
    if df.empty:
        return None
    suites, note = _capped(sorted(df["suite"].astype(str).unique()), "suites")
    most = min(MAX_BARS, int(df.groupby("suite").size().max()))
    fig, axes = _grid(len(suites), 5.2, 0.9 + 0.28 * most)
    truncated = False
    for ax, suite in zip(axes, suites, strict=True):
        part = df[df["suite"].astype(str) == suite].sort_values("_score", ascending=True)
        if len(part) > MAX_BARS:
            part, truncated = part.tail(MAX_BARS), True
        # every panel has `most` slots, filled from the top, so bars keep one thickness
        y = np.arange(len(part)) + (most - len(part))
        ax.set_ylim(-0.6, most - 0.4)
        s = part["_score"].to_numpy()
        lo = np.clip(s - _floats(part["ci_low"]), 0, None)
        hi = np.clip(_floats(part["ci_high"]) - s, 0, None)
        err = np.nan_to_num(np.vstack([lo, hi]))  # a missing CI draws no whisker
        colours = [ACCESS_STYLE.get(str(a), (OTHER_COLOUR, "o"))[0] for a in part["access"]]
        ax.barh(y, s, xerr=err, color=colours, height=0.7, error_kw={"elinewidth": 1, "capsize": 2})
        ax.set_yticks(y, [_label(m) for m in part["model_id"]])
        base = _floats(part["null_baseline"])
        base = base[np.isfinite(base)]
        if base.size:
            ax.axvline(float(base.max()), color="#333333", linestyle="--", linewidth=1)
        ax.set_xlim(0, 1)
        ax.set_title(_label(suite, 60), loc="left")
        ax.grid(axis="y", visible=False)
    _access_legend(fig)
    _save(fig, root, rel)
    extra = f" At most {MAX_BARS} best-scoring models per suite are drawn." if truncated else ""
    return FigureFile(
        rel,
        alt=title or "Score by model and suite with 95% confidence intervals",
        caption=(
            "Score (0–1) per model and suite; whiskers are 95% CIs; blue = closed, orange = open; "
            "the dashed line is the null-agent baseline." + note + extra
        ),
    )


@_styled
def frontier_figure(frontier: pd.DataFrame, root: Path, rel: str) -> FigureFile | None:
    """Best score over release date, open vs closed, one panel per benchmark."""
    df = frontier.assign(_date=_dates(frontier["date"]), _score=_floats(frontier["score"]))
    df = df[df["_date"].notna() & np.isfinite(df["_score"])]
    if df.empty:
        return None
    keys = (
        df[["kind", "benchmark"]].astype(str).drop_duplicates().sort_values(["kind", "benchmark"])
    )
    pairs = list(keys.itertuples(index=False, name=None))
    names, note = _capped([f"{b} · {k}" for k, b in pairs], "benchmarks")
    fig, axes = _grid(len(names), 4.6, 2.8)
    for ax, (kind, bench) in zip(axes, pairs, strict=False):
        part = df[(df["kind"].astype(str) == kind) & (df["benchmark"].astype(str) == bench)]
        end = part["_date"].max()
        for access, (colour, marker) in ACCESS_STYLE.items():
            line = part[part["access"].astype(str) == access].sort_values("_date")
            if line.empty:
                continue
            ax.plot(
                line["_date"],
                line["_score"],
                color=colour,
                marker=marker,
                markersize=4,
                linestyle="",
            )
            # a frontier holds until it is beaten: carry the last level to the panel's end
            xs = [*line["_date"], end]
            ys = [*line["_score"], line["_score"].iloc[-1]]
            ax.plot(xs, ys, drawstyle="steps-post", color=colour, linewidth=1.5)
        ax.set_ylim(0, 1)
        ax.set_title(_label(f"{bench} · {kind}", 60), loc="left")
        ax.tick_params(axis="x", labelrotation=30)
    _access_legend(fig)
    _save(fig, root, rel)
    return FigureFile(
        rel,
        alt="Frontier score over release date, open versus closed, per benchmark",
        caption="Best score among models released by each date (step lines)." + note,
    )


def _over_time(ax: Axes, df: pd.DataFrame, x: str, y: str) -> None:
    for (_bench, kind), part in df.groupby([df["benchmark"].astype(str), df["kind"].astype(str)]):
        part = part.sort_values(x)
        ax.plot(
            part[x],
            part[y],
            color=KIND_COLOUR.get(kind, OTHER_COLOUR),
            marker="o",
            markersize=3,
            linewidth=1,
            alpha=0.8,
        )
    ax.axhline(0, color="#333333", linewidth=0.8)
    ax.tick_params(axis="x", labelrotation=30)
    _kind_legend(ax)


@_styled
def gaps_figure(gaps: pd.DataFrame, root: Path, rel: str) -> FigureFile | None:
    """Closed minus open frontier over time, raw and on the logit scale, one line per benchmark."""
    df = gaps.assign(
        _date=_dates(gaps["date"]), _gap=_floats(gaps["gap"]), _logit=_floats(gaps["gap_logit"])
    )
    df = df[df["_date"].notna()]
    if not np.isfinite(df["_gap"]).any():
        return None
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    raw, logit = fig.subplots(1, 2)
    _over_time(raw, df[np.isfinite(df["_gap"])], "_date", "_gap")
    raw.set_title("Score gap (closed − open)", loc="left")
    finite = df[np.isfinite(df["_logit"])]
    if finite.empty:
        logit.set_visible(False)
    else:
        _over_time(logit, finite, "_date", "_logit")
        logit.set_title("Gap on the logit scale", loc="left")
    _save(fig, root, rel)
    return FigureFile(
        rel,
        alt="Score gap between the closed and open frontiers over time",
        caption="Closed frontier minus open frontier; one line per benchmark, coloured by kind.",
    )


@_styled
def lags_figure(lags: pd.DataFrame, root: Path, rel: str) -> FigureFile | None:
    """Months from the closed to the open crossing of each threshold, dated at the open crossing."""
    df = lags.assign(_date=_dates(lags["open_date"]), _lag=_floats(lags["lag_months"]))
    df = df[df["_date"].notna() & np.isfinite(df["_lag"])]
    if df.empty:
        return None
    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    _over_time(ax, df, "_date", "_lag")
    ax.set_ylabel("lag (months)")
    ax.set_title("Lag by threshold crossing", loc="left")
    _save(fig, root, rel)
    return FigureFile(
        rel,
        alt="Open-model lag in months over time, per benchmark",
        caption="Each point is a score threshold, dated when an open model first crossed it.",
    )


def _forest(
    ax: Axes,
    labels: list[str],
    mid: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    colour: Callable[[int], str],
) -> None:
    y = np.arange(len(labels))[::-1]
    err = np.nan_to_num(np.vstack([np.clip(mid - lo, 0, None), np.clip(hi - mid, 0, None)]))
    for i in range(len(labels)):
        ax.errorbar(mid[i], y[i], xerr=err[:, i : i + 1], fmt="o", color=colour(i), capsize=3)
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)


@_styled
def understatement_figure(und: pd.DataFrame, root: Path, rel: str) -> FigureFile | None:
    """D = gap(agentic) − gap(standard) with its CI, one panel per measure (units differ)."""
    df = und.assign(_d=_floats(und["d"]))
    df = df[np.isfinite(df["_d"]) & (df["status"].astype(str) != "insufficient")]
    if df.empty:
        return None
    measures = sorted(df["measure"].astype(str).unique())
    fig, axes = _grid(len(measures), 5.0, 0.9 + 0.4 * int(df.groupby("measure").size().max()))
    for ax, measure in zip(axes, measures, strict=True):
        part = df[df["measure"].astype(str) == measure]
        labels = [
            _label("all dates" if pd.isna(a) and pd.isna(b) else f"{_day(a)} to {_day(b)}")
            for a, b in zip(part["window_start"], part["window_end"], strict=True)
        ]
        _forest(
            ax,
            labels,
            part["_d"].to_numpy(),
            _floats(part["ci_low"]),
            _floats(part["ci_high"]),
            lambda _i: "#D55E00",
        )
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_title(_label(f"D for {measure}", 60), loc="left")
    _save(fig, root, rel)
    return FigureFile(
        rel,
        alt="Understatement D with 95% confidence intervals",
        caption="D = gap(agentic) − gap(standard); D > 0 with the CI above 0 supports the claim.",
    )


@_styled
def horizons_figure(horizons: pd.DataFrame, root: Path, rel: str) -> FigureFile | None:
    """50% horizon (steps) with CI per model, log scale, one panel per suite."""
    df = horizons.assign(_h=_floats(horizons["h50"]))
    df = df[np.isfinite(df["_h"]) & (df["_h"] > 0) & (df["status"].astype(str) != "insufficient")]
    if df.empty:
        return None
    suites, note = _capped(sorted(df["suite"].astype(str).unique()), "suites")
    fig, axes = _grid(
        len(suites), 5.0, 0.9 + 0.32 * min(MAX_BARS, int(df.groupby("suite").size().max()))
    )
    for ax, suite in zip(axes, suites, strict=True):
        part = (
            df[df["suite"].astype(str) == suite].sort_values("_h", ascending=False).head(MAX_BARS)
        )
        colours = [ACCESS_STYLE.get(str(a), (OTHER_COLOUR, "o"))[0] for a in part["access"]]
        # an unbounded CI (the fit never reaches 50% within reach) is drawn to 8x the largest
        # horizon on the panel rather than to infinity, which no log axis can hold
        h = part["_h"].to_numpy()
        ci_lo = np.clip(_floats(part["h50_ci_low"]), h.min() / 8, None)
        ci_hi = np.clip(_floats(part["h50_ci_high"]), None, h.max() * 8)
        _forest(ax, [_label(m) for m in part["model_id"]], h, ci_lo, ci_hi, colours.__getitem__)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("50% horizon (required steps)")
        ax.set_title(_label(suite, 60), loc="left")
    _access_legend(fig)
    _save(fig, root, rel)
    return FigureFile(
        rel,
        alt="50% horizon in required steps per model with 95% confidence intervals",
        caption="Number of required steps at which the fitted success rate is 50%." + note,
    )


def _day(value: object) -> str:
    ts = pd.to_datetime(value, errors="coerce")
    return "?" if pd.isna(ts) else ts.strftime("%Y-%m")
