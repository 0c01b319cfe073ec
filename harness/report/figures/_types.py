"""Records shared by the figure drawers and the figure runner."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from matplotlib.figure import Figure


@dataclass(frozen=True)
class Drawn:
    """A drawer's result: the figure, its alt text and its caption (all from the data)."""

    fig: Figure
    alt: str
    caption: str


@dataclass(frozen=True)
class FigureJob:
    """One figure to render: which drawer, on which table (drawn as is, saved as CSV)."""

    drawer: str  # a key of harness.report.figures.DRAWERS
    rel: str  # 'figures/<name>.svg', relative to the report root
    table: pd.DataFrame
    params: tuple[tuple[str, str], ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class FigureFile:
    """A rendered figure as pages link it: SVG, the CSV of its table, alt text, caption."""

    path: str
    csv: str
    alt: str
    caption: str
