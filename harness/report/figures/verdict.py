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
    "score_gap": "fraction",
    "score_gap_logit": "logits",
}


UNIT_ORDER = ("months", "fraction", "logits")
UNIT_AXIS = {"months": "months", "fraction": "score points", "logits": "logits"}
# score gaps are stored as 0-1 fractions and written as points (x100) in every text
UNIT_SCALE = {"fraction": 100.0}
MEASURE_STYLE = {
    "lag_months": ("#0072B2", "-"),
    "catchup_months": ("#009E73", "--"),
    "score_gap": ("#CC79A7", "-"),
    "score_gap_logit": ("#E69F00", "-"),
}


@st.styled
def spec_curve(table: pd.DataFrame, *, title: str = "") -> Drawn | None:
    """The specification curve: D with its CI band for every specification, one line per
    measure, in the order analysis sorted them (by D); one panel per unit.

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
    units = [u for u in UNIT_ORDER if (df["unit"].astype(str) == u).any()]
    units += [u for u in dict.fromkeys(df["unit"].astype(str)) if u not in units]
    # compact: it sits above the fold; panels share the x axis, so little gap between them
    fig = st.panels(len(units), 0.9, left=0.75, top=0.6, gap=0.25)
    axes = st.axes(fig, len(units))
    for ax, unit in zip(axes, units, strict=True):
        k = UNIT_SCALE.get(unit, 1.0)
        for measure, part in df[df["unit"].astype(str) == unit].groupby("measure", sort=False):
            colour, line = MEASURE_STYLE.get(str(measure), (st.INK, "-"))
            n = len(part)
            x = (np.arange(n) + 0.5) / n * 100  # position within this measure's specifications
            d = part["_d"].to_numpy() * k
            lo = st.floats(part["ci_low"]) * k
            hi = st.floats(part["ci_high"]) * k
            ok = np.isfinite(lo) & np.isfinite(hi)
            ax.fill_between(x[ok], lo[ok], hi[ok], color=colour, alpha=0.15, linewidth=0)
            ax.plot(x, d, color=colour, linestyle=line, linewidth=1.6, label=str(measure))
            if "is_primary" in part.columns:
                prim = part["is_primary"].fillna(False).astype(bool).to_numpy()
                if prim.any():
                    ax.plot(x[prim], d[prim], "D", color=st.INK, markersize=6, zorder=5)
        ax.axhline(0, color=st.INK, linewidth=0.8)
        ax.set_ylabel(f"D ({UNIT_AXIS.get(unit, unit)})")
        ax.set_xlim(0, 100)
        ax.legend(loc="upper left", fontsize=8, ncols=2)
        ax.tick_params(axis="x", labelbottom=ax is axes[-1])
    axes[0].set_title(title or "Specification curve", loc="left", fontsize=10)
    axes[-1].set_xlabel("specifications of each measure, sorted by D (%)")
    n_specs = len(df)
    return Drawn(
        fig,
        alt=(
            f"Specification curve: D with its 95% CI band for {n_specs} analysis "
            f"specifications, one line per measure. {title}"
        ),
        caption=(
            "D = gap(agentic) − gap(standard) under every defensible combination of analysis "
            "choices, sorted; the band is each specification's 95% CI, the black diamond the "
            "primary specification. Above 0: standard benchmarks understate the gap."
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
        k = UNIT_SCALE.get(unit, 1.0)
        y = np.arange(len(part))[::-1]
        d = part["_d"].to_numpy() * k
        lo = np.nan_to_num(np.clip(d - st.floats(part["ci_low"]) * k, 0, None))
        hi = np.nan_to_num(np.clip(st.floats(part["ci_high"]) * k - d, 0, None))
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
