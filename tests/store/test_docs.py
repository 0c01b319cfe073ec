"""docs/schema.md is generated from the declaration and committed up to date."""

from __future__ import annotations

from harness.store import docs
from harness.store.schema import TABLES


def test_committed_schema_doc_is_current() -> None:
    assert docs.main(["--check"]) == 0, "run `python -m harness.store.docs`"


def test_every_column_is_documented() -> None:
    text = docs.render()
    for columns in TABLES.values():
        for col in columns:
            assert f"| `{col.name}` |" in text


def test_importers_doc_lists_every_mapped_benchmark() -> None:
    from harness.store.importers.epoch import load_mapping

    text = docs.IMPORTERS_PATH.read_text(encoding="utf-8")
    for b in load_mapping().benchmarks:
        assert f"| `{b.suite}` | `{b.file}` |" in text
