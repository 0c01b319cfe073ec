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

`import_epoch` takes a folder, a zip or an http(s) URL of the zip (online only: offline, one
line and exit 3, after a short connect timeout). Every dump is kept as a snapshot and the
store's rows follow the newest one (epoch_snapshots); the files themselves: epoch_dump.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace as replace_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

import pandas as pd
from pydantic import BaseModel, ConfigDict

from harness import __version__
from harness._loading import load_model
from harness._types import Access, Kind
from harness.errors import ConfigError, OfflineError, UserError
from harness.offline import is_offline
from harness.store.importers._common import (
    AGGREGATE_ID,
    Collector,
    ImportSummary,
    imported_record,
    imported_run_id,
    parse_date,
)
from harness.store.importers.epoch_dump import INDEX_FILE, Dump, describe_dump, dump_version
from harness.store.importers.epoch_snapshots import (
    SOURCE,
    EpochSnapshot,
    current_changes,
    keep_snapshot,
    list_snapshots,
)
from harness.store.keys import stable_hash
from harness.store.store import Store

NAME = "epoch"
EPOCH_ZIP_URL = "https://epoch.ai/data/benchmark_data.zip"
MAPPING_PATH = Path(__file__).with_name("epoch_benchmarks.yaml")


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


def _scaled(raw: float, scale: str) -> float:
    return raw / 100.0 if scale == "percent" else raw


# Declared range of a value in the file, per scale: (low, high) inclusive. A score or
# standard error outside it is a one-line import error (a unit mix-up, not a data point).
SCORE_RANGE = {"fraction": (0.0, 1.0), "percent": (0.0, 100.0), "minutes": (0.0, float("inf"))}
# an SE of a 0..1 quantity is at most 0.5 (the SD of a 0/1 variable), 50 in percent
SE_RANGE = {"fraction": (0.0, 0.5), "percent": (0.0, 50.0), "minutes": (0.0, float("inf"))}


def _in_range(
    dump: Dump, bench: BenchmarkMap, row_no: int, model: str, column: str, raw: float, scale: str
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


def _stderr(dump: Dump, bench: BenchmarkMap, row: pd.Series, row_no: int, model: str) -> str:
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
    dump = Dump(Path(path))
    try:
        return dump_version(dump)
    finally:
        dump.close()


def read_eci(path: Path) -> pd.DataFrame:
    """The Epoch Capabilities Index of a dump: model_id, access, release_date, eci (index
    points), for rows with a score, a known access and a release date (the ECI lag
    cross-check)."""
    dump = Dump(Path(path))
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
    dump: Dump, bench: BenchmarkMap, index: pd.DataFrame, version: str, out: Collector
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
    dump = Dump(Path(path))
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


def is_url(source: object) -> bool:
    return isinstance(source, str) and source.startswith(("http://", "https://"))


def import_epoch(
    source: Path | str | None,
    store: Store,
    url: str = EPOCH_ZIP_URL,
    timeout_s: float = 5.0,
    replace: bool = False,
) -> ImportSummary:
    """Import an Epoch hub dump: a folder, a zip, or an http(s) URL of the zip (None: Epoch's
    public zip). Online only for a URL: offline (GAPBENCH_OFFLINE / HF_HUB_OFFLINE, or the
    host does not answer within `timeout_s`) raises OfflineError, one line (exit 3).

    The dump is kept as a snapshot (epoch_snapshots); re-importing a dump already kept writes
    nothing and says so. A dump newer than every kept one brings the store's rows up to it
    (new and changed rows, rows it withdrew); an older one is kept as a snapshot only.
    replace=True writes every row of the dump again as its next attempt, even unchanged."""
    source = url if source is None else source
    if is_url(source):
        assert isinstance(source, str)
        with _downloaded(source, timeout_s) as zip_path:
            return import_snapshot(zip_path, source, store, replace)
    return import_snapshot(Path(source), str(source), store, replace)


def import_snapshot(path: Path, origin: str, store: Store, replace: bool) -> ImportSummary:
    """Import the dump at `path` (read from `origin`) as a snapshot; see import_epoch."""
    out = collect_epoch(path)  # a malformed dump stops here: nothing is kept or stored
    facts = describe_dump(path)
    kept = {s.sha256: s for s in list_snapshots(store.root)}
    newest = max(kept.values(), key=EpochSnapshot.order, default=None)
    snap = EpochSnapshot(
        id=facts.sha256[:16],
        sha256=facts.sha256,
        source=origin,
        retrieved_at=datetime.now(UTC),
        dump_version=facts.version,
        data_as_of=facts.data_as_of,
        rows=len(out.records),
        skipped=sum(out.skipped.values()),
        gapbench_version=__version__,
    )
    keys = {r.sample_key for r in out.records}
    if facts.sha256 in kept and not replace:
        same = kept[facts.sha256]
        note = (
            f"already imported: snapshot {same.id} ({same.dump_version}, retrieved "
            f"{same.retrieved_at:%Y-%m-%d %H:%M} UTC from {same.source}); nothing written"
        )
        return _summary(out, origin, keys, written=0, note=note)
    if newest is not None and snap.order()[:2] < newest.order()[:2] and not replace:
        keep_snapshot(store.root, path, snap)
        note = (
            f"kept as snapshot {snap.id}; older than snapshot {newest.id} "
            f"({newest.dump_version}, data as of {newest.data_as_of}), whose rows stay current"
        )
        return _summary(out, origin, keys, written=0, note=note)
    stored = store.samples(source=SOURCE) if store.files("samples") else pd.DataFrame()
    if replace:
        changes = list(out.records)
        replaced = len(keys & set(stored["sample_key"])) if not stored.empty else 0
        withdrawn = 0
    else:
        changes, withdrawn, replaced = current_changes(stored, out.records, facts.version, snap.id)
    written = store.append_samples(changes, replace="all") if changes else 0
    keep_snapshot(store.root, path, snap)
    return _summary(
        out,
        origin,
        keys,
        written=written,
        replaced=replaced,
        withdrawn=withdrawn,
        note=f"kept as snapshot {snap.id} ({snap.dump_version}, data as of {snap.data_as_of})",
    )


def _summary(
    out: Collector,
    origin: str,
    keys: set[str],
    *,
    written: int,
    replaced: int = 0,
    withdrawn: int = 0,
    note: str = "",
) -> ImportSummary:
    base = out.summary(origin, 0)
    new_or_changed = written - withdrawn
    return replace_fields(
        base,
        rows_written=written,
        rows_replaced=replaced,
        rows_present=len(keys) - new_or_changed,
        rows_withdrawn=withdrawn,
        note=note,
    )


# A dump is a few MB; anything far larger is not one (and is not read into memory).
MAX_DUMP_BYTES = 256 * 1024 * 1024


@contextmanager
def _downloaded(url: str, timeout_s: float) -> Iterator[Path]:
    """The zip at `url` in a temporary file. OfflineError (exit 3) when offline or the host
    does not answer within timeout_s; UserError for an HTTP error or a file that is no zip."""
    if is_offline():
        raise OfflineError(
            f"import epoch --from {url}: offline (GAPBENCH_OFFLINE or HF_HUB_OFFLINE is set); "
            "give the dump's folder or zip with --from PATH"
        )
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
                size = 0
                while block := resp.read(1 << 20):
                    size += len(block)
                    if size > MAX_DUMP_BYTES:
                        raise ConfigError(
                            url, None, f"larger than {MAX_DUMP_BYTES >> 20} MiB: not an Epoch dump"
                        )
                    fh.write(block)
        except urllib.error.HTTPError as exc:
            raise UserError(f"{url}: HTTP {exc.code} {exc.reason}") from None
        except OSError as exc:
            raise OfflineError(
                f"download of {url} failed ({exc}); give --from PATH instead"
            ) from None
        if not zipfile.is_zipfile(target):
            raise ConfigError(url, None, "not a zip (Epoch publishes the hub as a zip of CSVs)")
        yield target
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
