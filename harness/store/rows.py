"""Records <-> Arrow rows, following the declared schema."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

import pyarrow as pa

from harness._types import RunRecord, SampleRecord
from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA, SCHEMA_VERSION


def sample_row(rec: SampleRecord) -> dict[str, Any]:
    row = {f.name: getattr(rec, f.name) for f in dataclasses.fields(rec) if f.name not in ("facts", "extra")}
    row.update(dataclasses.asdict(rec.facts))
    row["extra"] = json.dumps(rec.extra, sort_keys=True) if rec.extra else None
    row["schema_version"] = SCHEMA_VERSION
    return {name: row.get(name) for name in SAMPLES_SCHEMA.names}


def run_row(rec: RunRecord) -> dict[str, Any]:
    row = dataclasses.asdict(rec)
    row["schema_version"] = SCHEMA_VERSION
    return {name: row.get(name) for name in RUNS_SCHEMA.names}


def samples_table(records: Sequence[SampleRecord]) -> pa.Table:
    return pa.Table.from_pylist([sample_row(r) for r in records], schema=SAMPLES_SCHEMA)


def runs_table(records: Sequence[RunRecord]) -> pa.Table:
    return pa.Table.from_pylist([run_row(r) for r in records], schema=RUNS_SCHEMA)
