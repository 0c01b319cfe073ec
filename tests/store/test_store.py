"""Writes, reads, dedup, runs, compaction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.store import SCHEMA_VERSION, Store
from harness.store.rows import samples_table
from tests.store.helpers import put, run, sample, samples


def test_roundtrip_keeps_values_and_partitions(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.append_samples(samples(3) + samples(2, run_id="run-b", suite="tau2/airline")) == 5
    df = store.samples()
    assert len(df) == 5
    row = df[df.sample_id == "s1"].iloc[0]
    assert row.score == 1.0 and row.status == "scored" and row.extra == '{"note": "x"}'
    assert row.quantization == "Q4_1" and row.schema_version == SCHEMA_VERSION
    assert row.attempt == 1 and not row.canary and row.written_at.tzname() == "UTC"
    # one directory per suite, names made safe (no path separator escapes the store), and
    # not hive-style key=value (raw readers would read suite twice)
    suites = sorted(p.name for p in (tmp_path / "samples").iterdir())
    assert suites == ["arith", "tau2_airline"]
    assert len(store.samples(suite="tau2/airline")) == 2


def test_filters(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples(samples(4) + samples(3, run_id="run-b", model_id="gpt-x", kind="agentic"))
    assert len(store.samples(model_id="gpt-x")) == 3
    assert len(store.samples(kind="agentic", model_id="gpt-x")) == 3
    assert len(store.samples(kind="agentic", model_id="smollm2-135m-instruct")) == 0
    assert len(store.samples(source="own", sweep_id="demo")) == 7
    assert store.samples(suite="nope").empty


def test_empty_store_has_schema_columns(tmp_path: Path) -> None:
    store = Store(tmp_path / "missing")
    empty, full = store.samples(), None
    Store(tmp_path).append_samples(samples(1))
    full = Store(tmp_path).samples()
    assert list(empty.columns) == list(full.columns)
    assert list(empty.dtypes) == list(full.dtypes)
    assert store.runs().empty and store.done_keys("run-a") == set()


def test_append_skips_stored_keys_and_done_keys(tmp_path: Path) -> None:
    store = Store(tmp_path)
    assert store.append_samples(samples(3)) == 3
    assert store.append_samples(samples(5)) == 2  # s0..s2 already there
    assert store.append_samples(samples(5)) == 0
    assert len(store.done_keys("run-a")) == 5
    assert store.done_keys("run-zzz") == set()


def test_reads_deduplicate_raced_keys_newest_written_wins(tmp_path: Path) -> None:
    # Two writers that both passed the stored-key check write the same key (attempt 1).
    store = Store(tmp_path)
    store.append_samples([sample(score=0.25)])
    Store(tmp_path).append_table(samples_table([sample(score=0.75)]), replace="none")
    directory = store.files("samples")[0].parent
    late = samples_table([sample(score=0.5)])  # written by hand after both, same attempt
    put(late, directory)
    df = store.samples()
    assert len(df) == 1 and df.score.iloc[0] == 0.5
    assert len(store.all_keys()) == 1
    assert len(store.query("SELECT * FROM samples_all")) == 2


def test_runs_latest_attempt(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_run(run(started=5, status="partial"))
    store.append_run(run(started=0, status="running"))
    store.append_run(run("run-b", started=1))
    df = store.runs().set_index("run_id")
    assert len(df) == 2
    assert df.loc["run-a", "status"] == "partial"  # newest started_at, not newest written


def test_temp_files_are_invisible(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples(samples(2))
    directory = store.files("samples")[0].parent
    # a writer that crashed before its rename leaves a half-written temp file: in .store/tmp
    # (v2), or beside the parts (v1 writers)
    (directory / ".tmp-deadbeef.parquet").write_bytes(b"PAR1 half a file")
    (tmp_path / ".store" / "tmp").mkdir(parents=True, exist_ok=True)
    (tmp_path / ".store" / "tmp" / "cafe.parquet").write_bytes(b"PAR1 half")
    assert len(store.samples()) == 2 and not store.warnings
    summary = store.compact(temp_age_s=0)
    assert summary.temps_removed == 2
    assert not list(directory.glob(".tmp-*"))


def test_compact_merges_and_keeps_every_attempt(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples([sample(status="error")])
    for i in range(2, 7):
        store.append_samples([sample(sample_id=f"s{i}")])
    store.append_samples([sample(score=0.75)])  # the retry of the errored s1
    store.append_run(run())
    store.append_run(run(started=3))
    before = store.samples().sort_values("sample_key").reset_index(drop=True)
    summary = store.compact()
    assert summary.files_after == summary.partitions
    after = store.samples().sort_values("sample_key").reset_index(drop=True)
    assert before.equals(after)
    assert after[after.sample_id == "s1"].score.iloc[0] == 0.75
    for part in store.files("samples"):
        assert pq.read_metadata(part).num_rows == len(pq.read_table(part))
    # the errored first attempt is history, still stored
    assert sum(pq.read_metadata(p).num_rows for p in store.files("samples")) == 7
    assert len(store.files("samples")) == 1 and len(store.files("run_history")) == 1
    assert len(store.runs()) == 1 and len(store.run_history()) == 2


def test_bad_records_are_rejected_before_writing(tmp_path: Path) -> None:
    store = Store(tmp_path)
    with pytest.raises(ValueError, match="outside 0"):
        store.append_samples([sample(score=3.0)])
    with pytest.raises(ValueError, match="access"):
        store.append_samples([sample(access="semi-open")])
    assert not store.files("samples")


def test_append_table_keeps_first_of_duplicate_keys_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path)
    recs = [sample(sample_id=f"s{i % 4}", score=i / 10) for i in range(10)]  # s0..s3 repeat
    assert store.append_table(samples_table(recs)) == 4
    df = store.samples().sort_values("sample_id")
    assert list(df.score) == [0.0, 0.1, 0.2, 0.3]


def test_append_table_checks_columns(tmp_path: Path) -> None:
    errored = dataclasses.replace(sample(sample_id="s2", status="error"), score=0.5)
    tbl = samples_table([sample(), errored])
    with pytest.raises(ValueError, match="status is error"):
        Store(tmp_path).append_table(tbl)
    horizon = sample(source="imported:epoch", score=None, extra={"unit": "minutes"})
    tbl = samples_table([horizon])
    ok = tbl.set_column(tbl.column_names.index("score"), "score", pa.array([42.0]))
    assert Store(tmp_path).append_table(ok) == 1


def test_a_run_message_with_a_lone_surrogate_is_stored_as_a_replacement(tmp_path: Path) -> None:
    # An engine's error text can quote a reply holding "\ud800" (valid JSON, not UTF-8): the
    # run record must be written all the same (E4's finding, for the samples too).
    store = Store(tmp_path / "results")
    store.append_run(dataclasses.replace(run(status="failed"), message="bad reply 'x\ud800'"))
    [message] = store.runs()["message"].tolist()
    assert message == "bad reply 'x\ufffd'"
