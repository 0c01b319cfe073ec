"""B2's red team of issue 18, a finding outside B's and A1's files (harness/cli/results.py,
fixed by A3): `gapbench results` prints store text to the terminal as it is, so a
model or suite name from someone else's store (or an import) holding escape sequences drives
the user's terminal (ESC ]0; sets the window title, ESC [2J clears the screen; OSC 52 writes
the clipboard in some terminals). harness._text.visible shows them as \\u001b; it is applied
to pages, figures and one-line messages already, not to this table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main


def test_results_table_shows_escape_sequences_as_text(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "lm"
    out.mkdir()
    results = {"results": {"t\x1b[31mRED": {"acc,none": 0.5}},
               "model_name": "m\x1b]0;PWNED\x07\x1b[2J\u202e"}  # fmt: skip
    (out / "results_2026-01-01T00-00-00.json").write_text(json.dumps(results))
    store = str(tmp_path / "results")
    assert main(["import", "lm-eval", "--from", str(out), "--access", "open",
                 "--results-dir", store]) == 0  # fmt: skip
    capfd.readouterr()
    assert main(["results", "--results-dir", store]) == 0
    printed = capfd.readouterr().out
    assert "PWNED" in printed  # the row is there
    assert "\x1b" not in printed and "\x07" not in printed and "\u202e" not in printed
