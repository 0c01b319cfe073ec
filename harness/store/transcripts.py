"""Transcripts <-> Arrow: the side table that keeps prompts, conversations and answers out of
the samples files (analysis reads stay small; the report reads a few transcripts by key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import numpy as np
import pyarrow as pa

from harness._types import Role, SampleRecord, ToolCall, Transcript, TranscriptMessage
from harness.store.rows import constant
from harness.store.schema import MESSAGE_TYPE, SCHEMA_VERSION, SCHEMAS, TOOL_CALL_TYPE

TRANSCRIPTS_SCHEMA = SCHEMAS["transcripts"]
_ROLES = frozenset(("system", "user", "assistant", "tool"))


def _messages_array(transcripts: Sequence[Transcript]) -> pa.Array:
    """list<message> built column by column (a row-by-row conversion of nested dicts costs
    about 50 us a sample; this is several times faster)."""
    msg_offsets, call_offsets = [0], [0]
    roles: list[str] = []
    contents: list[str] = []
    call_ids: list[str | None] = []
    functions: list[str | None] = []
    errors: list[str | None] = []
    tc_id: list[str] = []
    tc_function: list[str] = []
    tc_arguments: list[str] = []
    for t in transcripts:
        for m in t.messages:
            roles.append(m.role)
            contents.append(m.content)
            call_ids.append(m.tool_call_id)
            functions.append(m.function)
            errors.append(m.error)
            for c in m.tool_calls:
                tc_id.append(c.id)
                tc_function.append(c.function)
                tc_arguments.append(c.arguments)
            call_offsets.append(len(tc_id))
        msg_offsets.append(len(roles))
    calls = pa.StructArray.from_arrays(
        [
            pa.array(tc_id, pa.string()),
            pa.array(tc_function, pa.string()),
            pa.array(tc_arguments, pa.string()),
        ],
        fields=list(TOOL_CALL_TYPE),
    )
    messages = pa.StructArray.from_arrays(
        [
            pa.array(roles, pa.string()),
            pa.array(contents, pa.string()),
            pa.ListArray.from_arrays(
                pa.array(call_offsets, pa.int32()), calls, type=pa.list_(TOOL_CALL_TYPE)
            ),
            pa.array(call_ids, pa.string()),
            pa.array(functions, pa.string()),
            pa.array(errors, pa.string()),
        ],
        fields=list(MESSAGE_TYPE),
    )
    return pa.ListArray.from_arrays(
        pa.array(msg_offsets, pa.int32()), messages, type=pa.list_(MESSAGE_TYPE)
    )


def transcripts_table(records: Sequence[SampleRecord]) -> pa.Table:
    """One row per record that carries a transcript (attempt and written_at are set by the
    store when it writes them beside their samples)."""
    kept = [r for r in records if r.transcript is not None]
    ts = [r.transcript for r in kept if r.transcript is not None]
    n = len(kept)
    now = pa.scalar(datetime.now(UTC), TRANSCRIPTS_SCHEMA.field("written_at").type)
    columns = {
        "sample_key": pa.array([r.sample_key for r in kept], pa.string()),
        "attempt": pa.array(np.ones(n, dtype=np.int64)),
        "run_id": pa.array([r.run_id for r in kept], pa.string()),
        "suite": pa.array([r.suite for r in kept], pa.string()),
        "messages": _messages_array(ts),
        "prompt": pa.array([t.prompt for t in ts], pa.string()),
        "output": pa.array([t.output for t in ts], pa.string()),
        "target": pa.array([t.target for t in ts], pa.string()),
        "explanation": pa.array([t.explanation for t in ts], pa.string()),
        "answer": pa.array([t.answer for t in ts], pa.string()),
        "metadata": pa.array([t.metadata for t in ts], pa.string()),
        "traceback": pa.array([t.traceback for t in ts], pa.string()),
        "written_at": constant(now, n),
        "schema_version": pa.array(np.full(n, SCHEMA_VERSION, dtype=np.int64)),
    }
    return pa.Table.from_arrays(
        [columns[f.name] for f in TRANSCRIPTS_SCHEMA], schema=TRANSCRIPTS_SCHEMA
    )


def _role(value: object) -> Role:
    return cast(Role, value) if value in _ROLES else "user"


def transcript_of(row: dict[str, Any]) -> Transcript:
    """A Transcript record from one row of the transcripts table (as `to_pylist` gives it)."""
    messages = tuple(
        TranscriptMessage(
            role=_role(m.get("role")),
            content=m.get("content") or "",
            tool_calls=tuple(
                ToolCall(
                    id=c.get("id") or "",
                    function=c.get("function") or "",
                    arguments=c.get("arguments") or "",
                )
                for c in (m.get("tool_calls") or [])
            ),
            tool_call_id=m.get("tool_call_id"),
            function=m.get("function"),
            error=m.get("error"),
        )
        for m in (row.get("messages") or [])
    )
    return Transcript(
        messages=messages,
        prompt=row.get("prompt"),
        output=row.get("output"),
        target=row.get("target"),
        explanation=row.get("explanation"),
        answer=row.get("answer"),
        metadata=row.get("metadata"),
        traceback=row.get("traceback"),
    )
