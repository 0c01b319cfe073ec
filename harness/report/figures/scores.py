"""Per-model figures: scores with CIs, step horizons, canary drift."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.report.figures import _style as st
from harness.report.figures._types import Drawn

OWN_SUFFIX = " (your run)"


def _own(df: pd.DataFrame) -> np.ndarray:
    if "source" not in df.columns:
        return np.zeros(len(df), bool)
    return (df["source"].astype(str) == "own").to_numpy(bool)


@st.styled
def score_bars(table: pd.DataFrame, *, title: str = "") -> Drawn | None:
    """Horizontal bars per suite: score (0-1) with its 95% CI, one panel per suite.

    Rows are drawn in the order given, top down (the page puts your own runs first); the
    dashed line is the suite's null-agent baseline.
    """
    df = table.assign(_score=st.floats(table["score"]))
    df = df[np.isfinite(df["_score"])]
    if df.empty:
        return None
    suites = list(dict.fromkeys(df["suite"].astype(str)))
    most = int(df.groupby("suite").size().max())
    own_all = _own(df)
    names = [
        st.label(m) + (OWN_SUFFIX if o else "")
        for m, o in zip(df["model_id"], own_all, strict=True)
    ]
    fig = st.panels(len(suites), 0.25 + 0.24 * most, left=st.left_margin(names))
    for ax, suite in zip(st.axes(fig, len(suites)), suites, strict=True):
        part = df[df["suite"].astype(str) == suite]
        own = _own(part)
        s = part["_score"].to_numpy()
        y = np.arange(len(part))[::-1] + (most - len(part))
        lo = np.nan_to_num(np.clip(s - st.floats(part["ci_low"]), 0, None))
        hi = np.nan_to_num(np.clip(st.floats(part["ci_high"]) - s, 0, None))
        colours = [st.access_style(a).colour for a in part["access"]]
        bars = ax.barh(
            y,
            s,
            xerr=[lo, hi],
            color=colours,
            height=0.7,
            error_kw={"elinewidth": 1, "capsize": 2, "ecolor": st.INK},
        )
        for bar, is_own in zip(bars, own, strict=True):
            if is_own:
                bar.set_hatch("///")
                bar.set_edgecolor(st.INK)
        ax.set_yticks(
            y,
            [
                st.label(m) + (OWN_SUFFIX if o else "")
                for m, o in zip(part["model_id"], own, strict=True)
            ],
        )
        ax.set_ylim(-0.6, most - 0.4)
        base = st.floats(part["null_baseline"]) if "null_baseline" in part else np.array([])
        base = base[np.isfinite(base)]
        if base.size:
            ax.axvline(float(base.max()), color=st.INK, linestyle="--", linewidth=1)
        ax.set_xlim(0, 1)
        ax.set_xlabel("score (0–1)")
        ax.set_title(st.label(suite, 60), loc="left")
        ax.grid(axis="y", visible=False)
    st.access_legend(fig.axes[0], loc="lower right")
    return Drawn(
        fig,
        alt=title or f"Scores with 95% confidence intervals on {', '.join(suites[:6])}",
        caption=(
            "Score (0–1) per model with its 95% CI; blue = closed, vermillion = open; hatched "
            "bars are your own runs; the dashed line is the null-agent baseline."
        ),
    )


@st.styled
def horizon_steps(table: pd.DataFrame) -> Drawn | None:
    """50% horizon in required steps with its CI per model, log2 axis, one panel per suite."""
    df = table.assign(_h=st.floats(table["h50"]))
    df = df[np.isfinite(df["_h"]) & (df["_h"] > 0)]
    if df.empty:
        return None
    suites = list(dict.fromkeys(df["suite"].astype(str)))
    most = int(df.groupby("suite").size().max())
    fig = st.panels(
        len(suites), 0.3 + 0.3 * most, left=st.left_margin([str(m) for m in df["model_id"]])
    )
    for ax, suite in zip(st.axes(fig, len(suites)), suites, strict=True):
        part = df[df["suite"].astype(str) == suite]
        h = part["_h"].to_numpy()
        # an unbounded CI (the fit never reaches 50% in range) is drawn to 8x the largest
        # horizon on the panel: no log axis holds infinity
        lo = np.clip(st.floats(part["h50_ci_low"]), h.min() / 8, None)
        hi = np.clip(st.floats(part["h50_ci_high"]), None, h.max() * 8)
        y = np.arange(len(part))[::-1]
        for i, access in enumerate(part["access"]):
            s = st.access_style(access)
            err = np.nan_to_num([[max(h[i] - lo[i], 0)], [max(hi[i] - h[i], 0)]])
            ax.errorbar(h[i], y[i], xerr=err, fmt=s.marker, color=s.colour, capsize=3)
        ax.set_yticks(y, [st.label(m) for m in part["model_id"]])
        ax.set_ylim(-0.6, len(part) - 0.4)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("50% horizon (required steps, log2)")
        ax.set_title(st.label(suite, 60), loc="left")
        ax.grid(axis="y", visible=False)
    return Drawn(
        fig,
        alt="50% horizon in required steps per model with 95% confidence intervals",
        caption=(
            "The number of required steps at which a model's fitted success rate is 50% "
            "(log2 axis), with its 95% CI; an arrow-long whisker is an unbounded CI."
        ),
    )


@st.styled
def drift(table: pd.DataFrame) -> Drawn | None:
    """Canary score per night for each model and suite; nights that raised an alert marked."""
    df = table.assign(_date=st.dates(table["ran_at"]), _score=st.floats(table["score"]))
    df = df[df["_date"].notna() & np.isfinite(df["_score"])]
    if df.empty:
        return None
    keys = list(
        dict.fromkeys(zip(df["model_id"].astype(str), df["suite"].astype(str), strict=True))
    )
    fig = st.panels(len(keys), 1.4, left=0.7)
    for ax, (model, suite) in zip(st.axes(fig, len(keys)), keys, strict=True):
        part = df[(df["model_id"].astype(str) == model) & (df["suite"].astype(str) == suite)]
        part = part.sort_values("_date")
        se = np.nan_to_num(st.floats(part["se"])) if "se" in part else np.zeros(len(part))
        s = st.access_style(part["access"].iloc[0] if "access" in part else None)
        ax.errorbar(
            part["_date"], part["_score"], yerr=se, fmt=s.marker + s.line, color=s.colour, capsize=2
        )
        alerts = part["alert"].fillna(False).astype(bool) if "alert" in part else None
        if alerts is not None and alerts.any():
            hit = part[alerts.to_numpy()]
            ax.plot(hit["_date"], hit["_score"], "X", color=st.ALERT, markersize=10, label="alert")
            ax.legend(loc="lower left")
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("canary score (0–1)")
        ax.set_title(st.label(f"{model} · {suite}", 60), loc="left")
        st.date_axis(ax)
    return Drawn(
        fig,
        alt="Canary score per night for each model and suite, with drift alerts marked",
        caption=(
            "Each night's canary score (0–1) with its standard error; a red X marks a night "
            "that differed from the model's history by more than the alert threshold."
        ),
    )
