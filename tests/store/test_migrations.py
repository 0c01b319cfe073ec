"""Ordered migrations applied on read, with a synthetic older version."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from harness.store import SCHEMA_VERSION, Store, migrations
from harness.store.rows import samples_table
from harness.store.schema import META_VERSION
from tests.store.helpers import put, samples


def _as_v0(tbl: pa.Table) -> pa.Table:
    """A made-up v0 samples file: `score` was a percentage named `score_pct`, no cached_tokens
    (and none of the columns v2 added)."""
    pct = pc.multiply(tbl.column("score"), 100.0)
    idx = tbl.column_names.index("score")
    tbl = tbl.set_column(idx, "score_pct", pct).drop_columns(
        ["cached_tokens", "canary", "attempt", "written_at"]
    )
    meta = {META_VERSION: b"0", b"gapbench_table": b"samples"}
    return tbl.replace_schema_metadata(meta)


def _v0_to_v1(tbl: pa.Table) -> pa.Table:
    idx = tbl.column_names.index("score_pct")
    return tbl.set_column(idx, "score", pc.divide(tbl.column("score_pct"), 100.0))


@pytest.fixture
def v0_readable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrations, "OLDEST_READABLE", 0)
    monkeypatch.setitem(migrations.MIGRATIONS, ("samples", 0), _v0_to_v1)


def test_migrate_applies_steps_in_order() -> None:
    calls: list[int] = []
    registry = {
        ("samples", v): (
            lambda t, v=v: calls.append(v) or t.append_column(f"c{v}", pa.array([v] * len(t)))
        )
        for v in (3, 1, 2)
    }
    out = migrations.migrate("samples", pa.table({"a": [1]}), 1, 4, registry=registry)  # type: ignore[arg-type]
    assert calls == [1, 2, 3] and out.column_names == ["a", "c1", "c2", "c3"]
    with pytest.raises(ValueError):
        migrations.migrate("samples", pa.table({"a": [1]}), 3, 2)


def test_older_file_is_migrated_on_read_and_by_compaction(
    tmp_path: Path, v0_readable: None
) -> None:
    store = Store(tmp_path)
    store.append_samples(samples(2, score=0.5))  # current version
    directory = tmp_path / "samples" / "arith" / "2020-01-01"
    old = samples(3, run_id="run-old", score=0.25)
    put(_as_v0(samples_table(old)), directory)
    df = store.samples()
    assert len(df) == 5
    assert sorted(df[df.run_id == "run-old"].score) == [0.25] * 3
    assert df.cached_tokens.isna().all()
    assert set(df.schema_version) == {SCHEMA_VERSION}
    assert set(df.attempt) == {1} and not df.canary.any() and df.written_at.notna().all()
    # compaction rewrites the old file at the current version
    put(_as_v0(samples_table(samples(1, run_id="run-old2"))), directory)
    store.compact()
    assert len(store.samples()) == 6
    assert [pq.read_schema(p).metadata[META_VERSION] for p in store.files("samples")] == [
        str(SCHEMA_VERSION).encode()
    ] * 2


def test_too_old_without_migration_is_an_error(tmp_path: Path) -> None:
    from harness.errors import StoreError

    store = Store(tmp_path, on_bad="raise")
    put(_as_v0(samples_table(samples(1))), tmp_path / "samples" / "arith" / "2020-01-01")
    with pytest.raises(StoreError, match="older than any migration"):
        store.samples()
