"""A truncated, foreign or newer file: reads skip it with ONE warning line naming it, every
other row stays readable and writable, `check()` lists it, nothing is deleted; strict reads
(on_bad="raise") fail with one line naming it."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.errors import StoreError
from harness.store import SCHEMA_VERSION, Store
from harness.store.rows import samples_table
from harness.store.schema import META_VERSION
from tests.store.helpers import put, run, sample, samples


def _store_with_rows(tmp_path: Path) -> Store:
    store = Store(tmp_path)
    store.append_samples(samples(4))
    store.append_samples(samples(3, run_id="run-b", suite="other"))
    store.append_run(run())
    return store


def _partition(tmp_path: Path) -> Path:
    return Store(tmp_path).files("samples", "arith")[0].parent


def _truncated(tmp_path: Path) -> Path:
    good = Store(tmp_path).files("samples", "arith")[0]
    bad = _partition(tmp_path) / "part-00000000000000000001-trunc.parquet"
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 2])
    return bad


def _foreign(tmp_path: Path) -> Path:
    bad = _partition(tmp_path) / "part-00000000000000000002-foreign.parquet"
    pq.write_table(pa.table({"x": [1, 2, 3]}), bad)
    return bad


def _newer(tmp_path: Path) -> Path:
    tbl = samples_table(samples(2, run_id="run-future"))
    meta = dict(tbl.schema.metadata)
    meta[META_VERSION] = str(SCHEMA_VERSION + 1).encode()
    return put(tbl.replace_schema_metadata(meta), _partition(tmp_path))


def _not_parquet(tmp_path: Path) -> Path:
    bad = _partition(tmp_path) / "part-00000000000000000003-text.parquet"
    bad.write_text("hello, I am a CSV file\n1,2,3\n")
    return bad


@pytest.mark.parametrize(
    ("make_bad", "words"),
    [
        (_truncated, "truncated or corrupt"),
        (_foreign, "not a gapbench store file"),
        (_newer, f"schema version {SCHEMA_VERSION + 1}"),
        (_not_parquet, "not a readable Parquet file"),
    ],
)
def test_bad_file_is_skipped_with_one_warning_and_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make_bad, words
) -> None:
    _store_with_rows(tmp_path)
    bad = make_bad(tmp_path)
    store = Store(tmp_path)
    df = store.samples()
    assert len(df) == 7 and "run-future" not in set(df.run_id)
    assert len(store.runs()) == 1 and len(store.done_keys("run-a")) == 4
    store.samples()  # a second read in the same process: no second warning line
    Store(tmp_path).samples(suite="arith")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(bad) in err[0] and words in err[0]
    assert len(store.warnings) == 1 and str(bad) in store.warnings[0]
    # writes go on: a new row in the same folder, and the bad file is still there
    assert store.append_samples([sample(sample_id="new")]) == 1
    assert len(Store(tmp_path).samples()) == 8
    assert bad.exists()
    problems = Store(tmp_path).check()
    assert len(problems) == 1 and str(bad) in problems[0]
    # strict reads: one line naming the file, exit code 2
    with pytest.raises(StoreError) as info:
        Store(tmp_path, on_bad="raise").samples()
    message = str(info.value)
    assert "\n" not in message and str(bad) in message and words in message
    assert info.value.exit_code == 2


def test_corrupt_data_pages_with_intact_footer(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    target = store.files("samples", "arith")[0]
    data = bytearray(target.read_bytes())
    # Overwrite the start of the data pages, keeping the footer (last 8 bytes + metadata).
    for i in range(4, min(len(data) // 3, 600)):
        data[i] = 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info:
        Store(tmp_path, on_bad="raise").samples()
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    tolerant = Store(tmp_path)
    assert len(tolerant.samples()) == 3  # the other suite's rows
    assert tolerant.warnings and any(str(target) in line for line in tolerant.check())


def test_file_of_the_wrong_table(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    runs_file = store.files("runs")[0]
    moved = _partition(tmp_path) / "part-00000000000000000004-runs.parquet"
    moved.write_bytes(runs_file.read_bytes())
    with pytest.raises(StoreError, match="holds the runs table"):
        Store(tmp_path, on_bad="raise").samples()
    assert len(Store(tmp_path).samples()) == 7


def test_foreign_names_are_ignored_by_reads_and_listed_by_check(tmp_path: Path) -> None:
    _store_with_rows(tmp_path)
    notes = _partition(tmp_path) / "notes.txt"
    notes.write_text("mine")
    stray = tmp_path / "runs" / "old-runs.parquet"
    stray.write_bytes(b"x")
    assert len(Store(tmp_path).samples()) == 7 and len(Store(tmp_path).runs()) == 1
    problems = Store(tmp_path).check()
    assert [str(notes) in p for p in problems].count(True) == 1
    assert [str(stray) in p for p in problems].count(True) == 1


def test_corrupt_current_runs_file_is_kept_aside_and_rebuilt(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    current = store.files("runs")[0]
    current.write_bytes(b"PAR1 garbage")
    assert len(Store(tmp_path).runs()) == 1  # history still answers
    Store(tmp_path).append_run(run("run-c"))
    assert set(Store(tmp_path, on_bad="raise").runs().run_id) == {"run-a", "run-c"}
    aside = list((tmp_path / ".store" / "quarantine").iterdir())
    assert len(aside) == 1 and aside[0].read_bytes() == b"PAR1 garbage"
    assert any("kept aside" in p for p in Store(tmp_path).check())


def test_compact_leaves_bad_files_alone(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    store.append_samples(samples(6))
    bad = _truncated(tmp_path)
    summary = store.compact()
    assert bad.exists() and summary.partitions >= 1
    assert len(Store(tmp_path).samples()) == 9
