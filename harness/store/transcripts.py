"""Transcripts <-> Arrow: the side table that keeps prompts, conversations and answers out of
the samples files (analysis reads stay small; the report reads a few transcripts by key)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import pyarrow as pa

from harness._types import Role, SampleRecord, ToolCall, Transcript, TranscriptMessage
from harness.store.schema import SCHEMA_VERSION, SCHEMAS

TRANSCRIPTS_SCHEMA = SCHEMAS["transcripts"]
_ROLES = frozenset(("system", "user", "assistant", "tool"))


def _message_row(m: TranscriptMessage) -> dict[str, Any]:
    return {
        "role": m.role,
        "content": m.content,
        "tool_calls": [
            {"id": c.id, "function": c.function, "arguments": c.arguments} for c in m.tool_calls
        ],
        "tool_call_id": m.tool_call_id,
        "function": m.function,
        "error": m.error,
    }


def transcripts_table(records: Sequence[SampleRecord]) -> pa.Table:
    """One row per record that carries a transcript (attempt and written_at are set by the
    store when it writes them beside their samples)."""
    now = datetime.now(UTC)
    rows = [
        {
            "sample_key": r.sample_key,
            "attempt": 1,
            "run_id": r.run_id,
            "suite": r.suite,
            "messages": [_message_row(m) for m in r.transcript.messages] or None,
            "prompt": r.transcript.prompt,
            "output": r.transcript.output,
            "target": r.transcript.target,
            "explanation": r.transcript.explanation,
            "answer": r.transcript.answer,
            "metadata": r.transcript.metadata,
            "traceback": r.transcript.traceback,
            "written_at": now,
            "schema_version": SCHEMA_VERSION,
        }
        for r in records
        if r.transcript is not None
    ]
    return pa.Table.from_pylist(rows, schema=TRANSCRIPTS_SCHEMA)


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
