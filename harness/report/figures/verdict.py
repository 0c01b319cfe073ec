"""Figures of the answer: the specification curve and the understatement forest plot."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.report._format import window
from harness.report.figures import _style as st
from harness.report.figures._types import Drawn

# the unit a measure's D is in, when a table gives no `unit` column
MEASURE_UNIT = {
    "lag_months": "months",
    "catchup_months": "months",
    "score_gap": "points",
    "score_gap_logit": "logits",
}


UNIT_ORDER = ("months", "points", "logits")
UNIT_AXIS = {"months": "months", "points": "score points", "logits": "logits"}
MEASURE_STYLE = {
    "lag_months": ("#0072B2", "-"),
    "catchup_months": ("#009E73", "--"),
    "score_gap": ("#CC79A7", "-"),
    "score_gap_logit": ("#E69F00", "-"),
}


MEASURE_ORDER = ("lag_months", "catchup_months", "score_gap", "score_gap_logit")
MEASURE_NAME = {
    "lag_months": "threshold lag (primary)",
    "catchup_months": "catch-up time",
    "score_gap": "score gap",
    "score_gap_logit": "logit score gap",
}


@st.styled
def spec_curve(table: pd.DataFrame, *, title: str = "") -> Drawn | None:
    """The specification curves: D with its CI band for every specification, one panel per
    measure (they differ in unit and in answer, so they are never pooled), each sorted by D.

    Columns: measure, unit, d, ci_low, ci_high, status, is_primary.
    """
    if table.empty or "d" not in table.columns:
        return None
    df = table.assign(_d=st.floats(table["d"]))
    if "status" in df.columns:
        df = df[df["status"].astype(str) == "ok"]
    df = df[np.isfinite(df["_d"])]
    if df.empty:
        return None
    present = set(df["measure"].astype(str))
    measures = [m for m in MEASURE_ORDER if m in present]
    measures += sorted(present - set(measures))
    # compact: it sits above the fold; panels share the x axis, so little gap between them
    fig = st.panels(len(measures), 0.8, left=0.75, top=0.8, gap=0.45)
    axes = st.axes(fig, len(measures))
    for ax, measure in zip(axes, measures, strict=True):
        part = df[df["measure"].astype(str) == measure].sort_values("_d", kind="stable")
        unit = str(part["unit"].iloc[0]) if "unit" in part else MEASURE_UNIT.get(measure, "")
        colour, line = MEASURE_STYLE.get(measure, (st.INK, "-"))
        n = len(part)
        x = (np.arange(n) + 0.5) / n * 100  # position within this measure's specifications
        d = part["_d"].to_numpy()
        lo, hi = st.floats(part["ci_low"]), st.floats(part["ci_high"])
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.fill_between(x[ok], lo[ok], hi[ok], color=colour, alpha=0.15, linewidth=0)
        ax.plot(x, d, color=colour, linestyle=line, linewidth=1.6)
        if "is_primary" in part.columns:
            prim = part["is_primary"].fillna(False).astype(bool).to_numpy()
            if prim.any():
                ax.plot(x[prim], d[prim], "D", color=st.INK, markersize=6, zorder=5)
        ax.axhline(0, color=st.INK, linewidth=0.8)
        ax.set_ylabel(f"D ({UNIT_AXIS.get(unit, unit)})")
        ax.set_xlim(0, 100)
        name = MEASURE_NAME.get(measure, measure)
        ax.set_title(st.label(f"{name}: {n} specifications", 60), loc="left", fontsize=9)
        ax.tick_params(axis="x", labelbottom=ax is axes[-1])
    if title:  # one or two lines, each kept to the figure's width
        lines = [st.label(line, 75) for line in str(title).splitlines()[:2]]
        fig.suptitle("\n".join(lines), x=0.01, ha="left", fontsize=9)
    axes[-1].set_xlabel("specifications of each measure, sorted by D (%)")
    return Drawn(
        fig,
        alt=(
            f"Specification curves, one panel per measure: D with its 95% CI band for "
            f"{len(df)} analysis specifications over full benchmark sets. {title}"
        ),
        caption=(
            "D = gap(agentic) − gap(standard) under every defensible combination of analysis "
            "choices (full benchmark sets; leaving one out is the influence table), one panel "
            "per measure, sorted; the band is each specification's 95% CI, the black diamond "
            "the primary specification. Above 0: standard benchmarks understate the gap."
        ),
    )


@st.styled
def understatement(table: pd.DataFrame) -> Drawn | None:
    """D with its CI per measure and window: one panel per measure, as units differ."""
    df = table.assign(_d=st.floats(table["d"]))
    df = df[np.isfinite(df["_d"]) & (df["status"].astype(str) != "insufficient")]
    if df.empty:
        return None
    measures = list(dict.fromkeys(df["measure"].astype(str)))
    fig = st.panels(len(measures), 0.35 + 0.3 * int(df.groupby("measure").size().max()), left=1.6)
    for ax, measure in zip(st.axes(fig, len(measures)), measures, strict=True):
        part = df[df["measure"].astype(str) == measure]
        labels = [
            window(a, b) for a, b in zip(part["window_start"], part["window_end"], strict=True)
        ]
        unit = MEASURE_UNIT.get(measure, "")
        y = np.arange(len(part))[::-1]
        d = part["_d"].to_numpy()
        lo = np.nan_to_num(np.clip(d - st.floats(part["ci_low"]), 0, None))
        hi = np.nan_to_num(np.clip(st.floats(part["ci_high"]) - d, 0, None))
        ax.errorbar(d, y, xerr=[lo, hi], fmt="o", color=st.OPEN, capsize=3)
        ax.set_yticks(y, [st.label(s) for s in labels])
        ax.grid(axis="y", visible=False)
        ax.axvline(0, color=st.INK, linewidth=0.8)
        ax.set_ylim(-0.6, len(part) - 0.4)
        ax.set_xlabel(f"D ({UNIT_AXIS.get(unit, unit)})")
        ax.set_title(st.label(measure, 50), loc="left")
    return Drawn(
        fig,
        alt="Understatement D per measure with 95% confidence intervals",
        caption=(
            "D = gap(agentic) − gap(standard) per gap measure, each in its own unit; "
            "D > 0 with the CI above 0 means standard benchmarks understate the gap."
        ),
    )
