"""`gapbench publish` refuses a store or a report that still holds a secret: one line, exit 2,
nothing published, the value never printed (issue 18.2/18.6)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from harness import api
from harness.cli import main
from harness.config import load_settings

KEY = "sk-proj-" + "Zq9" * 12  # an OpenAI-shaped key
PLAIN = "gw-7f3a9c1e55d04b2a"  # a gateway key with no known shape: found by its value


@pytest.fixture
def ws(tmp_path: Path) -> api.Workspace:
    settings = replace(
        load_settings(tmp_path),
        results_dir=tmp_path / "results",
        reports_dir=tmp_path / "reports",
        cache_dir=tmp_path / "cache",
    )
    (settings.results_dir / "raw").mkdir(parents=True)
    site = settings.reports_dir / "r"
    (site / "runs").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html><title>gapbench</title><p>fine</p>")
    (site / "runs" / "a.html").write_text("<p>export OPENAI_API_KEY=…</p>")
    return api.workspace(settings)


Run = Callable[..., tuple[int, list[str]]]


@pytest.fixture
def gapbench(ws: api.Workspace, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, list[str]]:
        capsys.readouterr()
        code = main([*args, "--results-dir", str(ws.settings.results_dir),
                     "--reports-dir", str(ws.settings.reports_dir)])  # fmt: skip
        out = capsys.readouterr()
        return code, [ln for ln in (out.err + out.out).splitlines() if ln.strip()]

    return run


def _refused(code: int, lines: list[str], *needles: str) -> None:
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert lines[0].startswith("gapbench: publish: refused"), lines
    assert KEY not in lines[0] and PLAIN not in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_a_clean_report_publishes(ws: api.Workspace, gapbench: Run, tmp_path: Path) -> None:
    code, lines = gapbench("publish", "r", "--to", str(tmp_path / "www"))
    assert code == 0 and (tmp_path / "www" / "index.html").is_file(), lines


def test_a_key_in_the_store_refuses_the_publish(
    ws: api.Workspace, gapbench: Run, tmp_path: Path
) -> None:
    log = ws.settings.results_dir / "raw" / "demo" / "samples_x.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text('{"error": "401: invalid key ' + KEY + '"}\n')
    dest = tmp_path / "www"
    code, lines = gapbench("publish", "r", "--to", str(dest))
    _refused(code, lines, "raw/demo/samples_x.jsonl", "openai-key", "--scrub")
    assert not dest.exists()
    # the dataset path too, before any network is tried (offline would be exit 3)
    code, lines = gapbench("publish", "--hf-dataset", "me/results")
    _refused(code, lines, "openai-key")


def test_a_key_in_the_report_refuses_the_publish(
    ws: api.Workspace, gapbench: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = ws.settings.reports_dir / "r"
    page = site / "runs" / "a.html"
    page.write_text(f"<td>Authorization: Bearer {KEY[3:]}</td>")
    code, lines = gapbench("publish", "r", "--to", str(tmp_path / "www"))
    _refused(code, lines, "runs/a.html", "bearer")
    # a key with no known shape is found by its value, from the variable a deployment names
    page.write_text(f"<td>upstream said: bad key {PLAIN}</td>")
    monkeypatch.setenv("OPENAI_API_KEY", PLAIN)
    code, lines = gapbench("publish", "r", "--to", str(tmp_path / "www"))
    _refused(code, lines, "runs/a.html", "key-value")
    # inside an inspect log (a zip: its members are compressed)
    page.write_text("<p>clean again</p>")
    raw = site / "raw" / "run1"
    raw.mkdir(parents=True)
    with zipfile.ZipFile(raw / "log.eval", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("samples/1_epoch_1.json", '{"error": "' + KEY + '"}')
    code, lines = gapbench("publish", "r", "--to", str(tmp_path / "www"))
    _refused(code, lines, "raw/run1/log.eval:samples/1_epoch_1.json", "openai-key")
    assert not (tmp_path / "www").exists()
