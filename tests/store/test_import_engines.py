"""lm-eval results/samples files and inspect .eval logs made outside gapbench."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ConfigError, UserError
from harness.runners.inspect_records import collect_inspect
from harness.store import Store
from harness.store.importers import given_facts, import_lm_eval
from harness.store.importers._common import store_collected

DATA = Path(__file__).parent / "data"
EVAL = DATA / "inspect" / "tiny_arith.eval"  # a real log (make_tiny_arith.py), zstd members


def test_lm_eval_every_filter_kept_and_aggregates(tmp_path: Path) -> None:
    store = Store(tmp_path)
    summary = import_lm_eval(DATA / "lm_eval", store, access="open", release_date="2024-10-31")
    assert summary.rows_written == 7
    assert dict(summary.skipped) == {"metric word_perplexity not a 0..1 value": 1}
    df = store.samples(source="imported:lm_eval")
    # the first filter (strict-match) is the task; the other filter is its own suite
    arith = df[df.suite == "arith"].sort_values("sample_id")
    assert list(arith.sample_id) == ["0", "1", "2"] and list(arith.score) == [1.0, 1.0, 0.0]
    assert {json.loads(e)["filter"] for e in arith.extra} == {"strict-match"}
    flexible = df[df.suite == "arith[flexible-extract]"].sort_values("sample_id")
    assert len(flexible) == 3 and {json.loads(e)["filter"] for e in flexible.extra} == {
        "flexible-extract"
    }
    assert set(arith.engine) == {"lm_eval"} and set(arith.engine_version) == {"0.4.13"}
    boolq = df[df.suite == "boolq_mini"].iloc[0]
    assert boolq.sample_id == "__aggregate__" and boolq.score == 0.75
    assert json.loads(boolq.extra)["stderr"] == "0.25"
    assert set(df.model_id) == {"smollm2"} and set(df.access) == {"open"}
    assert set(df.release_date.dt.date.astype(str)) == {"2024-10-31"}
    # prompts, outputs and targets are kept
    t = store.transcripts(arith.sample_key)[arith.sample_key.iloc[0]]
    assert (t.prompt, t.output, t.target) == ("Q: 1+1", "A: 2", "2")
    assert [m.role for m in t.messages] == ["user", "assistant"]
    again = import_lm_eval(DATA / "lm_eval", store, access="open")
    assert again.rows_written == 0 and again.rows_present == 7


def test_lm_eval_filter_chosen_by_flag(tmp_path: Path) -> None:
    store = Store(tmp_path)
    summary = import_lm_eval(DATA / "lm_eval", store, access="open", filter_name="flexible-extract")
    # tasks without that filter are skipped and said so, never silently
    assert summary.rows_written == 3
    assert dict(summary.skipped)["task boolq_mini has no filter flexible-extract"] == 1
    assert "task boolq_mini has no filter flexible-extract" in summary.line()
    arith = store.samples(suite="arith")
    assert {json.loads(e)["filter"] for e in arith.extra} == {"flexible-extract"}
    with pytest.raises(ConfigError, match=r"no task has filter 'nope' \(filters: flexible"):
        import_lm_eval(DATA / "lm_eval", Store(tmp_path / "b"), access="open", filter_name="nope")


def test_lm_eval_replace_corrects_facts_and_keeps_history(tmp_path: Path) -> None:
    store = Store(tmp_path)
    import_lm_eval(DATA / "lm_eval", store, access="closed", release_date="2020-01-01")
    fixed = import_lm_eval(
        DATA / "lm_eval", store, access="open", release_date="2024-10-31", replace=True
    )
    assert fixed.rows_written == 7 and fixed.rows_replaced == 7
    df = store.samples()
    assert set(df.access) == {"open"} and set(df.attempt) == {2}
    assert len(store.query("SELECT * FROM samples_all")) == 14
    assert "7 replaced" in fixed.line()


def test_lm_eval_malformed_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "results_x.json"
    bad.write_text('{"results": ')
    with pytest.raises(ConfigError, match=r"results_x\.json: line 1: not valid JSON"):
        import_lm_eval(bad, Store(tmp_path / "r"), access="open")
    bad.write_text('{"results": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(ConfigError, match=r"results_x\.json: .*nested too deeply"):
        import_lm_eval(bad, Store(tmp_path / "r"), access="open")
    bad.write_text('{"something": 1}')
    with pytest.raises(ConfigError, match=r"results_x\.json: results"):
        import_lm_eval(bad, Store(tmp_path / "r"), access="open")
    with pytest.raises(UserError, match="'2024-13-01' is not a valid date"):
        import_lm_eval(
            DATA / "lm_eval", Store(tmp_path / "r"), access="open", release_date="2024-13-01"
        )
    assert not (tmp_path / "r").exists()


def _inspect(path: Path, store: Store, **kw: object):  # type: ignore[no-untyped-def]
    facts = given_facts("closed", None)
    out = collect_inspect(path, facts, **kw)  # type: ignore[arg-type]
    return store_collected(out, path, store, replace=False)


def test_inspect_log_rows(tmp_path: Path) -> None:
    store = Store(tmp_path)
    summary = _inspect(EVAL, store, model_id="mock-model", kind="standard")
    assert summary.rows_written == 6
    df = store.samples(source="imported:inspect").sort_values(["sample_id", "epoch"])
    assert list(zip(df.sample_id, df.epoch, df.score, strict=True)) == [
        ("q0", 1, 1.0), ("q0", 2, 1.0), ("q1", 1, 0.0), ("q1", 2, 1.0), ("q2", 1, 1.0), ("q2", 2, 0.0),
    ]  # fmt: skip
    assert list(df.h) == [1, 1, 2, 2, 3, 3]
    assert set(df.input_tokens) == {12} and set(df.output_tokens) == {5}
    assert set(df.suite) == {"tiny_arith"} and set(df.suite_version) == {"2"}
    assert set(df.engine_version) == {"0.3.285"} and set(df.model_snapshot) == {"mockllm/model"}
    t = store.transcripts([df.sample_key.iloc[0]])[df.sample_key.iloc[0]]
    assert t.prompt == "What is 0+0?" and t.output == "The answer is 0" and t.target == "0"
    assert [m.role for m in t.messages] == ["user", "assistant"]
    assert t.explanation == "The answer is 0"
    assert _inspect(EVAL, store, model_id="mock-model").rows_written == 0


def test_inspect_errors_are_not_wrong_answers_and_limits_are_failed_tasks(tmp_path: Path) -> None:
    from inspect_ai.log import EvalError, EvalSampleLimit, read_eval_log, write_eval_log

    log = read_eval_log(str(EVAL))
    assert log.samples is not None
    by = {(s.id, s.epoch): s for s in log.samples}
    by[("q1", 1)].error = EvalError(
        message="RateLimitError: 429\nmore", traceback="", traceback_ansi=""
    )
    by[("q1", 1)].scores = {}
    by[("q2", 2)].limit = EvalSampleLimit(type="message", limit=10)  # scorer said I
    by[("q0", 2)].limit = EvalSampleLimit(type="token", limit=100)  # scorer said C
    edited = tmp_path / "edited.eval"
    write_eval_log(log, str(edited))
    store = Store(tmp_path / "r")
    _inspect(edited, store)
    df = store.samples().set_index(["sample_id", "epoch"])
    assert df.loc[("q1", 1), "status"] == "error" and pd_isna(df.loc[("q1", 1), "score"])
    assert df.loc[("q1", 1), "error"] == "RateLimitError: 429 more"
    # limits are scored as the scorer saw them (counted), as in own runs
    assert df.loc[("q2", 2), "status"] == "limit" and df.loc[("q2", 2), "score"] == 0.0
    assert not df.loc[("q2", 2), "success"]
    assert df.loc[("q0", 2), "status"] == "limit" and df.loc[("q0", 2), "score"] == 1.0
    assert df.loc[("q2", 2), "error"].startswith("message limit (10)")
    assert set(df.model_id) == {"mockllm/model"}


def pd_isna(value: object) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def test_inspect_malformed(tmp_path: Path) -> None:
    junk = tmp_path / "junk.eval"
    junk.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"junk\.eval: not a readable inspect log"):
        _inspect(junk, Store(tmp_path / "r"))
    with pytest.raises(ConfigError, match=r"no \.eval logs found"):
        _inspect(tmp_path / "nothing-here", Store(tmp_path / "r"))
    assert not (tmp_path / "r").exists()
