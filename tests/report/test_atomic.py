"""A report directory is replaced whole or not at all, and only if it is a report."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from harness.analysis.tables import ReportTables
from harness.errors import UserError
from harness.report import figures, render_report
from harness.report._atomic import MARKER
from tests.report.conftest import make_tables


def _siblings(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir())


def test_render_leaves_no_temp_dirs_and_is_readable(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "demo"
    render_report(ReportTables(), out)
    assert _siblings(out.parent) == ["demo"]
    assert (out / MARKER).is_file()
    mode = stat.S_IMODE(out.stat().st_mode)
    assert mode & stat.S_IRGRP and mode & stat.S_IXOTH  # not mkdtemp's 0700


def test_rerender_replaces_the_whole_folder(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    render_report(make_tables(), out)
    assert (out / "figures" / "your-runs.svg").is_file()
    render_report(ReportTables(), out)
    assert not (out / "figures" / "your-runs.svg").exists()  # nothing stale survives
    assert _siblings(tmp_path) == ["demo"]


def test_failed_render_keeps_the_published_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "demo"
    render_report(make_tables(), out, headline=["first version"])
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("figure failed")

    monkeypatch.setitem(figures.DRAWERS, "score_bars", boom)
    with pytest.raises(RuntimeError, match="figure failed"):
        render_report(make_tables(), out, headline=["second version"])
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert _siblings(tmp_path) == ["demo"]


def test_refuses_to_replace_a_directory_that_is_not_a_report(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(UserError, match="not a gapbench report"):
        render_report(ReportTables(), precious)
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert _siblings(tmp_path) == ["notes"]


def test_empty_existing_directory_is_fine(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    assert render_report(ReportTables(), tmp_path / "demo").is_file()


def test_leftovers_of_a_killed_render_are_cleaned_when_old(tmp_path: Path) -> None:
    old_tmp, young_tmp = tmp_path / ".demo.tmp-abc", tmp_path / ".demo.tmp-xyz"
    for d in (old_tmp, young_tmp):
        d.mkdir()
        (d / "index.html").write_text("half")
    os.utime(old_tmp, (time.time() - 7200, time.time() - 7200))
    render_report(ReportTables(), tmp_path / "demo")
    assert _siblings(tmp_path) == [".demo.tmp-xyz", "demo"]  # a young one may be a live render
