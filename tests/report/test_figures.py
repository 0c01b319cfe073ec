"""Figures: text kept as text, units on the axes, minutes never on a 0-1 axis, a colour-blind
safe palette, and a cache keyed by the table so unchanged figures are not drawn again."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from harness.report import figures
from harness.report.figures import FigureJob, render_figures
from harness.report.figures import _style as st
from tests.report.conftest import make_tables

MINUTES = pd.DataFrame(
    {
        "benchmark": ["metr_time_horizons"] * 4,
        "kind": ["agentic"] * 4,
        "model_id": ["c1", "c2", "o1", "o2"],
        "access": ["closed", "closed", "open", "open"],
        "release_date": pd.to_datetime(["2023-03-14", "2025-02-01", "2024-06-01", "2025-08-01"]),
        "minutes": [5.4, 718.8, 2.1, 54.0],
        "log2_minutes": [2.43, 9.49, 1.07, 5.75],
        "frontier": [True, True, True, True],
    }
)


def _jobs() -> list[FigureJob]:
    t = make_tables()
    bars = t.scores[
        ["suite", "model_id", "access", "source", "score", "ci_low", "ci_high", "null_baseline"]
    ]
    return [
        FigureJob("score_bars", "figures/bars.svg", bars),
        FigureJob("understatement", "figures/und.svg", t.understatement),
        FigureJob("horizon_steps", "figures/steps.svg", t.horizons),
        FigureJob("horizon_minutes", "figures/minutes.svg", MINUTES),
    ]


def test_svg_text_is_text_and_figures_are_small(tmp_path: Path) -> None:
    out = render_figures(_jobs(), tmp_path)
    for rel, fig in out.items():
        assert fig is not None, rel
        svg = (tmp_path / rel).read_text(encoding="utf-8")
        assert "<text" in svg, rel  # svg.fonttype none: labels are <text>, not glyph paths
        assert 'id="DejaVuSans-' not in svg, rel
        assert len(svg) < 60_000, (rel, len(svg))
        assert fig.alt and fig.caption
        assert (tmp_path / fig.csv).is_file()


def test_time_horizons_are_minutes_on_a_log_axis() -> None:
    drawn = figures.DRAWERS["horizon_minutes"](MINUTES)
    assert drawn is not None
    ax = drawn.fig.axes[0]
    assert ax.get_yscale() == "log"
    assert "minutes" in ax.get_ylabel()
    lo, hi = ax.get_ylim()
    assert lo < 2.1 and hi > 718.8  # every horizon is on the axis, none clipped at 1.0


def test_score_panels_are_0_to_1_with_units_on_every_axis() -> None:
    for job in _jobs():
        drawn = figures.DRAWERS[job.drawer](job.table, **dict(job.params))
        assert drawn is not None
        for ax in drawn.fig.axes:
            if not ax.get_visible():
                continue
            assert ax.get_xlabel() or ax.get_ylabel(), (job.drawer, ax.get_title())
            if job.drawer == "score_bars":
                assert ax.get_xlim() == (0.0, 1.0)
                assert "0–1" in ax.get_xlabel()


def test_palette_is_colour_blind_safe(tmp_path: Path) -> None:
    allowed = {
        c.lower()
        for c in (
            st.CLOSED,
            st.OPEN,
            st.STANDARD,
            st.AGENTIC,
            st.AGREE,
            st.DISAGREE,
            st.OTHER,
            st.INK,
        )
    } | {"#000000", "#ffffff", "#b0b0b0", "#e69f00", "#009e73", "#cc79a7", "#0072b2"}
    render_figures(_jobs(), tmp_path)
    for svg in tmp_path.glob("figures/*.svg"):
        colours = set(re.findall(r"#[0-9a-fA-F]{6}\b", svg.read_text(encoding="utf-8")))
        assert {c.lower() for c in colours} <= allowed, (svg.name, colours - allowed)


def test_cache_draws_each_table_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    for name, fn in list(figures.DRAWERS.items()):

        def counted(*a: object, _fn: object = fn, _name: str = name, **k: object) -> object:
            calls.append(_name)
            return _fn(*a, **k)  # type: ignore[operator]

        monkeypatch.setitem(figures.DRAWERS, name, counted)
    cache = tmp_path / "cache"
    first = render_figures(_jobs(), tmp_path / "a", cache_dir=cache, workers=1)
    assert len(calls) == 4
    second = render_figures(_jobs(), tmp_path / "b", cache_dir=cache, workers=1)
    assert len(calls) == 4  # nothing drawn again
    for rel in first:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
        assert first[rel] == second[rel]
    changed = _jobs()
    changed[0] = FigureJob("score_bars", "figures/bars.svg", changed[0].table.head(3))
    render_figures(changed, tmp_path / "c", cache_dir=cache, workers=1)
    assert calls[4:] == ["score_bars"]  # only the figure whose table changed


def test_parallel_drawing_gives_the_same_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(figures, "PARALLEL_MIN", 2)
    jobs = _jobs()
    render_figures(jobs, tmp_path / "serial", workers=1)
    render_figures(jobs, tmp_path / "parallel", workers=2)
    for job in jobs:
        a = (tmp_path / "serial" / job.rel).read_bytes()
        assert a == (tmp_path / "parallel" / job.rel).read_bytes(), job.rel


def test_a_table_with_nothing_to_draw_gives_no_figure(tmp_path: Path) -> None:
    empty = FigureJob("horizon_minutes", "figures/none.svg", MINUTES.iloc[0:0])
    assert render_figures([empty], tmp_path) == {"figures/none.svg": None}
    assert not (tmp_path / "figures" / "none.svg").exists()
    assert not (tmp_path / "figures" / "none.csv").exists()
