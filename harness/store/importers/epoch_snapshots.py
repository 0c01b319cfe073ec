"""Every imported Epoch AI hub dump, kept as a snapshot: the timeline refreshes itself.

A snapshot is one dump as it was retrieved: the dump itself (a zip, kept byte for byte; a
folder is kept as a zip of its files) and what is known about it, under

    <results>/imports/epoch/<snapshot id>/benchmark_data.zip
    <results>/imports/epoch/<snapshot id>/snapshot.json     (EpochSnapshot, written last)

- `sha256` hashes the dump's files (each name and its bytes, in name order), so a zip and the
  same files unpacked are the same dump; the snapshot id is its first 16 hex digits.
- `retrieved_at` is when gapbench read it (UTC), `source` the URL or path it came from.
- `dump_version` is the dump's own month (its README's citation, `epoch-hub-YYYY-MM`) and
  `data_as_of` its own date: the newest `Started at` of Epoch's own runs in it (the newest
  release date in its capabilities index when no file has one).

`list_snapshots(results_dir)` lists them oldest first (by data_as_of, dump_version, then
retrieval time) and `snapshot_frame(results_dir, ref)` gives one snapshot's rows exactly as
the importer makes them (today's epoch_benchmarks.yaml), in the columns and dtypes of
`Store.samples()`: the analysis computes D once per snapshot from them ("one point per
refresh") without the store holding a copy of every dump's rows.

The store's own rows follow the NEWEST snapshot (`current_changes`): importing a dump that is
newer than every kept one writes the rows that are new or changed (revised scores, dates or
labels, and the new dump's `suite_version`) as their next attempt, and marks rows of earlier
dumps that the new one no longer holds as withdrawn (status "error", never a score), so no
benchmark is split between two dump versions. An older dump is kept as a snapshot only.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness._files import write_text_atomic
from harness._types import SampleRecord
from harness.errors import ConfigError, StoreError
from harness.store.importers._common import imported_record
from harness.store.rows import samples_table
from harness.store.schema import SCHEMAS

SNAPSHOTS_DIR = Path("imports") / "epoch"
KEPT_DUMP = "benchmark_data.zip"
META = "snapshot.json"
NAME = "epoch"
SOURCE = f"imported:{NAME}"
# Columns whose difference makes a stored row out of date (what an import decides).
COMPARED = (
    "model_id",
    "access",
    "release_date",
    "suite",
    "suite_version",
    "kind",
    "task",
    "status",
    "score",
    "error",
    "extra",
)


class EpochSnapshot(BaseModel):
    """One retrieved Epoch hub dump (snapshot.json)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f]{16}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="the dump's files, names and bytes")
    source: str = Field(description="URL or path it was imported from")
    retrieved_at: datetime = Field(description="when gapbench read it (UTC)")
    dump_version: str = Field(description="epoch-hub-YYYY-MM, from the dump's README citation")
    data_as_of: date | None = Field(description="newest date in the dump's own data")
    rows: int = Field(ge=0, description="rows the importer made from it")
    skipped: int = Field(ge=0, description="rows it left out (no access label, no score, ...)")
    gapbench_version: str

    def order(self) -> tuple[date, str, datetime]:
        return (self.data_as_of or date.min, self.dump_version, self.retrieved_at)


def snapshots_root(results_dir: Path) -> Path:
    return Path(results_dir) / SNAPSHOTS_DIR


def list_snapshots(results_dir: Path) -> list[EpochSnapshot]:
    """Every kept snapshot, oldest first. A snapshot.json that does not read is an error
    naming it (StoreError, one line): a timeline with a silent hole would mislead."""
    root = snapshots_root(results_dir)
    if not root.is_dir():
        return []
    out = []
    for meta in sorted(root.glob(f"*/{META}")):
        try:
            snap = EpochSnapshot.model_validate_json(meta.read_text(encoding="utf-8"))
        except (OSError, ValueError, ValidationError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"{meta}: not a readable Epoch snapshot ({detail})") from None
        if snap.id != meta.parent.name or not (meta.parent / KEPT_DUMP).is_file():
            raise StoreError(f"{meta}: snapshot folder and its dump do not match")
        out.append(snap)
    return sorted(out, key=EpochSnapshot.order)


def latest_snapshot(results_dir: Path) -> EpochSnapshot | None:
    snaps = list_snapshots(results_dir)
    return snaps[-1] if snaps else None


def find_snapshot(results_dir: Path, ref: str | EpochSnapshot) -> EpochSnapshot:
    """A snapshot by id (a unique prefix of it, or of its sha256) or as listed."""
    if isinstance(ref, EpochSnapshot):
        return ref
    hits = [s for s in list_snapshots(results_dir) if s.sha256.startswith(ref)]
    if len(hits) != 1:
        known = ", ".join(s.id for s in list_snapshots(results_dir)) or "none"
        what = "matches several" if hits else "is not"
        raise ConfigError(
            snapshots_root(results_dir), None, f"'{ref}' {what} an Epoch snapshot (known: {known})"
        )
    return hits[0]


def snapshot_dump(results_dir: Path, ref: str | EpochSnapshot) -> Path:
    """The kept dump (a zip) of a snapshot."""
    snap = find_snapshot(results_dir, ref)
    return snapshots_root(results_dir) / snap.id / KEPT_DUMP


def snapshot_records(results_dir: Path, ref: str | EpochSnapshot) -> list[SampleRecord]:
    """A snapshot's rows as the importer makes them (today's mapping)."""
    from harness.store.importers.epoch import collect_epoch

    return collect_epoch(snapshot_dump(results_dir, ref)).records


def records_frame(records: Sequence[SampleRecord]) -> pd.DataFrame:
    """Records in the columns and dtypes `Store.samples()` returns."""
    schema = SCHEMAS["samples"]
    tbl = samples_table(records).select(schema.names).cast(schema)
    dtypes = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    return tbl.to_pandas(date_as_object=False, types_mapper=dtypes.get)


def snapshot_frame(results_dir: Path, ref: str | EpochSnapshot) -> pd.DataFrame:
    """One snapshot's rows, as `Store.samples(source="imported:epoch")` would hold them had
    that dump been the only one imported: the analysis's input for one point per refresh."""
    return records_frame(snapshot_records(results_dir, ref))


def keep_snapshot(results_dir: Path, dump: Path, snap: EpochSnapshot) -> EpochSnapshot:
    """Copy the dump into its snapshot folder (a folder is zipped), then write snapshot.json
    atomically, last: a snapshot is listed only once its dump is complete."""
    folder = snapshots_root(results_dir) / snap.id
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkstemp(prefix=".dump-", dir=folder)[1])
    try:
        if dump.is_dir():
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(p for p in dump.rglob("*") if p.is_file()):
                    zf.write(path, path.relative_to(dump).as_posix())
        else:
            shutil.copyfile(dump, tmp)
        tmp.replace(folder / KEPT_DUMP)
    finally:
        tmp.unlink(missing_ok=True)
    write_text_atomic(folder / META, snap.model_dump_json(indent=2) + "\n")
    return snap


def current_changes(
    stored: pd.DataFrame, records: Sequence[SampleRecord], version: str, snapshot_id: str
) -> tuple[list[SampleRecord], int, int]:
    """What makes the store's Epoch rows those of a newer dump: (records to write, how many
    of them withdraw a row, how many replace a stored key).

    `stored` is `Store.samples(source="imported:epoch")` (newest attempt per key); `records`
    the new dump's rows. Rows of earlier dumps missing from it become withdrawn rows (status
    error, the dump's version), unless already withdrawn that way."""
    by_key = {r.sample_key: r for r in records}
    targets = list(by_key.values())
    for row in stored.to_dict("records"):
        if row["sample_key"] not in by_key:
            targets.append(_withdrawn(row, version, snapshot_id))
    if stored.empty:
        return targets, 0, 0
    new = records_frame(targets).set_index("sample_key")[list(COMPARED)]
    old = stored.drop_duplicates("sample_key").set_index("sample_key")[list(COMPARED)]
    common = new.index.intersection(old.index)
    same = _equal_rows(new.loc[common], old.loc[common])
    unchanged = set(common[same])
    changed = [t for t in targets if t.sample_key not in unchanged]
    withdrawn_written = sum(1 for t in changed if t.status == "error")
    replaced = sum(1 for t in changed if t.sample_key in old.index)
    return changed, withdrawn_written, replaced


def _equal_rows(a: pd.DataFrame, b: pd.DataFrame) -> pd.Series:
    """Row-wise equality, nulls equal to nulls (a missing score is a missing score)."""
    b = b.loc[a.index]
    equal = pd.Series(True, index=a.index)
    for col in a.columns:
        x, y = a[col].astype(object), b[col].astype(object)
        both_null = x.isna() & y.isna()
        equal &= both_null | (x == y).fillna(False).astype(bool)
    return equal


def _withdrawn(row: dict[str, object], version: str, snapshot_id: str) -> SampleRecord:
    extra_text = row.get("extra")
    extra = json.loads(extra_text) if isinstance(extra_text, str) and extra_text else {}
    released = row.get("release_date")
    day = None if released is None or pd.isna(released) else pd.Timestamp(released).date()
    return imported_record(
        name=NAME,
        run_id=str(row["run_id"]),
        model_id=str(row["model_id"]),
        access=row["access"],  # type: ignore[arg-type]
        release_date=day,
        suite=str(row["suite"]),
        suite_version=version,
        kind=row["kind"],  # type: ignore[arg-type]
        task=str(row["task"]),
        sample_id=str(row["sample_id"]),
        epoch=int(row["epoch"]),  # type: ignore[call-overload]
        status="error",
        engine="external",
        engine_version=version,
        extra={str(k): str(v) for k, v in extra.items()},
        error=f"withdrawn: not in Epoch hub dump {version} (snapshot {snapshot_id})",
    )


__all__ = [
    "EpochSnapshot",
    "current_changes",
    "find_snapshot",
    "latest_snapshot",
    "list_snapshots",
    "snapshot_dump",
    "snapshot_frame",
    "snapshot_records",
    "snapshots_root",
]
