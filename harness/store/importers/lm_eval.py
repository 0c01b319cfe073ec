"""Import lm-eval output made outside gapbench: results_<date>.json plus, when logged,
samples_<task>_<date>.jsonl beside it (read as JSON; lm_eval is never imported here).

Per task, the score is the task's first metric (configs[task].metric_list[0], else the
first metric the samples list), under the first filter found in its samples file (or its
results entry). With a samples file: one row per document (sample_id = doc_id). Without:
one aggregate row (sample_id "__aggregate__") with the stderr in extra. Metrics outside
0..1 (perplexity, for instance) are skipped and counted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from harness._types import Access, Kind
from harness.errors import ConfigError
from harness.store.importers._common import (
    AGGREGATE_ID,
    Collector,
    ImportSummary,
    imported_record,
    imported_run_id,
    parse_date,
)
from harness.store.store import Store

NAME = "lm_eval"


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(path, None, f"not readable JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise ConfigError(path, "results", "required field missing (not an lm-eval results file)")
    return data


def _samples(path: Path) -> list[dict[str, Any]]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                raise ConfigError(path, f"line {n}", "not valid JSON") from None
            if not isinstance(row, dict) or "doc_id" not in row:
                raise ConfigError(path, f"line {n}", "a sample without doc_id")
            rows.append(row)
    return rows


def _metric(
    config: dict[str, Any], samples: list[dict[str, Any]], result: dict[str, Any]
) -> str | None:
    metric_list = config.get("metric_list") or []
    if metric_list and isinstance(metric_list[0], dict) and metric_list[0].get("metric"):
        return str(metric_list[0]["metric"])
    if samples and samples[0].get("metrics"):
        return str(samples[0]["metrics"][0])
    for key in result:
        if "," in key and "_stderr" not in key:
            return key.split(",", 1)[0]
    return None


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    return None


def _read_results(
    path: Path,
    access: Access,
    kind: Kind,
    model_id: str | None,
    release: str | None,
    out: Collector,
) -> None:
    data = _load_json(path)
    date_id = path.stem.removeprefix("results_")
    config = data.get("config") or {}
    model = model_id or str(
        data.get("model_name") or config.get("model_args") or config.get("model") or "unknown"
    )
    engine_version = str(data.get("lm_eval_version") or "unknown")
    for task, result in data["results"].items():
        if not isinstance(result, dict):
            raise ConfigError(path, f"results.{task}", "not an object")
        task_config = (data.get("configs") or {}).get(task) or {}
        version = str((data.get("versions") or {}).get(task, "0"))
        sample_file = path.with_name(f"samples_{task}_{date_id}.jsonl")
        samples = _samples(sample_file) if sample_file.is_file() else []
        metric = _metric(task_config, samples, result)
        if metric is None:
            if not any("," in k for k in result):
                continue  # a group header without metrics of its own
            out.skip("no metric found")
            continue
        run_id = imported_run_id(
            NAME, {"model": model, "task": task, "version": version, "run": date_id}
        )
        common = dict(
            name=NAME,
            run_id=run_id,
            model_id=model,
            access=access,
            release_date=parse_date(release),
            suite=task,
            suite_version=version,
            kind=kind,
            task=task,
            engine="lm_eval",
            engine_version=engine_version,
        )
        if samples:
            filt = samples[0].get("filter")
            for s in samples:
                if s.get("filter") != filt:
                    continue
                value = _number(s.get(metric))
                if value is None or not 0.0 <= value <= 1.0:
                    out.skip(f"metric {metric} not a 0..1 value")
                    continue
                out.records.append(
                    imported_record(
                        **common,
                        sample_id=str(s["doc_id"]),
                        epoch=1,
                        status="scored",
                        score=value,
                        success=value >= 1.0 - 1e-9,
                        extra={"metric": metric, "filter": str(filt), "file": sample_file.name},
                    )
                )
            continue
        key = next((k for k in result if k.split(",", 1)[0] == metric), None)
        value = _number(result.get(key)) if key else None
        if value is None or not 0.0 <= value <= 1.0:
            out.skip(f"metric {metric} not a 0..1 value")
            continue
        stderr_key = key.replace(metric, f"{metric}_stderr", 1) if key else ""
        out.records.append(
            imported_record(
                **common,
                sample_id=AGGREGATE_ID,
                epoch=1,
                status="scored",
                score=value,
                extra={
                    "metric": str(key),
                    "stderr": str(result.get(stderr_key, "")),
                    "file": path.name,
                    "n_samples": str(
                        ((data.get("n-samples") or {}).get(task) or {}).get("effective", "")
                    ),
                },
            )
        )


def collect_lm_eval(
    path: Path,
    access: Access,
    kind: Kind = "standard",
    model_id: str | None = None,
    release_date: str | None = None,
) -> Collector:
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.json") if re.match(r"results", p.name))
    else:
        files = [path] if path.exists() else []
    if not files:
        raise ConfigError(path, None, "no lm-eval results_*.json found")
    out = Collector(NAME)
    for f in files:
        _read_results(f, access, kind, model_id, release_date, out)
    return out


def import_lm_eval(
    path: Path,
    store: Store,
    *,
    access: Access,
    kind: Kind = "standard",
    model_id: str | None = None,
    release_date: str | None = None,
) -> ImportSummary:
    """Import one results file or every results_*.json under a folder (with its samples)."""
    out = collect_lm_eval(path, access, kind, model_id, release_date)
    return out.summary(path, store.append_samples(out.records))
