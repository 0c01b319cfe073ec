"""Secrets in a results folder: mask them as rows are written, find them, scrub old ones.

- `mask_table(tbl)`: the store's writes call it (samples, transcripts, run records), so a key
  an upstream echoed into an error, a traceback or a transcript is masked before it is ever
  written (harness/secrets.py says what is masked and how).
- `scan_store(results_dir)`: every place under a results folder that still holds a secret:
  each Parquet file's text columns (nested transcript messages included), every other file
  (raw engine logs, ledgers, server logs; zip members of inspect .eval logs decompressed).
  A finding names the file, the column or member, and the kind, never the value.
  `gapbench results --check` lists them; `gapbench publish` refuses a store with any.
- `scrub_store(results_dir)`: rewrites what `scan_store` would find, masked, each file
  atomically, keeping everything else (rows, columns, types, file names, metadata); refuses
  while a sweep runs on the folder (a writer could race the rewrite).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from harness.errors import UserError
from harness.secrets import ANY_SHAPE, find_in_file, find_secrets, mask, mask_file, secret_values
from harness.store.files import INTERNAL_DIR, fsync_dir, tmp_dir, write_temp
from harness.store.liveness import LOCKS_DIR
from harness.store.rawpaths import readable_zip_methods

_ANY = "(?i)" + ANY_SHAPE


@dataclass(frozen=True)
class SecretFinding:
    """One secret left in a store: where it is and what kind it is (never the value)."""

    file: str  # relative to the results folder
    where: str  # "<table>.<column>" for Parquet files, an archive's member, or "" (the file)
    kind: str  # key-value, a shape's kind (harness.secrets.SHAPES), or "cannot be checked: ..."

    def __str__(self) -> str:
        place = f"{self.file} [{self.where}]" if self.where else self.file
        return f"{place}: {self.kind}"


@dataclass(frozen=True)
class ScrubSummary:
    cells: int  # table cells rewritten masked
    parquet_files: int  # Parquet files rewritten
    other_files: int  # raw logs, ledgers, ... rewritten

    def line(self, root: Path) -> str:
        if not (self.cells or self.other_files):
            return f"{root}: no secrets found; nothing changed"
        return (
            f"{root}: masked {self.cells} cells in {self.parquet_files} table files and "
            f"{self.other_files} other files"
        )


# --- masking Arrow tables ---------------------------------------------------------------


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def _is_textlike(t: pa.DataType) -> bool:
    """Text stored otherwise: dictionary-encoded strings, raw bytes (a store may come from
    someone else's writer: every place a cell can hold text is read)."""
    if pa.types.is_dictionary(t):
        return _is_text(t.value_type) or _is_binary(t.value_type)
    return _is_binary(t)


def _is_binary(t: pa.DataType) -> bool:
    return pa.types.is_binary(t) or pa.types.is_large_binary(t)


def _as_text(col: pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    """A dictionary or binary column's cells as strings (bytes decoded as UTF-8, bad bytes
    replaced), for searching."""
    if pa.types.is_dictionary(col.type):
        col = pc.cast(col, col.type.value_type)
    if _is_binary(col.type):
        return pa.array(
            [None if b is None else b.decode("utf-8", "replace") for b in col.to_pylist()],
            pa.large_string(),
        )
    return col


def _restore(cells: list[Any], col: pa.ChunkedArray) -> pa.Array:
    """Masked strings back into the column's own type (dictionary, binary or text)."""
    value_type = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if _is_binary(value_type):
        cells = [None if c is None else c.encode("utf-8", "surrogateescape") for c in cells]
    out = pa.array(cells, value_type)
    return out.dictionary_encode().cast(col.type) if pa.types.is_dictionary(col.type) else out


def _is_nested(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_struct(t) or pa.types.is_large_list(t)


def _candidates(col: pa.ChunkedArray | pa.Array, values: tuple[str, ...]) -> pa.Array:
    """Rows whose text may hold a secret (vectorised, RE2): the few worth a Python look.
    A large column of few distinct values (snapshot names, import metadata) is searched
    once per value."""
    if len(col) > _DISTINCT_FROM:
        distinct = pc.unique(col)
        if len(distinct) * 4 < len(col):
            suspect = distinct.filter(_matches(distinct, values))
            if not len(suspect):
                return pa.nulls(len(col), pa.bool_()).fill_null(False)
            return pc.fill_null(pc.is_in(col, suspect), False)
    return _matches(col, values)


_DISTINCT_FROM = 50_000


def _matches(col: pa.ChunkedArray | pa.Array, values: tuple[str, ...]) -> pa.Array:
    hit = pc.match_substring_regex(col, _ANY)
    for value in values:
        hit = pc.or_(hit, pc.match_substring(col, value))
    return pc.fill_null(hit, False)


def _walk(value: Any, values: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return mask(value, values)
    if isinstance(value, list):
        return [_walk(v, values) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, values) for k, v in value.items()}
    return value


def _mask_column(
    col: pa.ChunkedArray, values: tuple[str, ...]
) -> tuple[pa.ChunkedArray | pa.Array, int]:
    if _is_text(col.type):
        hits = _candidates(col, values)
        if not pc.any(hits).as_py():
            return col, 0
        cells = col.to_pylist()
        changed = 0
        for i in pc.indices_nonzero(hits).to_pylist():
            masked = mask(cells[i], values)
            if masked != cells[i]:
                cells[i] = masked
                changed += 1
        return (pa.array(cells, col.type), changed) if changed else (col, 0)
    if _is_textlike(col.type):
        dictionary = pa.types.is_dictionary(col.type)
        value_type = col.type.value_type if dictionary else col.type
        raw = (pc.cast(col, value_type) if dictionary else col).to_pylist()
        binary = _is_binary(value_type)
        texts = [c.decode("utf-8", "surrogateescape") if binary and c else c for c in raw]
        masked_texts = [mask(c, values) if c else c for c in texts]
        changed = sum(a != b for a, b in zip(texts, masked_texts, strict=True))
        return (_restore(masked_texts, col), changed) if changed else (col, 0)
    if _is_nested(col.type):
        rows = col.to_pylist()
        masked_rows = [_walk(r, values) for r in rows]
        changed = sum(a != b for a, b in zip(rows, masked_rows, strict=True))
        return (pa.array(masked_rows, col.type), changed) if changed else (col, 0)
    return col, 0


def mask_table(
    tbl: pa.Table, values: Iterable[str] | None = None, columns: Iterable[str] | None = None
) -> tuple[pa.Table, int]:
    """`tbl` with secrets masked in its text (and nested) columns, or in `columns`; (the
    table, how many cells changed). Schema and metadata are kept."""
    vals = tuple(secret_values() if values is None else values)
    wanted = set(tbl.column_names if columns is None else columns)
    changed = 0
    for i, name in enumerate(tbl.column_names):
        if name not in wanted:
            continue
        col, n = _mask_column(tbl.column(i), vals)
        if n:
            tbl = tbl.set_column(i, tbl.schema.field(i), col)
            changed += n
    return tbl, changed


# --- scanning ---------------------------------------------------------------------------


def _files(root: Path) -> Iterator[Path]:
    """Every regular file under the results folder worth a look (links not followed; lock
    files and temp files are not data)."""
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        parts = path.relative_to(root).parts
        if parts[0] == LOCKS_DIR or (parts[0] == INTERNAL_DIR and "staging" not in parts):
            continue
        yield path


def _table_name(path: Path) -> str:
    try:
        meta = pq.read_schema(path).metadata or {}
    except Exception:
        return "parquet"
    return (meta.get(b"gapbench_table") or b"parquet").decode("utf-8", "replace")


def _scan_parquet(path: Path, rel: str, values: tuple[str, ...]) -> list[SecretFinding]:
    tbl = pq.read_table(path, partitioning=None)
    table = _table_name(path)
    out = _scan_metadata(tbl.schema, rel, table, values)
    for name in tbl.column_names:
        col = tbl.column(name)
        kinds: list[str] = []
        if _is_text(col.type) or _is_textlike(col.type):
            text_col = _as_text(col)
            hits = _candidates(text_col, values)
            if not pc.any(hits).as_py():
                continue
            cells = pc.filter(text_col, hits).to_pylist()
            texts: Iterable[str] = (c for c in cells if c)
        elif _is_nested(col.type):
            texts = (str(r) for r in col.to_pylist() if r)
        else:
            continue
        for text in texts:
            for kind in find_secrets(text, values):
                if kind not in kinds:
                    kinds.append(kind)
        out += [SecretFinding(rel, f"{table}.{name}", kind) for kind in kinds]
    return out


def _metadata_items(schema: pa.Schema) -> Iterator[tuple[str, bytes, bytes]]:
    """(where, key, value) of the file's and each field's key-value metadata."""
    for key, value in (schema.metadata or {}).items():
        yield "metadata", key, value
    for field in schema:
        for key, value in (field.metadata or {}).items():
            yield f"{field.name}.metadata", key, value


def _scan_metadata(
    schema: pa.Schema, rel: str, table: str, values: tuple[str, ...]
) -> list[SecretFinding]:
    out: list[SecretFinding] = []
    for where, key, value in _metadata_items(schema):
        text = f"{key.decode('utf-8', 'replace')}: {value.decode('utf-8', 'replace')}"
        for kind in find_secrets(text, values):
            finding = SecretFinding(rel, f"{table}.{where}", kind)
            if finding not in out:
                out.append(finding)
    return out


def _masked_metadata(schema: pa.Schema, values: tuple[str, ...]) -> tuple[pa.Schema, int]:
    """The schema with secrets in its metadata (file and fields) masked; how many values."""
    changed = 0

    def clean(meta: dict[bytes, bytes] | None) -> dict[bytes, bytes] | None:
        nonlocal changed
        if not meta:
            return meta
        out = {}
        for key, value in meta.items():
            text = value.decode("utf-8", "surrogateescape")
            masked = mask(text, values)
            changed += masked != text
            out[key] = masked.encode("utf-8", "surrogateescape")
        return out

    fields = [f.with_metadata(clean(f.metadata)) if f.metadata else f for f in schema]
    return pa.schema(fields, metadata=clean(schema.metadata)), changed


def scan_store(results_dir: Path, values: Iterable[str] | None = None) -> list[SecretFinding]:
    """Every secret left under `results_dir` (file, column or member, kind); [] when clean.

    values: the key values to look for (default: `harness.secrets.secret_values()`: the key
    variables deployments name, registered in this process, plus *_API_KEY and the like)."""
    root = Path(results_dir)
    if not root.is_dir():
        return []
    readable_zip_methods()  # zstd members (inspect's .eval logs) read as inspect writes them
    vals = tuple(secret_values() if values is None else values)
    findings: list[SecretFinding] = []
    for path in _files(root):
        rel = path.relative_to(root).as_posix()
        try:
            if path.suffix == ".parquet":
                findings += _scan_parquet(path, rel, vals)
                continue
        except Exception:  # not readable as Parquet: look at its bytes as they are
            pass
        try:
            findings += [SecretFinding(rel, w, k) for w, k in find_in_file(path, vals)]
        except (OSError, ValueError, RuntimeError):
            continue  # vanished meanwhile, or an archive that cannot be read
        except Exception:  # a damaged archive: its bytes as they are
            findings += [
                SecretFinding(rel, "", k)
                for k in find_secrets(path.read_bytes().decode("utf-8", "replace"), vals)
            ]
    return findings


# --- scrubbing --------------------------------------------------------------------------


def _running_sweeps(root: Path) -> list[str]:
    locks = root / LOCKS_DIR
    busy = []
    for lock in sorted(locks.glob("*.lock")) if locks.is_dir() else []:
        fd = os.open(lock, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
        except BlockingIOError:
            busy.append(lock.stem)
        finally:
            os.close(fd)
    return busy


def _rewrite_parquet(path: Path, root: Path, values: tuple[str, ...]) -> int:
    tbl = pq.read_table(path, partitioning=None)
    masked, n = mask_table(tbl, values)
    schema, n_meta = _masked_metadata(masked.schema, values)
    if n_meta:
        masked = masked.cast(schema)
        n += n_meta
    if not n:
        return 0
    tmp = write_temp(masked, tmp_dir(root))
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return n


def scrub_store(results_dir: Path, values: Iterable[str] | None = None) -> ScrubSummary:
    """Mask every secret `scan_store` finds, in place; what changed. UserError (exit 2)
    while a sweep runs on the folder."""
    root = Path(results_dir)
    if not root.is_dir():
        raise UserError(f"{root}: no such results folder")
    busy = _running_sweeps(root)
    if busy:
        raise UserError(
            f"{root}: sweep {busy[0]} is running on this folder; scrub when it has finished"
        )
    readable_zip_methods()
    vals = tuple(secret_values() if values is None else values)
    cells = parquet_files = other = 0
    for path in _files(root):
        if path.suffix == ".parquet":
            try:
                n = _rewrite_parquet(path, root, vals)
            except FileNotFoundError:
                continue
            except Exception:  # not a readable Parquet file: mask its bytes instead
                n = 0
                other += mask_file(path, vals) > 0
            cells += n
            parquet_files += n > 0
            continue
        try:
            other += mask_file(path, vals) > 0
        except (OSError, ValueError, RuntimeError):
            continue
        except Exception:
            continue  # a damaged archive: left for the user (scan_store still lists it)
    return ScrubSummary(cells, parquet_files, other)
