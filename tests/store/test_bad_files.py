"""A truncated, foreign or newer file: one line naming it; other rows stay readable."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.errors import StoreError
from harness.store import SCHEMA_VERSION, Store
from harness.store.files import write_atomic
from harness.store.rows import samples_table
from harness.store.schema import META_VERSION
from tests.store.helpers import run, samples


def _store_with_rows(tmp_path: Path) -> Store:
    store = Store(tmp_path)
    store.append_samples(samples(4))
    store.append_samples(samples(3, run_id="run-b", suite="other"))
    store.append_run(run())
    return store


def _partition(tmp_path: Path) -> Path:
    return next((tmp_path / "samples" / "suite=arith").iterdir())


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
    return write_atomic(tbl.replace_schema_metadata(meta), _partition(tmp_path))


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
def test_bad_file_is_one_line_naming_it_and_skip_mode_keeps_the_rest(
    tmp_path, make_bad, words
) -> None:
    store = _store_with_rows(tmp_path)
    bad = make_bad(tmp_path)
    with pytest.raises(StoreError) as info:
        store.samples()
    message = str(info.value)
    assert "\n" not in message and str(bad) in message and words in message
    assert info.value.exit_code == 2
    # the same failure on the resume path
    with pytest.raises(StoreError, match="parquet"):
        store.done_keys("run-a")
    tolerant = Store(tmp_path, on_bad="skip")
    df = tolerant.samples()
    assert len(df) == 7 and "run-future" not in set(df.run_id)
    assert len(tolerant.warnings) == 1 and str(bad) in tolerant.warnings[0]
    assert len(tolerant.runs()) == 1
    assert bad.exists()  # nothing stored is touched


def test_corrupt_data_pages_with_intact_footer(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    target = store.files("samples", "arith")[0]
    data = bytearray(target.read_bytes())
    # Overwrite the start of the data pages, keeping the footer (last 8 bytes + metadata).
    for i in range(4, min(len(data) // 3, 600)):
        data[i] = 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(StoreError) as info:
        store.samples()
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    tolerant = Store(tmp_path, on_bad="skip")
    assert len(tolerant.samples()) == 3  # the other suite's rows
    assert tolerant.warnings


def test_file_of_the_wrong_table(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    runs_file = store.files("runs")[0]
    moved = _partition(tmp_path) / runs_file.name
    moved.write_bytes(runs_file.read_bytes())
    with pytest.raises(StoreError, match="holds the runs table"):
        store.samples()


def test_compact_leaves_bad_files_alone(tmp_path: Path) -> None:
    store = _store_with_rows(tmp_path)
    store.append_samples(samples(6))
    bad = _truncated(tmp_path)
    summary = store.compact()
    assert bad.exists() and summary.partitions >= 1
    assert len(Store(tmp_path, on_bad="skip").samples()) == 9
