"""Importers read untrusted files: any name an engine allows imports, anything else is one
line and exit 2, never a traceback; a task name cannot make the importer read a file outside
the output folder (issue 18.5)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.store import Store

DATA = Path(__file__).parent / "data"
LM_EVAL = DATA / "lm_eval" / "smollm2"
RESULTS = next(LM_EVAL.glob("results_*.json"))
DATE = RESULTS.stem.removeprefix("results_")
SAMPLES = (LM_EVAL / f"samples_arith_{DATE}.jsonl").read_text()
EVAL = DATA / "inspect" / "tiny_arith.eval"


def _lm_eval(root: Path, task: str, model: object = "smollm2", **top: Any) -> Path:
    """lm-eval output for one task named `task`, its samples written where lm-eval writes
    them (samples_<task>_<date>.jsonl beside the results; a '/' in the name is a folder)."""
    root.mkdir(parents=True)
    data = json.loads(RESULTS.read_text())
    data["results"] = {task: data["results"]["arith"]}
    data["configs"] = {task: data["configs"]["arith"]}
    data["versions"] = {task: 1}
    data["model_name"] = model
    data.update(top)
    (root / RESULTS.name).write_text(json.dumps(data))
    target = root / f"samples_{task}_{DATE}.jsonl"
    if root.resolve() in target.resolve().parents and len(target.name) < 255:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(SAMPLES)
    return root


def _import(
    tmp: Path, source: str, path: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[str], Store]:
    capsys.readouterr()
    results = tmp / "results"
    code = main(["import", source, "--from", str(path), "--access", "open",
                 "--results-dir", str(results)])  # fmt: skip
    out = capsys.readouterr()
    lines = [ln for ln in (out.err + out.out).splitlines() if ln.strip()]
    assert "Traceback" not in out.err
    return code, lines, Store(results)


@pytest.mark.parametrize(
    "task",
    [
        "mmlu/abstract algebra",
        "my task",
        "задача_数学",
        "a\u202eb",
        '=HYPERLINK("x")',
        "_x",
        "t" * 400,
    ],
)
def test_any_task_name_lm_eval_allows_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], task: str
) -> None:
    code, lines, store = _import(tmp_path, "lm-eval", _lm_eval(tmp_path / "out", task), capsys)
    assert code == 0, lines
    df = store.samples()  # read back: stored rows are visible, whatever the name
    if len(task) < 200:
        assert set(df.suite) == {task, f"{task}[flexible-extract]"}
        assert len(df) == 6 and sorted(df.sample_id.unique()) == ["0", "1", "2"]  # samples found
    else:  # too long for lm-eval to write a samples file: the summary row
        assert list(df.suite) == [task] and list(df.sample_id) == ["__aggregate__"]


def test_any_model_name_imports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = "org/model name ünï\u200b with spaces"
    code, lines, store = _import(
        tmp_path, "lm-eval", _lm_eval(tmp_path / "out", "arith", model), capsys
    )
    assert code == 0, lines
    assert set(store.samples().model_id) == {model}


def test_a_task_name_cannot_reach_a_file_outside_the_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    task = "x/../../outside"
    out = _lm_eval(tmp_path / "a" / "out", task)
    planted = tmp_path / "a" / f"outside_{DATE}.jsonl"  # where '..' would lead
    planted.write_text(SAMPLES.replace("Q: 1+1", "SECRET PROMPT"))
    # and a samples file that is a link to a file outside
    linked = _lm_eval(tmp_path / "b" / "out", "linked")
    link = linked / f"samples_linked_{DATE}.jsonl"
    link.unlink()
    link.symlink_to(planted)
    for folder in (out, linked):
        code, lines, store = _import(tmp_path / folder.parent.name, "lm-eval", folder, capsys)
        assert code == 0, lines
        df = store.samples()
        assert list(df.sample_id) == ["__aggregate__"], df.sample_id  # the summary only
        assert not store.transcripts(df.sample_key)  # nothing read from the planted file


@pytest.mark.parametrize(
    ("top", "field"),
    [
        ({"configs": [1]}, "configs"),
        ({"versions": "x"}, "versions"),
        ({"config": "x"}, "config"),
        ({"n-samples": {"arith": 3}}, "n-samples.arith"),
    ],
)
def test_a_malformed_results_file_is_one_line_naming_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], top: dict[str, Any], field: str
) -> None:
    folder = _lm_eval(tmp_path / "out", "arith", **top)
    code, lines, _ = _import(tmp_path, "lm-eval", folder, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"gapbench: {folder / RESULTS.name}: {field}: "), lines
    code, lines, _ = _import(tmp_path, "lm-eval", _lm_eval(tmp_path / "m", "a", model=12), capsys)
    assert code == 2 and "model_name" in lines[0], lines


def test_own_output_with_a_bad_gapbench_block_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _lm_eval(tmp_path / "out", "arith", gapbench={"run_id": "r1"})
    samples = folder / f"samples_arith_{DATE}.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    rows[0]["gapbench"] = {"epoch": "abc"}
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, lines, _ = _import(tmp_path, "lm-eval", folder, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0] == f"gapbench: {samples}: line 1: gapbench.epoch: must be a whole number"


def test_a_binary_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    binary = tmp_path / "results_x.json"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    code, lines, _ = _import(tmp_path, "lm-eval", binary, capsys)
    assert code == 2 and len(lines) == 1 and str(binary) in lines[0], lines
    log = tmp_path / "x.eval"
    shutil.copy(binary, log)
    code, lines, _ = _import(tmp_path, "inspect", log, capsys)
    assert code == 2 and len(lines) == 1 and str(log) in lines[0], lines


def test_inspect_logs_with_any_names_import_and_bad_metadata_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    log = read_eval_log(str(EVAL))
    log.eval.task = "org/task name ü\u202e"
    log.eval.model = "=cmd|' /C calc'!A0/ünï\u200b"
    named = tmp_path / "named.eval"
    write_eval_log(log, str(named))
    code, lines, store = _import(tmp_path / "a", "inspect", named, capsys)
    assert code == 0, lines
    df = store.samples()
    assert set(df.suite) == {log.eval.task} and set(df.model_id) == {log.eval.model}
    log.eval.metadata = {"gapbench_epochs": {"q0": ["x", None]}, "gapbench_run_id": "r"}
    bad = tmp_path / "bad.eval"
    write_eval_log(log, str(bad))
    code, lines, _ = _import(tmp_path / "b", "inspect", bad, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"gapbench: {bad}: eval.metadata.gapbench_epochs.q0: ")


# -- B2 (red team of issue 18): shapes lm-eval never writes, from a file someone else wrote --


def _rewrite_samples(folder: Path, task: str, change: Any) -> None:
    samples = folder / f"samples_{task}_{DATE}.jsonl"
    rows = [json.loads(line) for line in samples.read_text().splitlines()]
    for row in rows:
        change(row)
    samples.write_text("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.parametrize(
    "case",
    ["metric_list a dict", "metrics an int", "metrics a dict", "a 400-digit score"],
)
def test_odd_shapes_import_or_are_skipped_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    folder = _lm_eval(tmp_path / "out", "arith")
    if case == "metric_list a dict":
        data = json.loads((folder / RESULTS.name).read_text())
        data["configs"]["arith"]["metric_list"] = {"metric": "exact_match"}
        (folder / RESULTS.name).write_text(json.dumps(data))
    elif case.startswith("metrics"):
        data = json.loads((folder / RESULTS.name).read_text())
        data["configs"]["arith"].pop("metric_list", None)
        (folder / RESULTS.name).write_text(json.dumps(data))
        odd = 5 if case == "metrics an int" else {"exact_match": 1}
        _rewrite_samples(folder, "arith", lambda r: r.update(metrics=odd))
    else:
        (folder / f"samples_arith_{DATE}.jsonl").unlink()
        text = (folder / RESULTS.name).read_text()
        data = json.loads(text)
        key = next(k for k in data["results"]["arith"] if k.startswith("exact_match,"))
        data["results"]["arith"][key] = 12345
        (folder / RESULTS.name).write_text(json.dumps(data).replace("12345", "1" + "0" * 400))
    code, lines, store = _import(tmp_path, "lm-eval", folder, capsys)  # no traceback
    assert code == 0, lines
    if case == "a 400-digit score":
        assert "not a 0..1 value" in lines[-1] and store.samples().empty, lines


@pytest.mark.parametrize(("h", "why"), [(-3, "must be >= 1"), (10**30, "must be <= 1000000")])
def test_a_required_step_count_out_of_range_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], h: int, why: str
) -> None:
    # h feeds log2(h) in the horizon fit: 0 or less is not a number of steps, and 10^30
    # does not fit the store's integer column
    folder = _lm_eval(tmp_path / "out", "arith", gapbench={"run_id": "r1"})
    _rewrite_samples(folder, "arith", lambda r: r.update(gapbench={"h": h}))
    code, lines, _ = _import(tmp_path, "lm-eval", folder, capsys)
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].endswith(f"line 1: gapbench.h: {why}"), lines


def test_a_lone_surrogate_in_a_name_or_a_response_imports_as_a_replacement_character(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "\ud800" is valid JSON but no UTF-8 text: file names and Parquet refuse it
    folder = _lm_eval(tmp_path / "out", "arith", model="m\udfff")
    results = folder / RESULTS.name
    results.write_text(results.read_text().replace('"arith"', '"ar\\ud800th"'))
    code, lines, store = _import(tmp_path / "a", "lm-eval", folder, capsys)
    assert code == 0, lines
    df = store.samples()
    assert set(df.suite) == {"ar\ufffdth"} and set(df.model_id) == {"m\ufffd"}, df
    folder = _lm_eval(tmp_path / "out2", "arith")
    _rewrite_samples(folder, "arith", lambda r: r.update(resps=[["\udc80 broken emoji"]]))
    code, lines, store = _import(tmp_path / "b", "lm-eval", folder, capsys)
    assert code == 0, lines
    texts = store.transcripts(list(store.samples().sample_key))
    assert {t.output for t in texts.values()} == {"\ufffd broken emoji"}
