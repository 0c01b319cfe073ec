"""Records <-> Arrow tables, following the declared schema.

Tables are built column by column (not row dicts): a million records convert in a couple of
seconds, which keeps bulk ingest and imports inside the store's performance budget.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import math
import operator
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args

import pyarrow as pa
import pyarrow.compute as pc

from harness._types import (
    Access,
    DeploymentFacts,
    Kind,
    RunRecord,
    RunStatus,
    SampleRecord,
    Status,
)
from harness.store.schema import RUNS_SCHEMA, SAMPLES_SCHEMA, SCHEMA_VERSION

_FACT_NAMES = frozenset(f.name for f in dataclasses.fields(DeploymentFacts))
_ACCESS = frozenset(get_args(Access))
_KIND = frozenset(get_args(Kind))
_STATUS = frozenset(get_args(Status))
_RUN_STATUS = frozenset(get_args(RunStatus))


def _top(rec: SampleRecord) -> float:
    # Imported time-horizon benchmarks (METR) keep their minutes: a horizon has no 0..1 form.
    if rec.source.startswith("imported:") and rec.extra.get("unit") == "minutes":
        return math.inf
    return 1.0


def check_sample(rec: SampleRecord) -> None:
    """Reject a record that would break readers' assumptions (a bug in its producer)."""
    problems = []
    if rec.access not in _ACCESS:
        problems.append(f"access={rec.access!r}")
    if rec.kind not in _KIND:
        problems.append(f"kind={rec.kind!r}")
    if rec.status not in _STATUS:
        problems.append(f"status={rec.status!r}")
    if rec.score is not None and (math.isnan(rec.score) or not 0.0 <= rec.score <= _top(rec)):
        problems.append(f"score={rec.score!r} outside 0..1")
    if rec.status == "error" and rec.score is not None:
        problems.append("status error with a score (errors are never scored)")
    if not (rec.source == "own" or rec.source.startswith("imported:")):
        problems.append(f"source={rec.source!r}")
    if problems:
        raise ValueError(f"bad sample record {rec.sample_key}: " + ", ".join(problems))


# Columns the store sets when it writes a row (records do not carry them).
STORE_SET = ("attempt", "written_at", "schema_version")


def constant(value: Any, n: int, type: pa.DataType | None = None) -> pa.Array:
    """An array of n copies of one value, without n Python objects."""
    scalar = value if isinstance(value, pa.Scalar) else pa.scalar(value, type)
    return pc.fill_null(pa.nulls(n, scalar.type), scalar)


def _sample_value(rec: SampleRecord, name: str) -> Any:
    if name in _FACT_NAMES:
        return getattr(rec.facts, name)
    if name == "extra":
        return json.dumps(rec.extra, sort_keys=True) if rec.extra else None
    if name == "schema_version":
        return SCHEMA_VERSION
    if name == "attempt":
        return 1
    if name == "written_at":
        return datetime.now(UTC)
    return getattr(rec, name)


def sample_row(rec: SampleRecord) -> dict[str, Any]:
    return {name: _sample_value(rec, name) for name in SAMPLES_SCHEMA.names}


def run_row(rec: RunRecord, written_at: datetime | None = None) -> dict[str, Any]:
    row = dataclasses.asdict(rec)
    row["schema_version"] = SCHEMA_VERSION
    row["written_at"] = written_at or datetime.now(UTC)
    return {name: row.get(name) for name in RUNS_SCHEMA.names}


_SURROGATE = re.compile("[\ud800-\udfff]")
T = TypeVar("T")


def storable(value: T) -> T:
    """`value` (a record, any frozen dataclass, tuple, list or dict of them, a string) with
    every lone UTF-16 surrogate replaced by U+FFFD. JSON allows "\\ud800" and the SDKs decode
    it into a str that UTF-8, and so Parquet, cannot hold: a model's reply with one must be
    stored (as text a reader can see was damaged), never lose the batch it is in."""
    if isinstance(value, str):
        fixed: Any = _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
        return fixed
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            old = getattr(value, f.name)
            new = storable(old)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple | list):
        items = [storable(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        rebuilt: Any = type(value)(items)
        return rebuilt
    if isinstance(value, dict):
        pairs = [(storable(k), storable(v)) for k, v in value.items()]
        if all(a is k and b is v for (a, b), (k, v) in zip(pairs, value.items(), strict=True)):
            return value
        remade: Any = dict(pairs)
        return remade
    return value


def samples_table(records: Sequence[SampleRecord]) -> pa.Table:
    """Records as an Arrow table in the declared schema (validated on append: check_table)."""
    # Building a million-element list per column trips the cyclic GC over and over (each
    # pass walks every live record); these lists hold no cycles, so pause it meanwhile.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _samples_table(records)
    finally:
        if was_enabled:
            gc.enable()


_DIRECT = tuple(
    f.name
    for f in SAMPLES_SCHEMA
    if f.name not in _FACT_NAMES and f.name != "extra" and f.name not in STORE_SET
)
_FACTS = tuple(f.name for f in SAMPLES_SCHEMA if f.name in _FACT_NAMES)


def _columns(rows: list[tuple[Any, ...]], names: tuple[str, ...]) -> dict[str, Sequence[Any]]:
    # One attrgetter call per record and one transpose beat a getattr per cell by ~3x.
    if not rows:
        return {n: [] for n in names}
    return dict(zip(names, zip(*rows, strict=True), strict=True))


def _samples_table(records: Sequence[SampleRecord]) -> pa.Table:
    get_direct = operator.attrgetter(*_DIRECT)
    direct = _columns([get_direct(r) for r in records], _DIRECT)
    get_facts = operator.attrgetter(*_FACTS)
    facts = _columns([get_facts(r.facts) for r in records], _FACTS)
    arrays = []
    n = len(records)
    for fld in SAMPLES_SCHEMA:
        if fld.name in STORE_SET:
            # the store sets the real attempt and write time when it appends
            value = {"schema_version": SCHEMA_VERSION, "attempt": 1}.get(
                fld.name, datetime.now(UTC)
            )
            arrays.append(constant(value, n, fld.type))
            continue
        if fld.name == "extra":
            values: Sequence[Any] = [
                json.dumps(r.extra, sort_keys=True) if r.extra else None for r in records
            ]
        else:
            values = facts[fld.name] if fld.name in _FACT_NAMES else direct[fld.name]
        arr = pa.array(values, type=fld.type)
        if not fld.nullable and arr.null_count:
            raise ValueError(f"bad sample records: required column {fld.name} has nulls")
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, schema=SAMPLES_SCHEMA)


def check_table(tbl: pa.Table) -> None:
    """Vectorised check_sample over a samples table (bulk ingest stays fast)."""

    def first_bad(mask: pa.Array | pa.ChunkedArray, what: str) -> None:
        mask = pc.fill_null(mask, True)
        if pc.any(mask).as_py():
            idx = pc.index(mask, True).as_py()
            key = tbl.column("sample_key")[idx].as_py()
            raise ValueError(f"bad sample record {key}: {what}")

    for fld in SAMPLES_SCHEMA:
        if not fld.nullable and tbl.column(fld.name).null_count:
            first_bad(pc.is_null(tbl.column(fld.name)), f"required column {fld.name} is null")
    for name, allowed in (("access", _ACCESS), ("kind", _KIND), ("status", _STATUS)):
        first_bad(pc.invert(pc.is_in(tbl.column(name), pa.array(sorted(allowed)))), f"bad {name}")
    source = tbl.column("source")
    imported = pc.starts_with(source, "imported:")
    first_bad(pc.invert(pc.or_(pc.equal(source, "own"), imported)), "bad source")
    score = tbl.column("score")
    horizon = pc.and_(
        imported, pc.fill_null(pc.match_substring(tbl.column("extra"), '"unit": "minutes"'), False)
    )
    too_high = pc.and_(pc.greater(score, 1.0), pc.invert(horizon))
    out_of_range = pc.or_(pc.or_(pc.less(score, 0.0), too_high), pc.is_nan(score))
    first_bad(pc.fill_null(out_of_range, False), "score outside 0..1")
    scored_error = pc.and_(pc.equal(tbl.column("status"), "error"), pc.is_valid(score))
    first_bad(scored_error, "a score on a row whose status is error")


def runs_table(records: Sequence[RunRecord], written_at: datetime | None = None) -> pa.Table:
    for rec in records:
        if rec.status not in _RUN_STATUS:
            raise ValueError(f"bad run record {rec.run_id}: status={rec.status!r}")
    return pa.Table.from_pylist([run_row(r, written_at) for r in records], schema=RUNS_SCHEMA)


def first_per_key(tbl: pa.Table) -> pa.Table:
    """Keep the first row of each sample_key (rows are in write order)."""
    if pc.count_distinct(tbl.column("sample_key")).as_py() == tbl.num_rows:
        return tbl
    idx = pa.array(range(tbl.num_rows), pa.int64())
    firsts = (
        pa.table({"k": tbl.column("sample_key"), "i": idx})
        .group_by("k", use_threads=False)
        .aggregate([("i", "min")])
        .column("i_min")
    )
    return tbl.take(pc.take(firsts, pc.sort_indices(firsts)))
