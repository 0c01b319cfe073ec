"""Drill-down pages: a run (its samples) and a sample (its full transcript); raw engine logs.

Own runs only: imported results have no samples or transcripts here, and link to their
source instead. Every string on these pages was written by a model, a tool or a file and is
escaped by the templates; nothing is turned into a link.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd
import pyarrow as pa

from harness._text import clip
from harness._types import Transcript, TranscriptMessage
from harness.report import _format as fmt
from harness.report.inputs import RawLog, ReportInput
from harness.report.tables import records
from harness.store import rawpaths

# A run page lists at most this many samples (errors and limits first) and links a page
# for each; every sample is in the run's CSV. With many runs each gets fewer, so that a
# million-row store makes at most about MAX_SAMPLE_PAGES sample pages.
RUN_SAMPLE_LIMIT = 200
MIN_RUN_SAMPLES = 10
MAX_SAMPLE_PAGES = 2000
# Tool outputs and prompts longer than this are collapsed (<details>) on the sample page.
COLLAPSE_CHARS = 1200
COLLAPSE_LINES = 20
# A sample page shows at most this much of its text: each field (a message, the prompt, a
# tool call's arguments, ...) up to PAGE_FIELD_MAX characters while the page's budget lasts,
# then only its head; at most PAGE_MESSAGES messages. A store compresses repeated text a
# thousandfold, so a few kilobytes of someone else's store must not become gigabytes of HTML;
# what is clipped says how long it was (the whole text stays in the store).
PAGE_TEXT_BUDGET = 2_000_000
PAGE_FIELD_MAX = 200_000
PAGE_FIELD_HEAD = 2_000
PAGE_MESSAGES = 1_000
MESSAGE_MAX = 4_000  # a run's message or a sample's error on a page
# Raw engine logs are copied into the report up to these sizes; larger ones are named.
RAW_FILE_MAX = 25 * 2**20
RAW_TOTAL_MAX = 200 * 2**20

STATUS_ORDER = {"error": 0, "limit": 1, "scored": 2}
RUN_FACTS = (
    "sweep_id",
    "status",
    "message",
    "engine",
    "engine_version",
    "harness_version",
    "n_planned",
    "n_scored",
    "n_error",
    "n_limit",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "started_at",
    "finished_at",
)
SERVING_FACTS = (
    "deployment_id",
    "provider",
    "server",
    "server_version",
    "quantization",
    "model_sha256",
    "chat_template_hash",
    "tool_call_format",
    "context_length",
    "user_simulator",
    "prompt_variant",
)
SAMPLE_COLUMNS = [
    "sample_key",
    "sample_id",
    "epoch",
    "h",
    "status",
    "score",
    "success",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "latency_s",
    "steps",
    "error",
]


def per_run_limit(n_runs: int) -> int:
    return max(MIN_RUN_SAMPLES, min(RUN_SAMPLE_LIMIT, MAX_SAMPLE_PAGES // max(n_runs, 1)))


def own_samples(report: ReportInput) -> pd.DataFrame:
    df = report.samples
    if df.empty or "run_id" not in df.columns:
        return pd.DataFrame(columns=["run_id", *SAMPLE_COLUMNS])
    if "source" in df.columns:
        df = df[df["source"].astype(str) == "own"]
    return df


def run_table(report: ReportInput, samples: pd.DataFrame) -> pd.DataFrame:
    """One row per own run: the runs table's row, or the first sample's facts without one."""
    runs = report.runs
    if not runs.empty and "run_id" in runs.columns:
        if "source" in runs.columns:
            runs = runs[runs["source"].astype(str) == "own"]
        runs = runs.drop_duplicates("run_id", keep="last")
    else:
        runs = pd.DataFrame(columns=["run_id"])
    known = set(runs["run_id"].astype(str))
    extra = samples[~samples["run_id"].astype(str).isin(known)]
    if not extra.empty:
        cols = [
            c
            for c in (
                "run_id",
                "sweep_id",
                "model_id",
                "suite",
                "suite_version",
                "engine",
                "engine_version",
                "deployment_id",
                "harness_version",
            )
            if c in extra.columns
        ]
        runs = pd.concat([runs, extra.drop_duplicates("run_id")[cols]], ignore_index=True)
    return runs


def cell_runs(runs: pd.DataFrame) -> dict[tuple[str, str, str], list[str]]:
    out: dict[tuple[str, str, str], list[str]] = {}
    for r in records(runs):
        key = (str(r.get("model_id")), str(r.get("suite")), str(r.get("suite_version")))
        out.setdefault(key, []).append(str(r["run_id"]))
    return out


def shown_samples(samples: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per run, the samples its page lists: errors, then limits, then scored, by id."""
    if samples.empty:
        return {}
    keyed = samples.assign(
        _status=samples["status"].map(STATUS_ORDER).fillna(3),
        _id=samples["sample_id"].astype(str),
    )
    keyed = keyed.sort_values(["run_id", "_status", "_id", "epoch"], kind="stable")
    return {
        str(run_id): part.drop(columns=["_status", "_id"])
        for run_id, part in keyed.groupby("run_id", sort=True)
    }


CSV_TEXT_MAX = 10_000  # characters of a sample's error in its run's CSV (see PAGE_TEXT_BUDGET)


def clip_errors(table: pa.Table) -> pa.Table:
    """A run's CSV table with each error longer than CSV_TEXT_MAX characters cut, saying how
    long it was (a hostile store's 20 MB error must not make a 4 GB CSV)."""
    import pyarrow.compute as pc

    if "error" not in table.column_names:
        return table
    col = table.column("error")
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return table
    lengths = pc.utf8_length(col)
    long = pc.fill_null(pc.greater(lengths, CSV_TEXT_MAX), False)
    if not pc.any(long).as_py():
        return table
    clipped = [clip(v, CSV_TEXT_MAX) if isinstance(v, str) else v for v in col.to_pylist()]
    i = table.column_names.index("error")
    return table.set_column(i, table.schema.field(i), pa.array(clipped, col.type))


def split_by_run(table: pa.Table | None) -> dict[str, pa.Table]:
    """Every own sample per run (the table is sorted by run_id): each run's CSV."""
    if table is None or table.num_rows == 0:
        return {}
    out = {}
    offset = 0
    counts = table["run_id"].value_counts()  # in order of first appearance: sorted runs
    for item in counts:
        n = item["counts"].as_py()
        out[str(item["values"].as_py())] = table.slice(offset, n)
        offset += n
    return out


def run_context(
    run: dict[str, Any], part: pd.DataFrame, limit: int, n_samples: int
) -> dict[str, Any]:
    first = records(part.head(1))
    facts = first[0] if first else {}
    return {
        "run": run,
        "run_facts": [(k, clip_text(run.get(k), MESSAGE_MAX)) for k in RUN_FACTS if k in run],
        "serving": [(k, facts.get(k)) for k in SERVING_FACTS if facts.get(k) not in (None, "")],
        "snapshots": sorted(
            {str(s) for s in part.get("model_snapshot", pd.Series(dtype=str)).dropna()}
        ),
        "samples": records(part.head(limit)[[c for c in SAMPLE_COLUMNS if c in part.columns]]),
        "n_samples": n_samples,
        "limit": limit,
    }


@dataclass(frozen=True)
class ShownMessage:
    """A transcript message with how to show it (collapse long tool outputs and prompts)."""

    message: TranscriptMessage
    collapsed: bool
    summary: str


def clip_text(value: Any, limit: int) -> Any:
    """A string cut to `limit` characters, saying how long it was; anything else as it is."""
    return clip(value, limit) if isinstance(value, str) else value


class _Budget:
    def __init__(self) -> None:
        self.left = PAGE_TEXT_BUDGET

    def take(self, text: str | None) -> str | None:
        if text is None:
            return None
        limit = min(PAGE_FIELD_MAX, max(self.left, PAGE_FIELD_HEAD))
        out = clip(text, limit)
        self.left -= min(len(text), limit)
        return out


def page_transcript(transcript: Transcript | None) -> Transcript | None:
    """The transcript as its page shows it: every text field clipped (see PAGE_TEXT_BUDGET),
    at most PAGE_MESSAGES messages (a last system note says how many more there are)."""
    if transcript is None:
        return None
    budget = _Budget()
    shown = transcript.messages[:PAGE_MESSAGES]
    messages = [
        replace(
            m,
            content=budget.take(m.content) or "",
            error=budget.take(m.error),
            tool_calls=tuple(
                replace(c, arguments=budget.take(c.arguments) or "") for c in m.tool_calls
            ),
        )
        for m in shown
    ]
    hidden = len(transcript.messages) - len(shown)
    if hidden:
        note = f"({hidden:,} more messages are not shown here; the store holds them all)"
        messages.append(TranscriptMessage("system", note))
    return replace(
        transcript,
        messages=tuple(messages),
        prompt=budget.take(transcript.prompt),
        output=budget.take(transcript.output),
        target=budget.take(transcript.target),
        explanation=budget.take(transcript.explanation),
        answer=budget.take(transcript.answer),
        metadata=budget.take(transcript.metadata),
        traceback=budget.take(transcript.traceback),
    )


def shown_messages(transcript: Transcript | None) -> list[ShownMessage]:
    if transcript is None:
        return []
    out = []
    for m in transcript.messages:
        long = len(m.content) > COLLAPSE_CHARS or m.content.count("\n") > COLLAPSE_LINES
        collapsed = long and m.role in ("tool", "system", "user")
        first = fmt.short(m.content, 90) if m.content else "(empty)"
        summary = f"{len(m.content):,} characters, {m.content.count(chr(10)) + 1} lines: {first}"
        out.append(ShownMessage(m, collapsed, summary))
    return out


def long_text(value: str | None) -> bool:
    return value is not None and (len(value) > COLLAPSE_CHARS or value.count("\n") > COLLAPSE_LINES)


def copy_raw_logs(
    logs: tuple[RawLog, ...], root: Path, run_pages: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Copy each own run's engine logs under raw/<run>/ with names a browser shows as text or
    downloads (harness.store.rawpaths); too-large files are named, not copied. Whatever it is
    given is checked again here: a regular file (never followed through a link, never a fifo)
    of a known raw type, or it is left out."""
    out: dict[str, list[dict[str, Any]]] = {}
    total = 0
    used: set[str] = set()
    for log in logs:
        if log.run_id not in run_pages:
            continue
        fd = _open_log(log)
        if fd is None:
            continue
        with os.fdopen(fd, "rb") as src:
            size = os.fstat(src.fileno()).st_size
            kind = _kind(log.path, src, size)
            if kind is None:
                continue
            raw = rawpaths.RawFile(log.path, log.path.name, kind, size)
            entry: dict[str, Any] = {
                "label": log.label,
                "size": size,
                "href": None,
                "name": raw.published_name,
                "download": kind == "inspect-log",
            }
            if size <= RAW_FILE_MAX and total + size <= RAW_TOTAL_MAX:
                folder = f"raw/{Path(run_pages[log.run_id]).stem}"
                rel = f"{folder}/{raw.published_name}"
                n = 1
                while rel in used:  # two logs with one published name (a.json, a.JSON)
                    n += 1
                    rel = f"{folder}/{n}-{raw.published_name}"
                used.add(rel)
                target = root / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                copied = _copy_regular(src, target, RAW_FILE_MAX)
                if copied is None:
                    target.unlink(missing_ok=True)
                    continue
                total += copied
                entry["href"] = rel
        out.setdefault(log.run_id, []).append(entry)
    return out


def _open_log(log: RawLog) -> int | None:
    """A descriptor of the log, opened without following any link (from the results folder
    it was confined to, component by component, when known) and without blocking on a fifo;
    None when it is not a regular file any more."""
    try:
        if log.root is not None:
            return rawpaths.open_below(log.root, log.path)
        fd = os.open(log.path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except (OSError, ValueError, rawpaths.BadRawPath):
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return fd


def _kind(path: Path, src: BinaryIO, size: int) -> rawpaths.RawKind | None:
    """The known raw type of the opened file (an .eval must be a zip: its magic is read from
    the descriptor, never by opening the path again)."""
    known = rawpaths.KNOWN_SUFFIXES.get(path.suffix.lower())
    if known is None:
        return None
    if known[0] == "inspect-log":
        magic = os.pread(src.fileno(), len(rawpaths.ZIP_MAGIC), 0)
        if size < len(rawpaths.ZIP_MAGIC) or magic != rawpaths.ZIP_MAGIC:
            return None
        if size <= RAW_FILE_MAX and rawpaths.eval_problem(src) is not None:
            return None  # zip slip names, a bomb, or members no scan can read
        src.seek(0)
    return known[0]


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _copy_regular(src: BinaryIO, target: Path, max_bytes: int) -> int | None:
    """Copy an opened regular file; None when it grew past max_bytes while copied."""
    n = 0
    with target.open("wb") as dst:
        while chunk := src.read(1 << 20):
            n += len(chunk)
            if n > max_bytes:
                return None
            dst.write(chunk)
    return n


def neighbours(keys: list[str]) -> Iterator[tuple[str, str | None, str | None]]:
    for i, key in enumerate(keys):
        yield key, keys[i - 1] if i else None, keys[i + 1] if i + 1 < len(keys) else None
