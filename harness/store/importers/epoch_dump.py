"""An Epoch AI hub dump as files: a folder or Epoch's benchmark_data.zip (its files at the
root or in one sub-folder), and what identifies and dates it (for snapshots)."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from harness.errors import ConfigError
from harness.store.importers._common import parse_date

INDEX_FILE = "epoch_capabilities_index.csv"


class Dump:
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

    def files(self) -> dict[str, bytes]:
        """Every file of the dump (name relative to the dump's root: bytes)."""
        if self._zip is not None:
            return {
                info.filename[len(self._prefix) :]: self._zip.read(info)
                for info in self._zip.infolist()
                if info.filename.startswith(self._prefix) and not info.is_dir()
            }
        return {
            p.relative_to(self._dir).as_posix(): p.read_bytes()
            for p in sorted(self._dir.rglob("*"))
            if p.is_file()
        }

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


def dump_version(dump: Dump) -> str:
    """'epoch-hub-2026-04' from the dump README's BibTeX (year, month); 'epoch-hub' if absent."""
    readme = dump.read_text("README.md") or ""
    year = re.search(r"year\s*=\s*\{(\d{4})\}", readme)
    month = re.search(r"month\s*=\s*\{(\d{1,2})\}", readme)
    if year and month:
        return f"epoch-hub-{year.group(1)}-{int(month.group(1)):02d}"
    return "epoch-hub"


def content_sha256(files: dict[str, bytes]) -> str:
    """sha256 over (name, bytes) of every file, in name order: the same for a zip and the
    same files unpacked."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def data_as_of(started_at: Sequence[object], release_dates: Sequence[object]) -> date | None:
    """The dump's own date: its newest run start, else its newest model release."""
    for values in (started_at, release_dates):
        dates = [d for d in (parse_date(v) for v in values) if d is not None]
        if dates:
            return max(dates)
    return None


@dataclass(frozen=True)
class DumpFacts:
    """What identifies a dump and dates it (see epoch_snapshots)."""

    sha256: str
    version: str
    data_as_of: date | None


def describe_dump(path: Path) -> DumpFacts:
    """The dump's content sha256, its version (README month) and its own newest date."""
    dump = Dump(Path(path))
    try:
        files = dump.files()
        started: list[object] = []
        for name in sorted(files):
            if not name.endswith(".csv") or name.rsplit("/", 1)[-1] == INDEX_FILE:
                continue
            header = files[name].split(b"\n", 1)[0]
            if b"Started at" in header:
                started += dump.csv(name, ("Started at",))["Started at"].tolist()
        index = dump.csv(INDEX_FILE, ("Release date",))
        return DumpFacts(
            sha256=content_sha256(files),
            version=dump_version(dump),
            data_as_of=data_as_of(started, index["Release date"].tolist()),
        )
    finally:
        dump.close()
