"""An imported inspect log is untrusted: one that would inflate past the bound, or whose
member names climb out, is refused in one line (exit 2) before inspect's reader runs (a
55 KB log took that reader 1.76 GB of memory; B2's red team of issue 18)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from harness.cli import main
from harness.store import Store

EVAL = Path(__file__).parent / "data" / "inspect" / "tiny_arith.eval"


def _import(tmp: Path, log: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["import", "inspect", "--from", str(log), "--access", "open",
                 "--results-dir", str(tmp / "results")])  # fmt: skip
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, [ln for ln in (out.err + out.out).splitlines() if ln.strip()]


def test_a_log_that_would_inflate_past_the_bound_is_refused_before_inspect_reads_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.store.rawpaths as rawpaths

    monkeypatch.setattr(rawpaths, "EVAL_MAX_UNCOMPRESSED", 1_000_000)  # 512 MiB in use
    bomb = tmp_path / "bomb.eval"
    shutil.copy(EVAL, bomb)
    with zipfile.ZipFile(bomb, "a") as zf:  # 2 MB of zeros: a few KB once compressed
        zf.writestr("samples/pad.json", b"0" * 2_000_000, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 100_000
    import inspect_ai.log

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("inspect's reader ran on a refused log")

    monkeypatch.setattr(inspect_ai.log, "read_eval_log", never)
    code, lines = _import(tmp_path, bomb, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert str(bomb) in lines[0] and "bytes once decompressed" in lines[0]
    assert Store(tmp_path / "results").samples().empty


def test_a_log_whose_member_climbs_out_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slip = tmp_path / "slip.eval"
    shutil.copy(EVAL, slip)
    with zipfile.ZipFile(slip, "a") as zf:
        zf.writestr("../../outside.json", b"{}")
    code, lines = _import(tmp_path, slip, capsys)
    assert code == 2 and len(lines) == 1 and "a member named" in lines[0], lines


def test_the_real_log_still_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, lines = _import(tmp_path, EVAL, capsys)
    assert code == 0, lines
    assert not Store(tmp_path / "results").samples().empty
