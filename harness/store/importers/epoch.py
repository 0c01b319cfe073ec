"""Import the Epoch AI Benchmarking Hub dump (a folder or Epoch's benchmark_data.zip).

One row per (benchmark file row) with a known open/closed access:
- access: epoch_capabilities_index.csv `Model accessibility`, joined EXACTLY on `Model
  version` (the per-variant id, e.g. `gpt-5.4-2026-03-05_high`; the same model appears
  under different version strings in different files, e.g. `openai/gpt-oss-120b_high` in
  gpqa_diamond and `gpt-oss-120b` in METR, and each string is its own ECI row).
  "Open weights (...)" -> open; "API access" / "Hosted access (no API)" -> closed; blank,
  "Unreleased" or a version missing from the index -> the row is skipped and counted.
- release_date and organisation from the index, falling back to the benchmark file's own.
- kind, score column and scale from epoch_benchmarks.yaml (the reviewable mapping).
Rows are aggregates: sample_id "__aggregate__", epoch 1, status scored; display name,
organisation, stderr, the score's unit and the row's source/agent go in `extra`.
"""

from __future__ import annotations

import io
import re
import shutil
import socket
import tempfile
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import pandas as pd
from pydantic import BaseModel, ConfigDict

from harness._loading import load_model
from harness._types import Access, Kind
from harness.errors import ConfigError, OfflineError
from harness.store.importers._common import (
    AGGREGATE_ID,
    Collector,
    ImportSummary,
    imported_record,
    imported_run_id,
    parse_date,
    store_collected,
)
from harness.store.keys import stable_hash
from harness.store.store import Store

NAME = "epoch"
EPOCH_ZIP_URL = "https://epoch.ai/data/benchmark_data.zip"
MAPPING_PATH = Path(__file__).with_name("epoch_benchmarks.yaml")
INDEX_FILE = "epoch_capabilities_index.csv"


class BenchmarkMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    file: str
    suite: str
    score: str
    scale: Literal["fraction", "percent", "minutes"]
    kind: Kind
    reason: str
    stderr: str | None = None
    # the standard error's unit in the file when it differs from the score's (apex_agents
    # gives a fraction score with its SE in percentage points); default: the score's scale
    stderr_scale: Literal["fraction", "percent", "minutes"] | None = None
    variant: str | None = None  # column that distinguishes several rows of one model
    borderline: bool = False
    include: bool = True


class EpochMapping(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    benchmarks: list[BenchmarkMap]


def load_mapping(path: Path = MAPPING_PATH) -> EpochMapping:
    return load_model(path, EpochMapping)


def access_of(accessibility: object) -> Access | None:
    if not isinstance(accessibility, str):
        return None
    text = accessibility.strip()
    if text.startswith("Open weights"):
        return "open"
    if text in ("API access", "Hosted access (no API)"):
        return "closed"
    return None  # "Unreleased" or anything new: not guessed


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


class _Dump:
    """A dump's CSV files, from a folder or a zip (at its root or in one sub-folder)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_dir():
            hits = sorted(path.rglob(INDEX_FILE))
            if not hits:
                raise ConfigError(path, None, f"not an Epoch dump ({INDEX_FILE} not found)")
            self._dir = hits[0].parent
        elif path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ConfigError(path, None, f"not a folder or a readable zip ({exc})") from None
            names = [n for n in self._zip.namelist() if n.rsplit("/", 1)[-1] == INDEX_FILE]
            if not names:
                raise ConfigError(path, None, f"not an Epoch dump ({INDEX_FILE} not in the zip)")
            self._prefix = names[0][: -len(INDEX_FILE)]
        else:
            raise ConfigError(path, None, "not found")

    def where(self, name: str) -> str:
        return f"{self.path}!{self._prefix}{name}" if self._zip else str(self._dir / name)

    def exists(self, name: str) -> bool:
        if self._zip is not None:
            return f"{self._prefix}{name}" in self._zip.namelist()
        return (self._dir / name).is_file()

    def read_text(self, name: str) -> str | None:
        if not self.exists(name):
            return None
        if self._zip is not None:
            return self._zip.read(f"{self._prefix}{name}").decode("utf-8", errors="replace")
        return (self._dir / name).read_text(encoding="utf-8", errors="replace")

    def csv(self, name: str, required: tuple[str, ...]) -> pd.DataFrame:
        text = self.read_text(name)
        if text is None:
            raise ConfigError(self.where(name), None, "file missing from the dump")
        try:
            df = pd.read_csv(io.StringIO(text), dtype=str)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ConfigError(self.where(name), None, f"not a readable CSV ({detail})") from None
        missing = [c for c in required if c not in df.columns]
        if missing:
            raise ConfigError(self.where(name), missing[0], "column missing")
        return df

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def dump_version(dump: _Dump) -> str:
    """'epoch-hub-2026-04' from the dump README's BibTeX (year, month); 'epoch-hub' if absent."""
    readme = dump.read_text("README.md") or ""
    year = re.search(r"year\s*=\s*\{(\d{4})\}", readme)
    month = re.search(r"month\s*=\s*\{(\d{1,2})\}", readme)
    if year and month:
        return f"epoch-hub-{year.group(1)}-{int(month.group(1)):02d}"
    return "epoch-hub"


def _scaled(raw: float, scale: str) -> float:
    return raw / 100.0 if scale == "percent" else raw


# Declared range of a value in the file, per scale: (low, high) inclusive. A score or
# standard error outside it is a one-line import error (a unit mix-up, not a data point).
SCORE_RANGE = {"fraction": (0.0, 1.0), "percent": (0.0, 100.0), "minutes": (0.0, float("inf"))}
# an SE of a 0..1 quantity is at most 0.5 (the SD of a 0/1 variable), 50 in percent
SE_RANGE = {"fraction": (0.0, 0.5), "percent": (0.0, 50.0), "minutes": (0.0, float("inf"))}


def _in_range(
    dump: _Dump, bench: BenchmarkMap, row_no: int, model: str, column: str, raw: float, scale: str
) -> None:
    lo, hi = (SE_RANGE if column == bench.stderr else SCORE_RANGE)[scale]
    if not lo <= raw <= hi:
        what = "standard error" if column == bench.stderr else "score"
        raise ConfigError(
            dump.where(bench.file),
            f"row {row_no} ({model}): {column}",
            f"{what} {raw:g} outside {lo:g}..{hi:g} for scale {scale} (declared in "
            f"{MAPPING_PATH.name}; a unit mix-up?)",
        )


def _stderr(dump: _Dump, bench: BenchmarkMap, row: pd.Series, row_no: int, model: str) -> str:
    """The SE as given (its unit goes in extra.stderr_unit), range-checked; "" when absent."""
    if not bench.stderr:
        return ""
    text = _text(row.get(bench.stderr))
    raw = pd.to_numeric(text or None, errors="coerce")
    if pd.isna(raw):
        return ""
    _in_range(dump, bench, row_no, model, bench.stderr, float(raw), _se_scale(bench))
    return text


def _se_scale(bench: BenchmarkMap) -> str:
    return bench.stderr_scale or bench.scale


def version_of(path: Path) -> str:
    """The dump version ('epoch-hub-2026-04') of a dump folder or zip."""
    dump = _Dump(Path(path))
    try:
        return dump_version(dump)
    finally:
        dump.close()


def read_eci(path: Path) -> pd.DataFrame:
    """The Epoch Capabilities Index of a dump: model_id, access, release_date, eci (index
    points), for rows with a score, a known access and a release date (the ECI lag
    cross-check)."""
    dump = _Dump(Path(path))
    try:
        df = dump.csv(
            INDEX_FILE, ("Model version", "ECI Score", "Release date", "Model accessibility")
        )
    finally:
        dump.close()
    out = pd.DataFrame(
        {
            "model_id": df["Model version"].map(_text),
            "access": df["Model accessibility"].map(access_of),
            "release_date": df["Release date"].map(parse_date),
            "eci": pd.to_numeric(df["ECI Score"], errors="coerce"),
        }
    )
    return out.dropna(subset=["access", "release_date", "eci"]).reset_index(drop=True)


def _rows(
    dump: _Dump, bench: BenchmarkMap, index: pd.DataFrame, version: str, out: Collector
) -> None:
    required = ("Model version", bench.score)
    df = dump.csv(bench.file, required)
    for row_no, (_, row) in enumerate(df.iterrows(), start=2):  # line 1 is the header
        model = _text(row["Model version"])
        if not model:
            out.skip("no model version")
            continue
        if model not in index.index:
            out.skip("model version not in the capabilities index")
            continue
        info = index.loc[model]
        access = access_of(info["Model accessibility"])
        if access is None:
            out.skip("access unknown (blank or unreleased in the index)")
            continue
        raw = pd.to_numeric(_text(row[bench.score]) or None, errors="coerce")
        if pd.isna(raw):
            out.skip("no score")
            continue
        _in_range(dump, bench, row_no, model, bench.score, float(raw), bench.scale)
        score = _scaled(float(raw), bench.scale)
        stderr = _stderr(dump, bench, row, row_no, model)
        # Epoch's row id is stable across dumps; files without one are keyed on their content.
        row_id = _text(row.get("id")) or stable_hash([_text(v) for v in row.to_numpy()])
        run_id = imported_run_id(NAME, {"suite": bench.suite, "model": model, "row": row_id})
        released = parse_date(info["Release date"]) or parse_date(row.get("Release date"))
        organisation = _text(info["Organization"]) or _text(row.get("Organization"))
        extra = {
            "display_name": _text(info.get("Display name"))
            or _text(info.get("Model name"))
            or model,
            "organisation": organisation,
            "accessibility": _text(info["Model accessibility"]),
            "country": _text(info.get("Country")),
            "stderr": stderr,
            # units are data: the SE keeps the unit it was published in
            "stderr_unit": _se_scale(bench) if stderr else "",
            "unit": "minutes" if bench.scale == "minutes" else "fraction",
            "raw_score": _text(row[bench.score]),
            "variant": _text(row.get(bench.variant)) if bench.variant else "",
            "source": _text(row.get("Source")),
            "epoch_row_id": _text(row.get("id")),
            "file": bench.file,
            "borderline_kind": "true" if bench.borderline else "",
        }
        out.records.append(
            imported_record(
                name=NAME,
                run_id=run_id,
                model_id=model,
                access=access,
                release_date=released,
                suite=bench.suite,
                suite_version=version,
                kind=bench.kind,
                task=bench.suite,
                sample_id=AGGREGATE_ID,
                epoch=1,
                status="scored",
                engine="external",
                engine_version=version,
                score=score,
                extra=extra,
            )
        )


def collect_epoch(path: Path, mapping: EpochMapping | None = None) -> Collector:
    """Read a dump into records without storing them."""
    mapping = mapping or load_mapping()
    dump = _Dump(Path(path))
    try:
        index = dump.csv(
            INDEX_FILE, ("Model version", "Model accessibility", "Release date", "Organization")
        )
        index = index.dropna(subset=["Model version"])
        index["Model version"] = index["Model version"].str.strip()
        index = index.drop_duplicates("Model version").set_index("Model version", drop=False)
        version = dump_version(dump)
        out = Collector(NAME)
        for bench in mapping.benchmarks:
            if not bench.include:
                continue
            if not dump.exists(bench.file):
                out.warnings.append(f"{dump.where(bench.file)}: not in this dump, skipped")
                continue
            _rows(dump, bench, index, version, out)
        return out
    finally:
        dump.close()


def import_epoch(
    path: Path | None,
    store: Store,
    url: str = EPOCH_ZIP_URL,
    timeout_s: float = 5.0,
    replace: bool = False,
) -> ImportSummary:
    """Import a dump folder or zip; without a path, download Epoch's public zip if online.
    replace=True writes every row again as its next attempt (a revised dump's values win)."""
    if path is not None:
        out = collect_epoch(path)
        return store_collected(out, path, store, replace)
    with _downloaded(url, timeout_s) as zip_path:
        out = collect_epoch(zip_path)
        return store_collected(out, url, store, replace)


@contextmanager
def _downloaded(url: str, timeout_s: float) -> Iterator[Path]:
    host = urlparse(url).hostname or ""
    port = urlparse(url).port or (443 if url.startswith("https") else 80)
    try:
        socket.create_connection((host, port), timeout=timeout_s).close()
    except OSError as exc:
        raise OfflineError(
            f"cannot reach {host} ({exc.__class__.__name__}): offline? "
            "give the dump's folder or zip with --from PATH"
        ) from None
    tmp = Path(tempfile.mkdtemp(prefix="gapbench-epoch-"))
    try:
        target = tmp / "benchmark_data.zip"
        try:
            with (
                urllib.request.urlopen(url, timeout=max(timeout_s, 30.0)) as resp,
                open(target, "wb") as fh,
            ):
                shutil.copyfileobj(resp, fh)
        except OSError as exc:
            raise OfflineError(
                f"download of {url} failed ({exc}); give --from PATH instead"
            ) from None
        yield target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
