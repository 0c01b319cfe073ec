"""lm-eval results/samples files and inspect .eval logs made outside gapbench."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.store import Store
from harness.store.importers import import_inspect, import_lm_eval
from harness.store.importers.inspect_log import _member, score_value

DATA = Path(__file__).parent / "data"
EVAL = DATA / "inspect" / "tiny_arith.eval"  # a real log (make_tiny_arith.py), zstd members


def test_lm_eval_samples_and_aggregates(tmp_path: Path) -> None:
    store = Store(tmp_path)
    summary = import_lm_eval(DATA / "lm_eval", store, access="open", release_date="2024-10-31")
    assert summary.rows_written == 4
    assert dict(summary.skipped) == {"metric word_perplexity not a 0..1 value": 1}
    df = store.samples(source="imported:lm_eval")
    arith = df[df.suite == "arith"].sort_values("sample_id")
    # the first filter (strict-match), one row per document
    assert list(arith.sample_id) == ["0", "1", "2"] and list(arith.score) == [1.0, 1.0, 0.0]
    assert set(arith.engine) == {"lm_eval"} and set(arith.engine_version) == {"0.4.13"}
    boolq = df[df.suite == "boolq_mini"].iloc[0]
    assert boolq.sample_id == "__aggregate__" and boolq.score == 0.75
    assert json.loads(boolq.extra)["stderr"] == "0.25"
    assert set(df.model_id) == {"smollm2"} and set(df.access) == {"open"}
    assert set(df.release_date.dt.date.astype(str)) == {"2024-10-31"}
    again = import_lm_eval(DATA / "lm_eval", store, access="open")
    assert again.rows_written == 0 and again.rows_present == 4


def test_lm_eval_malformed_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "results_x.json"
    bad.write_text('{"results": ')
    with pytest.raises(ConfigError, match=r"results_x\.json: not readable JSON"):
        import_lm_eval(bad, Store(tmp_path / "r"), access="open")
    bad.write_text('{"something": 1}')
    with pytest.raises(ConfigError, match=r"results_x\.json: results"):
        import_lm_eval(bad, Store(tmp_path / "r"), access="open")
    assert not Store(tmp_path / "r").files("samples")


def test_inspect_log_rows(tmp_path: Path) -> None:
    store = Store(tmp_path)
    summary = import_inspect(EVAL, store, access="closed", model_id="mock-model", kind="standard")
    assert summary.rows_written == 6
    df = store.samples(source="imported:inspect").sort_values(["sample_id", "epoch"])
    assert list(zip(df.sample_id, df.epoch, df.score, strict=True)) == [
        ("q0", 1, 1.0), ("q0", 2, 1.0), ("q1", 1, 0.0), ("q1", 2, 1.0), ("q2", 1, 1.0), ("q2", 2, 0.0),
    ]  # fmt: skip
    assert list(df.h) == [1, 1, 2, 2, 3, 3]
    assert set(df.input_tokens) == {12} and set(df.output_tokens) == {5}
    assert set(df.suite) == {"tiny_arith"} and set(df.suite_version) == {"2"}
    assert set(df.engine_version) == {"0.3.285"} and set(df.model_snapshot) == {"mockllm/model"}
    assert import_inspect(EVAL, store, access="closed", model_id="mock-model").rows_written == 0


def _rewrite(src: Path, dst: Path, edit: dict[str, dict]) -> None:
    """Copy a .eval log with some sample JSON replaced, stored deflated (older inspect)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = _member(zin, src, info.filename)
            if info.filename in edit:
                obj = json.loads(data)
                obj.update(edit[info.filename])
                data = json.dumps(obj).encode()
            zout.writestr(info.filename, data)


def test_inspect_errors_and_limits_are_not_wrong_answers(tmp_path: Path) -> None:
    log = tmp_path / "edited.eval"
    _rewrite(EVAL, log, {
        "samples/q1_epoch_1.json": {"error": {"message": "RateLimitError: 429\nmore", "traceback": ""}, "scores": {}},
        "samples/q2_epoch_2.json": {"limit": {"type": "message", "limit": 10}, "scores": {}},
    })  # fmt: skip
    store = Store(tmp_path / "r")
    import_inspect(log, store, access="open")
    df = store.samples().set_index(["sample_id", "epoch"])
    assert (
        df.loc[("q1", 1), "status"] == "error"
        and df.loc[("q1", 1), "error"] == "RateLimitError: 429"
    )
    assert df.loc[("q2", 2), "status"] == "limit" and df.loc[("q2", 2), "error"] == "message limit"
    assert df.loc[("q1", 1)].isna()["score"] and df.loc[("q2", 2)].isna()["score"]
    assert set(df.model_id) == {"mockllm/model"}


def test_inspect_malformed(tmp_path: Path) -> None:
    junk = tmp_path / "junk.eval"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"junk\.eval: not an inspect"):
        import_inspect(junk, Store(tmp_path / "r"), access="open")
    nohead = tmp_path / "nohead.eval"
    with zipfile.ZipFile(nohead, "w") as zf:
        zf.writestr("samples/a_epoch_1.json", "{}")
    with pytest.raises(ConfigError, match=r"no header\.json"):
        import_inspect(nohead, Store(tmp_path / "r"), access="open")


def test_score_values() -> None:
    assert [score_value(v) for v in ("C", "I", "P", "N", True, 0.25, 7, {"a": 1})] == [
        1.0, 0.0, 0.5, 0.0, 1.0, 0.25, None, None,
    ]  # fmt: skip
