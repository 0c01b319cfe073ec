"""Import inspect-ai .eval logs made outside gapbench, read as a zip of JSON (no inspect_ai).

A .eval file holds header.json (the eval spec, results, stats) and samples/<id>_epoch_<n>.json
(or, for header-only logs, summaries.json). Recent inspect versions compress members with
zstd (zip method 93), which Python's zipfile cannot read, so those are decompressed here.

One row per (sample, epoch): the headline scorer's value ("C" 1, "P" 0.5, "I"/"N" 0, a
bool, or a number in 0..1), status error when the sample errored (never scored as wrong),
limit when it hit a limit, tokens summed over models, h from metadata["h"] or a tau2
task's expected actions.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import zstandard

from harness._types import Access, Kind
from harness.errors import ConfigError
from harness.store.importers._common import (
    Collector,
    ImportSummary,
    imported_record,
    imported_run_id,
    parse_date,
    parse_datetime,
)
from harness.store.store import Store

NAME = "inspect"
_ZSTD = 93
_LETTER = {"C": 1.0, "P": 0.5, "I": 0.0, "N": 0.0}


def _member(zf: zipfile.ZipFile, path: Path, name: str) -> bytes:
    info = zf.getinfo(name)
    if info.compress_type != _ZSTD:
        return zf.read(info)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        if header[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {name}")
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        data = fh.read(info.compress_size)
    with zstandard.ZstdDecompressor().stream_reader(data) as reader:
        return reader.read()


def _json(zf: zipfile.ZipFile, path: Path, name: str) -> Any:
    try:
        return json.loads(_member(zf, path, name))
    except (ValueError, zstandard.ZstdError, zipfile.BadZipFile, OSError) as exc:
        raise ConfigError(path, name, f"unreadable JSON in the log ({exc})") from None


def score_value(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return _LETTER.get(value.strip().upper())
    if isinstance(value, int | float):
        return float(value) if 0.0 <= float(value) <= 1.0 else None
    return None  # dicts/lists (multi-value scores) have no single 0..1 value


def _h(metadata: object) -> int | None:
    if not isinstance(metadata, dict):
        return None
    h = metadata.get("h")
    if isinstance(h, int) and not isinstance(h, bool):
        return h
    try:  # tau2: expected actions per task
        actions = metadata["task"]["evaluation_criteria"]["actions"]
        return len(actions) if isinstance(actions, list) else None
    except (KeyError, TypeError):
        return None


def _tokens(usage: object) -> tuple[int | None, int | None, int | None]:
    if not isinstance(usage, dict) or not usage:
        return None, None, None
    totals = [0, 0, 0]
    for u in usage.values():
        if isinstance(u, dict):
            totals[0] += int(u.get("input_tokens") or 0)
            totals[1] += int(u.get("output_tokens") or 0)
            totals[2] += int(u.get("input_tokens_cache_read") or 0)
    return totals[0], totals[1], totals[2]


def _scorer(header: dict[str, Any]) -> str | None:
    headline = (header.get("results") or {}).get("headline") or {}
    if headline.get("scorer"):
        return str(headline["scorer"])
    scores = (header.get("results") or {}).get("scores") or []
    if scores:
        return str(scores[0].get("name"))
    scorers = header.get("eval", {}).get("scorers") or []
    return str(scorers[0]["name"]) if scorers else None


def _read_log(
    path: Path,
    access: Access,
    kind: Kind,
    model_id: str | None,
    release: str | None,
    suite: str | None,
    out: Collector,
) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ConfigError(path, None, f"not an inspect .eval log (not a zip: {exc})") from None
    with zf:
        names = zf.namelist()
        if "header.json" not in names:
            raise ConfigError(path, None, "not an inspect .eval log (no header.json)")
        header = _json(zf, path, "header.json")
        spec = header.get("eval") if isinstance(header, dict) else None
        if not isinstance(spec, dict) or "task" not in spec:
            raise ConfigError(path, "header.json: eval.task", "required field missing")
        sample_names = sorted(n for n in names if n.startswith("samples/") and n.endswith(".json"))
        if sample_names:
            samples = [_json(zf, path, n) for n in sample_names]
        elif "summaries.json" in names:
            samples = _json(zf, path, "summaries.json")
        else:
            samples = []
        if header.get("status") != "success":
            out.warnings.append(
                f"{path}: log status {header.get('status')!r}; importing the samples it holds"
            )
        scorer = _scorer(header)
        model = model_id or str(spec.get("model", ""))
        task = str(spec["task"])
        run_id = imported_run_id(
            NAME, {"eval": spec.get("eval_id") or spec.get("task_id"), "model": model}
        )
        version = str(spec.get("task_version", "0"))
        engine_version = str((spec.get("packages") or {}).get("inspect_ai", "unknown"))
        for s in samples:
            out_rec = _sample(s, scorer, out, path)
            if out_rec is None:
                continue
            status, score, error = out_rec
            inp, outp, cached = _tokens(s.get("model_usage"))
            output = s.get("output") if isinstance(s.get("output"), dict) else {}
            out.records.append(
                imported_record(
                    name=NAME,
                    run_id=run_id,
                    model_id=model,
                    access=access,
                    release_date=parse_date(release),
                    suite=suite or task,
                    suite_version=version,
                    kind=kind,
                    task=task,
                    sample_id=str(s["id"]),
                    epoch=int(s.get("epoch", 1)),
                    status=status,
                    engine="inspect",
                    engine_version=engine_version,
                    score=score,
                    success=(score >= 1.0 - 1e-9) if score is not None else None,
                    error=error,
                    h=_h(s.get("metadata")),
                    input_tokens=inp,
                    output_tokens=outp,
                    cached_tokens=cached,
                    latency_s=s.get("total_time"),
                    steps=s.get("turn_count"),
                    started_at=parse_datetime(s.get("started_at")),
                    finished_at=parse_datetime(s.get("completed_at")),
                    model_snapshot=(output or {}).get("model"),
                    extra={
                        "log": path.name,
                        "scorer": scorer or "",
                        "eval_model": str(spec.get("model", "")),
                    },
                )
            )


def _sample(
    s: Any, scorer: str | None, out: Collector, path: Path
) -> tuple[Any, float | None, str | None] | None:
    if not isinstance(s, dict) or "id" not in s:
        raise ConfigError(path, "samples", "a sample without an id")
    error = s.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else str(error)
        return "error", None, (str(message).splitlines() or [""])[0][:500]
    limit = s.get("limit")
    if limit:
        what = limit.get("type") if isinstance(limit, dict) else str(limit)
        return "limit", None, f"{what} limit"
    scores = s.get("scores") or {}
    entry = scores.get(scorer) if scorer in scores else next(iter(scores.values()), None)
    if entry is None:
        return "error", None, "no score recorded"
    value = score_value(entry.get("value") if isinstance(entry, dict) else entry)
    if value is None:
        out.skip("score without a single 0..1 value")
        return None
    return "scored", value, None


def collect_inspect(
    path: Path,
    access: Access,
    kind: Kind = "agentic",
    model_id: str | None = None,
    release_date: str | None = None,
    suite: str | None = None,
) -> Collector:
    path = Path(path)
    logs = sorted(path.rglob("*.eval")) if path.is_dir() else [path]
    if not logs or not logs[0].exists():
        raise ConfigError(path, None, "no .eval logs found")
    out = Collector(NAME)
    for log in logs:
        _read_log(log, access, kind, model_id, release_date, suite, out)
    return out


def import_inspect(
    path: Path,
    store: Store,
    *,
    access: Access,
    kind: Kind = "agentic",
    model_id: str | None = None,
    release_date: str | None = None,
    suite: str | None = None,
) -> ImportSummary:
    """Import one .eval log or every .eval under a folder. Access cannot be read from a log,
    so the caller says it; model_id defaults to the log's model name, suite to its task."""
    out = collect_inspect(path, access, kind, model_id, release_date, suite)
    return out.summary(path, store.append_samples(out.records))
