"""`gapbench results` and `gapbench import` on the command line: exports by extension, --check,
--migrate, and every bad input is one line, exit 2, with the store folder byte for byte as
it was."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness import exitcodes
from harness.cli import main
from harness.store import Store
from harness.store.importers import import_lm_eval
from tests.store.helpers import sample, samples, tree_hash

DATA = Path(__file__).parent / "data"
EVAL = DATA / "inspect" / "tiny_arith.eval"


@pytest.fixture
def results(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with own rows (one retried) and an lm-eval import; the CLI points at it."""
    root = tmp_path / "results"
    store = Store(root)
    store.append_samples([*samples(3), sample(sample_id="e", status="error")])
    store.append_samples([sample(sample_id="e", score=0.5)])
    import_lm_eval(DATA / "lm_eval", store, access="open")
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(root))
    monkeypatch.setenv("GAPBENCH_CACHE_DIR", str(tmp_path / "cache"))
    return root


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".json", ".jsonl"])
def test_export_format_from_the_extension(results: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"all{suffix}"
    assert main(["results", "--export", str(out)]) == exitcodes.OK
    n = len(Store(results).samples())
    if suffix == ".csv":
        back = pd.read_csv(out)
    elif suffix == ".parquet":
        back = pd.read_parquet(out)
    elif suffix == ".json":
        back = pd.DataFrame(json.loads(out.read_text()))
    else:
        back = pd.read_json(out, lines=True)
    assert len(back) == n == 11 and back.sample_key.is_unique
    assert back.set_index("sample_id").loc["e", "score"] == 0.5  # the newest attempt


def test_export_of_runs_and_transcripts(results: Path, tmp_path: Path) -> None:
    assert main(["results", "--export", str(tmp_path / "t.jsonl"), "--table", "transcripts"]) == 0
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert rows and all(isinstance(r["messages"], list) for r in rows)


@pytest.mark.parametrize("name", ["out.txt", "out", "out.xlsx"])
def test_export_with_an_unknown_extension_is_one_line(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    before = tree_hash(results)
    assert main(["results", "--export", str(tmp_path / name)]) == exitcodes.USAGE
    line = _one_line(capsys)
    assert name in line and ".csv, .parquet, .json or .jsonl" in line
    assert not (tmp_path / name).exists() and tree_hash(results) == before


def test_check_lists_bad_files_and_changes_nothing(
    results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["results", "--check"]) == exitcodes.OK
    capsys.readouterr()
    bad = Store(results).files("samples", "arith")[0].parent / "part-00000000000000000009-x.parquet"
    bad.write_bytes(b"PAR1 not really")
    before = tree_hash(results)
    assert main(["results", "--check"]) == exitcodes.FAILURE
    out = capsys.readouterr()
    assert str(bad) in out.out and len(out.out.strip().splitlines()) == 1
    assert tree_hash(results) == before
    # reads go on with one warning; the summary still shows every good row
    assert main(["results"]) == exitcodes.OK
    captured = capsys.readouterr()
    assert "smollm2" in captured.out and captured.err.count(str(bad)) == 1


def test_migrate_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "v1"
    shutil.copytree(DATA / "v1_store", root)
    monkeypatch.setenv("GAPBENCH_RESULTS_DIR", str(root))
    assert main(["results", "--migrate"]) == exitcodes.OK
    assert "migrated 5 samples files and 1 runs files" in capsys.readouterr().out
    assert main(["results", "--migrate"]) == exitcodes.OK
    assert "nothing to migrate" in capsys.readouterr().out


BAD_IMPORTS = [
    (["lm-eval", "--from", str(DATA / "lm_eval"), "--access", "open", "--release-date", "2024-13-01"],
     "'2024-13-01' is not a valid date"),
    (["lm-eval", "--from", str(DATA / "lm_eval"), "--model", "smollm2-135m-instruct", "--access", "closed"],
     "contradicts the model card of 'smollm2-135m-instruct'"),
    (["lm-eval", "--from", str(DATA / "lm_eval"), "--model", "smollm2-135m-instruct", "--release-date", "2025-01-01"],
     "--release-date 2025-01-01 contradicts"),
    (["lm-eval", "--from", str(DATA / "lm_eval")], "is not in"),  # unknown model, no --access
    (["lm-eval", "--from", str(DATA / "lm_eval"), "--access", "open", "--filter", "nope"],
     "no task has filter 'nope'"),
    (["lm-eval", "--from", str(DATA / "nowhere"), "--access", "open"], "not found"),
    (["inspect", "--from", str(DATA / "lm_eval" / "smollm2"), "--access", "open"], "no .eval logs"),
    (["inspect", "--from", str(DATA / "v1_store" / "runs"), "--access", "open"], "no .eval logs"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "words"), BAD_IMPORTS)
def test_bad_imports_are_one_line_and_leave_the_store_alone(
    results: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: str
) -> None:
    before = tree_hash(results)
    capsys.readouterr()
    assert main(["import", *argv]) == exitcodes.USAGE
    assert words in _one_line(capsys)
    assert tree_hash(results) == before


def test_bad_inspect_log_is_one_line(
    results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.eval"
    junk.write_bytes(b"PK\x03\x04 not a zip at all")
    before = tree_hash(results)
    capsys.readouterr()
    assert main(["import", "inspect", "--from", str(junk), "--access", "open"]) == exitcodes.USAGE
    assert "junk.eval: not a readable inspect log" in _one_line(capsys)
    assert tree_hash(results) == before


def test_import_takes_the_card_and_replace_corrects_a_wrong_import(
    results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # imported under the log's model name with a wrong access
    assert main(["import", "inspect", "--from", str(EVAL), "--access", "closed"]) == 0
    wrong = Store(results).samples(source="imported:inspect")
    assert len(wrong) == 6 and set(wrong.access) == {"closed"}
    capsys.readouterr()
    # corrected in place: the registry's card gives access, date and organisation
    fixed_argv = ["import", "inspect", "--from", str(EVAL), "--model", "smollm2-135m-instruct"]
    assert main([*fixed_argv, "--replace"]) == exitcodes.OK
    assert "6 replaced" in capsys.readouterr().out
    rows = Store(results).samples(source="imported:inspect")
    assert len(rows) == 6 and set(rows.attempt) == {2}
    assert set(rows.model_id) == {"smollm2-135m-instruct"} and set(rows.access) == {"open"}
    assert {str(d.date()) for d in rows.release_date} == {"2024-10-31"}
    assert len({json.loads(e)["organisation"] for e in rows.extra}) == 1
    assert (
        len(Store(results).query("SELECT * FROM samples_all WHERE source = 'imported:inspect'"))
        == 12
    )
    # the same import again writes nothing
    assert main(fixed_argv) == exitcodes.OK
    assert "imported 0 new rows" in capsys.readouterr().out
