"""Import lm-eval output: results_<date>.json plus, when logged, samples_<task>_<date>.jsonl
beside it (the files lm-eval's EvaluationTracker writes; read as JSON, lm_eval is never
imported here). gapbench's own lm-eval raw output is the same format.

Per task:
- metric: `metric` if given, else the task's first metric (configs[task].metric_list[0],
  else the first metric its samples list); the metric and filter go in extra.
- filters: lm-eval logs one sample entry per filter (gsm8k: strict-match and
  flexible-extract). Without `filter`, the first filter (lm-eval's primary, the one
  gapbench's own runs score) is suite <task> and every other filter is kept as its own suite
  <task>[<filter>]: none is dropped, no two are averaged together. `filter` imports only
  the one chosen, as suite <task>.
- with a samples file: one row per (document, filter): sample_id = doc_id, epoch 1; a
  document whose metric is missing (null) is an error row, never a wrong answer; its
  prompt, response and target go to the transcripts table. Without one: one aggregate row
  (sample_id "__aggregate__") with the stderr in extra.
- gapbench's own output: entries carry `gapbench` fields (sample id, epoch, status, error)
  and the results file names the run; those give back the rows exactly as the run stored
  them (entries gapbench did not score, e.g. a second filter or a request never sent, are
  skipped and counted).
- metrics outside 0..1 (perplexity, for instance) are skipped and counted.

The files are untrusted input: their shape is checked by pydantic models (a wrong one is one
ConfigError naming the file and field, never a traceback), any name lm-eval allows (task names
with '/', spaces or any unicode; model names alike) imports, and a samples file is looked for
only inside the results file's folder: a task name such as '../../secret' cannot make the
importer read a file elsewhere.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness._loading import read_json, read_jsonl, validation_to_config_error
from harness._types import Access, Kind, Transcript, TranscriptMessage
from harness.errors import ConfigError
from harness.store.importers._common import (
    AGGREGATE_ID,
    Collector,
    FactsOf,
    ImportSummary,
    given_facts,
    imported_record,
    imported_run_id,
    store_collected,
)
from harness.store.store import Store

NAME = "lm_eval"


class ResultsFile(BaseModel):
    """The parts of lm-eval's results_<date>.json the importer reads (others are kept out)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    results: dict[str, dict[str, Any]]
    configs: dict[str, dict[str, Any] | None] = Field(default_factory=dict)
    versions: dict[str, Any] = Field(default_factory=dict)
    n_samples: dict[str, dict[str, Any] | None] = Field(default_factory=dict, alias="n-samples")
    config: dict[str, Any] = Field(default_factory=dict)
    model_name: str | None = None
    lm_eval_version: str | None = None
    gapbench: dict[str, Any] | None = None


class OwnEntry(BaseModel):
    """The `gapbench` block gapbench's own runs add to each sample entry."""

    model_config = ConfigDict(extra="ignore")

    sample_id: str | int | None = None
    epoch: int | None = Field(default=None, ge=1, le=1_000_000)
    h: int | None = Field(default=None, ge=1, le=1_000_000)  # required steps: 1 at least
    status: str | None = None
    error: str | None = None


def _load_json(path: Path) -> ResultsFile:
    data = _no_surrogates(read_json(path))  # size and nesting caps; one line naming the file
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ConfigError(path, "results", "required field missing (not an lm-eval results file)")
    try:
        return ResultsFile.model_validate(data)
    except ValidationError as exc:
        raise validation_to_config_error(path, exc) from None


def samples_file(results: Path, task: str, date_id: str) -> Path | None:
    """The samples file lm-eval wrote beside `results` for `task` (it writes
    samples_<task>_<date>.jsonl with the task name as it is; '/' in it makes a subfolder), or
    None. Only a regular file inside the results file's folder is taken."""
    folder = results.parent
    name = f"samples_{task}_{date_id}.jsonl"
    if "\x00" in name or len(name.encode("utf-8", "surrogatepass")) > 4000:
        return None
    if not _encodable(name):  # a lone surrogate ("\ud800" in JSON) names no file
        return None
    candidate = folder / name
    try:
        real = candidate.resolve(strict=True)
        base = folder.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if base not in real.parents or os.path.normpath(candidate) != str(candidate):
        return None  # '..' or a link that leads out of the folder
    return real if real.is_file() else None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogates(value: Any) -> Any:
    """`value` with every lone UTF-16 surrogate ("\\ud800" is valid JSON, but not text that
    UTF-8, a file name or Parquet can hold) replaced by U+FFFD, keys included."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_no_surrogates(k): _no_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_surrogates(v) for v in value]
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _samples(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, raw_row in enumerate(read_jsonl(path), 1):
        row = _no_surrogates(raw_row)
        if not isinstance(row, dict) or "doc_id" not in row:
            raise ConfigError(path, f"line {n}", "a sample without doc_id")
        if isinstance(row.get("gapbench"), dict):
            try:
                row["gapbench"] = OwnEntry.model_validate(row["gapbench"])
            except ValidationError as exc:
                err = validation_to_config_error(path, exc)
                raise ConfigError(path, f"line {n}: gapbench.{err.field}", err.problem) from None
        rows.append(row)
    return rows


def _metric(
    config: dict[str, Any], samples: list[dict[str, Any]], result: dict[str, Any]
) -> str | None:
    # any of these may be any JSON in a file someone else wrote: only the shapes lm-eval
    # writes are read (a list of {"metric": name}; a list of names)
    metric_list = config.get("metric_list")
    if isinstance(metric_list, list) and metric_list:
        first = metric_list[0]
        if isinstance(first, dict) and isinstance(first.get("metric"), str) and first["metric"]:
            return first["metric"]
    named = samples[0].get("metrics") if samples else None
    if isinstance(named, list) and named and isinstance(named[0], str):
        return named[0]
    for key in result:
        if "," in key and "_stderr" not in key:
            return key.split(",", 1)[0]
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer of 400 digits: not a score
            return None
    return None


def _text(value: object) -> str | None:
    if value is None:
        return None
    while isinstance(value, list) and value:
        value = value[0]
    return None if isinstance(value, list) else str(value)


def _transcript(s: dict[str, Any]) -> Transcript:
    args = s.get("arguments")
    prompt = None
    if isinstance(args, dict) and args:
        first = next(iter(args.values()))
        prompt = _text(first.get("arg_0")) if isinstance(first, dict) else None
    elif isinstance(args, list):
        prompt = _text(args)
    output = _text(s.get("resps"))
    filtered = _text(s.get("filtered_resps"))
    messages = []
    if prompt is not None:
        messages.append(TranscriptMessage(role="user", content=prompt))
    if output is not None:
        messages.append(TranscriptMessage(role="assistant", content=output))
    return Transcript(
        messages=tuple(messages),
        prompt=prompt,
        output=output,
        target=_text(s.get("target")),
        explanation=None if filtered in (None, output) else f"filtered response: {filtered}",
    )


def _filters(samples: list[dict[str, Any]]) -> list[str]:
    seen: list[str] = []
    for s in samples:
        f = str(s.get("filter", "none"))
        if f not in seen:
            seen.append(f)
    return seen


def _read_results(
    path: Path,
    facts_of: FactsOf,
    kind: Kind,
    model_id: str | None,
    filter_name: str | None,
    metric_name: str | None,
    out: Collector,
) -> None:
    data = _load_json(path)
    date_id = path.stem.removeprefix("results_")
    config = data.config
    ours = data.gapbench
    source_model = str(
        data.model_name or config.get("model_args") or config.get("model") or "unknown"
    )
    model = model_id or source_model
    facts = facts_of(model)
    engine_version = str(data.lm_eval_version or "unknown")
    for task, result in data.results.items():
        task_config = data.configs.get(task) or {}
        version = str(data.versions.get(task, "0"))
        sample_file = samples_file(path, task, date_id)
        samples = _samples(sample_file) if sample_file is not None else []
        sample_file = sample_file or path.with_name("samples.jsonl")  # named in messages only
        metric = metric_name or _metric(task_config, samples, result)
        if metric is None:
            if not any("," in k for k in result):
                continue  # a group header without metrics of its own
            out.skip("no metric found")
            continue
        # The run: gapbench's own output names it (every chunk of a run is one run); other
        # output is one run per results file. The source's model name, not --model.
        identity = {"model": source_model, "task": task, "version": version, "run": date_id}
        if ours is not None and ours.get("run_id"):  # a dict from the file: any value
            identity["run"] = f"gapbench:{ours['run_id']}"
        common: dict[str, Any] = dict(
            name=NAME,
            model_id=model,
            access=facts.access,
            release_date=facts.release_date,
            suite_version=version,
            kind=kind,
            task=task,
            engine="lm_eval",
            engine_version=engine_version,
        )
        base_extra = {"organisation": facts.organisation or "", "metric": metric}
        if samples:
            _read_samples(
                samples,
                task,
                identity,
                common,
                base_extra,
                metric,
                filter_name,
                ours,
                sample_file,
                out,
            )
            continue
        keys = [k for k in result if k.split(",", 1)[0] == metric]
        out.filters.update(k.split(",", 1)[1] for k in keys if "," in k)
        if filter_name is not None:
            keys = [k for k in keys if k.endswith(f",{filter_name}")]
            if not keys:
                out.skip(f"task {task} has no filter {filter_name}")
                continue
        key = keys[0] if keys else None
        value = _number(result.get(key)) if key else None
        if value is None or not 0.0 <= value <= 1.0:
            out.skip(f"metric {metric} not a 0..1 value")
            continue
        stderr_key = key.replace(metric, f"{metric}_stderr", 1) if key else ""
        out.records.append(
            imported_record(
                **common,
                run_id=imported_run_id(NAME, identity),
                suite=task,
                sample_id=AGGREGATE_ID,
                epoch=1,
                status="scored",
                score=value,
                extra={
                    **base_extra,
                    "metric": str(key),
                    "stderr": str(result.get(stderr_key, "")),
                    "file": path.name,
                    "n_samples": str((data.n_samples.get(task) or {}).get("effective", "")),
                },
            )
        )


def _read_samples(
    samples: list[dict[str, Any]],
    task: str,
    identity: dict[str, str],
    common: dict[str, Any],
    base_extra: dict[str, str],
    metric: str,
    filter_name: str | None,
    ours: dict[str, Any] | None,
    sample_file: Path,
    out: Collector,
) -> None:
    filters = _filters(samples)
    out.filters.update(filters)
    if filter_name is not None and filter_name not in filters:
        out.skip(f"task {task} has no filter {filter_name}")
        return
    for s in samples:
        filt = str(s.get("filter", "none"))
        if filter_name is not None and filt != filter_name:
            continue
        mine = s.get("gapbench") if ours is not None else None
        if ours is not None and not isinstance(mine, OwnEntry):
            out.skip("an entry gapbench did not store (another filter, or never sent)")
            continue
        # The first filter (lm-eval's primary) is the task itself, as gapbench's own runs
        # score it; each other filter is kept as its own suite unless one was chosen.
        primary = filt == filters[0]
        suite = task if primary or filter_name is not None else f"{task}[{filt}]"
        run_identity = identity if primary else {**identity, "filter": filt}
        sample_id, epoch, h = str(s["doc_id"]), 1, None
        status, score, error = "scored", _number(s.get(metric)), None
        if isinstance(mine, OwnEntry):
            if mine.sample_id is not None:
                sample_id = str(mine.sample_id)
            epoch, h = mine.epoch or 1, mine.h
            if mine.status == "error":
                status, score, error = "error", None, mine.error or "error"
        if status == "scored" and score is None:
            status, error = "error", f"no {metric} value in {sample_file.name}"
        elif score is not None and not 0.0 <= score <= 1.0:
            out.skip(f"metric {metric} not a 0..1 value")
            continue
        out.records.append(
            imported_record(
                **common,
                run_id=imported_run_id(NAME, run_identity),
                suite=suite,
                sample_id=sample_id,
                epoch=epoch,
                status=status,  # type: ignore[arg-type]
                score=score,
                success=None if score is None else score >= 1.0 - 1e-9,
                error=error,
                h=h,
                extra={**base_extra, "filter": filt, "file": sample_file.name},
                transcript=_transcript(s),
            )
        )


def collect_lm_eval(
    path: Path,
    facts_of: FactsOf,
    kind: Kind = "standard",
    model_id: str | None = None,
    filter_name: str | None = None,
    metric: str | None = None,
) -> Collector:
    """Read one results file or every results_*.json under a folder (with its samples);
    store nothing. A malformed file raises ConfigError naming it."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if re.match(r"results", p.name))
    else:
        files = [path] if path.exists() else []
    if not files:
        raise ConfigError(path, None, "no lm-eval results_*.json found")
    out = Collector(NAME)
    for f in files:
        _read_results(f, facts_of, kind, model_id, filter_name, metric, out)
    if filter_name is not None and filter_name not in out.filters:
        known = ", ".join(sorted(out.filters)) or "none"
        raise ConfigError(
            path, "--filter", f"no task has filter '{filter_name}' (filters: {known})"
        )
    return out


def import_lm_eval(
    path: Path,
    store: Store,
    *,
    access: Access | None = None,
    kind: Kind = "standard",
    model_id: str | None = None,
    release_date: str | date | None = None,
    organisation: str | None = None,
    filter_name: str | None = None,
    metric: str | None = None,
    replace: bool = False,
    facts_of: FactsOf | None = None,
) -> ImportSummary:
    """Import one results file or every results_*.json under a folder (with its samples).

    Model facts: `facts_of` (the API passes one that reads the registry's card), else the
    access / release_date / organisation given. replace=True writes every row again as its
    next attempt (it wins in reads): how a wrong import is corrected.
    """
    facts = facts_of or given_facts(access, release_date, organisation)
    out = collect_lm_eval(path, facts, kind, model_id, filter_name, metric)
    return store_collected(out, path, store, replace)
