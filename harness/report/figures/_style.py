"""The report's figure style: palette, fonts, layout and SVG output, shared by every drawer.

Figures are built with `matplotlib.figure.Figure` directly (never pyplot): no GUI backend is
selected and no global figure state leaks between renders or worker processes.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import matplotlib
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies). Colour is
# never the only cue: access also differs by marker and line style, kind by line style.
CLOSED = "#0072B2"  # blue
OPEN = "#D55E00"  # vermillion
OTHER = "#7F7F7F"
STANDARD = "#009E73"  # bluish green
AGENTIC = "#CC79A7"  # reddish purple
AGREE = "#0072B2"
DISAGREE = "#E69F00"
ALERT = "#D55E00"
INK = "#333333"


@dataclass(frozen=True)
class Style:
    colour: str
    marker: str
    line: str


ACCESS = {"closed": Style(CLOSED, "o", "-"), "open": Style(OPEN, "s", "--")}
KIND = {"standard": Style(STANDARD, "o", "-"), "agentic": Style(AGENTIC, "^", "--")}
UNKNOWN = Style(OTHER, "D", ":")

# Figures are sized for a phone first: 4.8 in = 460 px wide at the browser's 96 px/in, so a
# 390 px screen shows them at about 0.8x and 10 pt text stays about 10 px tall.
WIDTH_IN = 4.8

RC: dict[str, Any] = {
    # text stays text: small files, selectable and searchable labels, crisp at any zoom
    "svg.fonttype": "none",
    "svg.hashsalt": "gapbench",  # stable element ids: unchanged data gives identical bytes
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica", "sans-serif"],
    "font.size": 10,
    "axes.titlesize": 10.5,
    # a fixed title position: "auto" measures every tick label to place it, which costs
    # about a third of drawing these small figures
    "axes.titley": 1.0,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    # any colour matplotlib picks by itself is an Okabe-Ito one too
    "axes.prop_cycle": cycler(color=[CLOSED, OPEN, STANDARD, AGENTIC, DISAGREE, INK]),
    "legend.fontsize": 9,
}


def access_style(access: object) -> Style:
    return ACCESS.get(str(access), UNKNOWN)


def kind_style(kind: object) -> Style:
    return KIND.get(str(kind), UNKNOWN)


def label(value: object, width: int = 40) -> str:
    """Data text made safe for matplotlib: shortened, and '$' kept out of mathtext."""
    s = str(value)
    if len(s) > width:
        s = s[: width - 1] + "…"
    return s.replace("$", r"\$")


def dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


def floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def panels(
    n: int,
    panel_h: float,
    *,
    left: float = 0.75,
    width: float = WIDTH_IN,
    top: float = 0.45,
    gap: float = 0.75,
) -> Figure:
    """A single-column figure of `n` stacked panels with fixed margins (in inches).

    Fixed margins instead of constrained layout: layout solving costs more than drawing
    these small figures, and single-column panels need only a left margin for labels.
    """
    bottom = 0.55
    height = top + bottom + n * panel_h + (n - 1) * gap
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(
        left=left / width,
        right=1 - 0.2 / width,
        top=1 - top / height,
        bottom=bottom / height,
        hspace=gap / panel_h,
    )
    return fig


def axes(fig: Figure, n: int) -> list[Axes]:
    return list(fig.subplots(n, 1, squeeze=False)[:, 0])


def left_margin(labels: list[str], font_pt: float = 10.0) -> float:
    """Inches a y axis of these text labels needs (about 0.55 em per character)."""
    longest = max((len(s) for s in labels), default=4)
    return min(2.6, 0.25 + longest * 0.55 * font_pt / 72)


def access_legend(ax: Axes, *, own: bool = False, loc: Any = "best") -> None:
    handles = [
        Line2D([], [], color=s.colour, marker=s.marker, linestyle=cast(Any, s.line), label=a)
        for a, s in ACCESS.items()
    ]
    if own:
        handles.append(
            Line2D(
                [],
                [],
                color=INK,
                marker="*",
                markersize=10,
                linestyle="",
                label="your runs",
            )
        )
    ax.legend(handles=handles, loc=loc, ncols=len(handles))


def kind_legend(ax: Axes, loc: Any = "best") -> None:
    handles = [
        Line2D([], [], color=s.colour, marker=s.marker, linestyle=cast(Any, s.line), label=k)
        for k, s in KIND.items()
    ]
    ax.legend(handles=handles, loc=loc, ncols=2)


def date_axis(ax: Axes) -> None:
    """Year ticks (month ticks for short spans), unrotated: short labels fit a phone."""
    import matplotlib.dates as mdates

    lo, hi = ax.get_xlim()
    if hi - lo < 2:  # one date only: give the axis a month each side, so ticks exist
        ax.set_xlim(lo - 30, hi + 30)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def to_svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def styled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a drawer under the report style without touching the global rcParams."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with matplotlib.rc_context(RC):  # type: ignore[arg-type]
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
