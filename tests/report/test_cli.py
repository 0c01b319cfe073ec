"""`gapbench report`: the analysis options, one line for a bad one, a progress line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.exitcodes import USAGE


def test_a_bad_analysis_option_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["report", "--results-dir", str(tmp_path / "r"), "--since", "last tuesday"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == USAGE
    assert len(err) == 1 and "--since" in err[0], err
    assert not (tmp_path / "r").exists()  # refused before touching anything


def test_report_prints_its_stages_and_takes_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    code = main(
        [
            "report",
            "--results-dir",
            str(tmp_path / "results"),
            "--reports-dir",
            str(tmp_path / "reports"),
            "--name",
            "empty",
            "--censoring",
            "both",
            "--replicates",
            "200",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    for stage in ("analysing the store", "reading your runs", "drawing figures", "writing pages"):
        assert f"report: {stage}" in out, out
    index = tmp_path / "reports" / "empty" / "index.html"
    assert f"report: {index}" in out
    method = (tmp_path / "reports" / "empty" / "method.html").read_text(encoding="utf-8")
    assert "<dt>censoring</dt><dd>both</dd>" in method
    assert "<dt>replicates</dt><dd>200</dd>" in method
