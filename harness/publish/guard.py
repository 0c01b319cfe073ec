"""Nothing secret leaves through `publish`: the store and the site are scanned first.

Secrets are masked where bytes enter the store or a log (harness/secrets.py), so a clean
store is the normal case; this is the check that it held. Before anything is copied, committed
or uploaded, `publish` scans
- the store it publishes from (harness.store.secret_scan.scan_store: every table's text and
  every raw file), and
- the site itself, every file of it, walked without following a link: text as UTF-8 (and as
  UTF-16 when it holds NUL bytes), zip archives (inspect's .eval logs, or any file whose bytes
  are a zip) member by member, gzip/bzip2/xz streams decompressed, nested archives too,
for the values of the key variables named by the registry's deployments (and any *_API_KEY,
*_TOKEN, *_SECRET set now; also URL-encoded and with '/' JSON-escaped) and for key shapes
(harness.secrets.find_secrets). One finding refuses the publish with one line (UserError,
exit 2) that names the file and the kind of secret, never the value, and says how to clean it
(`gapbench results --scrub`, then render the report again). What the scan cannot read whole
refuses the publish too, as unchecked: a symbolic link or special file in the site (the copy
would follow it to any file), a member in a compression Python cannot read, a CRC that lies,
a file or member over MAX_SCAN_BYTES, a decompression bomb.
"""

from __future__ import annotations

import bz2
import lzma
import os
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from harness.errors import UserError
from harness.secrets import MAX_SCAN_BYTES, find_secrets, secret_values
from harness.store.rawpaths import readable_zip_methods

# Compressed content is scanned decompressed, so a key cannot hide in it: zip archives
# (inspect's .eval logs; found by their bytes, whatever the name) member by member, and gzip,
# bzip2 and xz streams, nested up to MAX_DEPTH; what cannot be read whole (a member too large,
# an unknown compression, encryption, a corrupt archive) is a finding too: unchecked is not
# clean.
MAX_DEPTH = 3
_ZIP = b"PK\x03\x04"
_EMPTY_ZIP = b"PK\x05\x06"
_STREAMS = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
_OTHER_COMPRESSED = (b"\x28\xb5\x2f\xfd", b"7z\xbc\xaf\x27\x1c", b"Rar!")  # zstd, 7z, rar
UNCHECKED = "cannot be checked"
LINK = "a symbolic link"
SPECIAL = "not a regular file"


@dataclass(frozen=True)
class Finding:
    where: str  # a file of the site (with the member of a zip in it), or a store finding
    kinds: tuple[str, ...]

    def line(self) -> str:
        return f"{self.where} ({', '.join(self.kinds)})" if self.kinds else self.where


def variants(values: Iterable[str]) -> tuple[str, ...]:
    """Each key value as it may be written by others: as is, URL-encoded (a key in a query
    string or a form body) and with '/' JSON-escaped ('\\/', as PHP and some gateways write
    JSON)."""
    out: dict[str, None] = {}
    for v in values:
        for form in (v, quote(v, safe=""), v.replace("/", "\\/")):
            out[form] = None
    return tuple(out)


def scan_site(site: Path, values: tuple[str, ...] | None = None) -> list[Finding]:
    """Every file below `site` that holds a secret, or that cannot be checked: the scan walks
    without following a link; a link, fifo or device is a finding (a copy would follow it);
    compressed content is read decompressed (zip members, gzip, bzip2, xz; nested); text is
    read as UTF-8 and, when it holds NUL bytes, as UTF-16 too."""
    values = variants(secret_values() if values is None else values)
    found: dict[str, list[str]] = {}
    root = Path(site)
    for folder, dirs, names in os.walk(root, followlinks=False):
        dirs.sort()
        for name in [*sorted(names), *(d for d in dirs if (Path(folder) / d).is_symlink())]:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                _add(found, rel, LINK)
                continue
            if not stat.S_ISREG(st.st_mode):
                _add(found, rel, SPECIAL)
                continue
            if st.st_size > MAX_SCAN_BYTES:
                _add(found, rel, f"{UNCHECKED}: {st.st_size:,} bytes")
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                _add(found, rel, f"{UNCHECKED}: {exc.strerror}")
                continue
            for where, kind in _scan_blob(rel, data, values, 0):
                _add(found, where, kind)
    return [Finding(where, tuple(kinds)) for where, kinds in found.items()]


def _add(found: dict[str, list[str]], where: str, kind: str) -> None:
    kinds = found.setdefault(where, [])
    if kind not in kinds:
        kinds.append(kind)


def _scan_blob(
    where: str, data: bytes, values: tuple[str, ...], depth: int
) -> Iterator[tuple[str, str]]:
    """(where, kind) for each secret in `data`, or each part of it that cannot be read."""
    head = data[:8]
    if head.startswith((_ZIP, _EMPTY_ZIP)):
        yield from _scan_zip(where, data, values, depth)
        return
    if _zip_inside(data):  # a zip after other bytes (unzip reads it): its members too
        yield from (f for f in _scan_zip(where, data, values, depth) if UNCHECKED not in f[1])
    for magic, name in _STREAMS.items():
        if head.startswith(magic):
            if depth >= MAX_DEPTH:
                yield where, f"{UNCHECKED}: {name} nested too deeply"
                return
            try:
                inner = _bounded(name, data)
            except Exception as exc:  # corrupt, truncated or too large: not checked
                yield where, f"{UNCHECKED}: {name} ({type(exc).__name__})"
                return
            yield from _scan_blob(where, inner, values, depth + 1)
            return
    if head.startswith(_OTHER_COMPRESSED):
        yield where, f"{UNCHECKED}: compressed"
        return
    texts = [data.decode("utf-8", "replace")]
    if b"\x00" in data:  # UTF-16 text holds a key as k\0e\0y\0: read it so too
        texts += [data.decode(enc, "replace") for enc in ("utf-16-le", "utf-16-be")]
        texts += [data[1:].decode(enc, "replace") for enc in ("utf-16-le", "utf-16-be")]
    for text in texts:
        for kind in find_secrets(text, values):
            yield where, kind


def _zip_inside(data: bytes) -> bool:
    import io

    return b"PK\x05\x06" in data[-65_600:] and zipfile.is_zipfile(io.BytesIO(data))


def _bounded(name: str, data: bytes) -> bytes:
    """Decompress at most MAX_SCAN_BYTES (a bomb stops there: ValueError), every member of a
    multi-member stream."""
    out = bytearray()
    rest = data
    while rest:
        d: Any
        if name == "gzip":
            d = zlib.decompressobj(wbits=31)
        elif name == "bzip2":
            d = bz2.BZ2Decompressor()
        else:
            d = lzma.LZMADecompressor()
        out += d.decompress(rest, MAX_SCAN_BYTES + 1 - len(out))
        if len(out) > MAX_SCAN_BYTES or (name != "gzip" and not d.needs_input and not d.eof):
            raise ValueError("too large")
        if name == "gzip" and d.unconsumed_tail:
            raise ValueError("too large")
        if not d.eof:
            raise EOFError("truncated")
        rest = d.unused_data
    return bytes(out)


def _scan_zip(
    where: str, data: bytes, values: tuple[str, ...], depth: int
) -> Iterator[tuple[str, str]]:
    import io

    if depth >= MAX_DEPTH:
        yield where, f"{UNCHECKED}: archive nested too deeply"
        return
    readable = readable_zip_methods()  # zstd too: inspect's .eval logs
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # a zip's magic but not a zip Python reads
        yield where, f"{UNCHECKED}: not a readable zip ({type(exc).__name__})"
        return
    with zf:
        for info in zf.infolist():
            member = f"{where}:{info.filename}"
            if info.is_dir():
                continue
            if info.compress_type not in readable or info.flag_bits & 0x1:
                yield member, f"{UNCHECKED}: compression {info.compress_type} or encrypted"
                continue
            if info.file_size > MAX_SCAN_BYTES:
                yield member, f"{UNCHECKED}: {info.file_size:,} bytes"
                continue
            try:
                inner = zf.read(info)
            except Exception as exc:  # a bad CRC, a size that lies, a truncated member
                yield member, f"{UNCHECKED}: {type(exc).__name__}"
                continue
            yield from _scan_blob(member, inner, values, depth + 1)


def refuse_secrets(
    *,
    site: Path | None = None,
    results_dir: Path | None = None,
    key_env_names: Iterable[str] = (),
) -> None:
    """UserError (one line, exit 2) when the store or the site holds a secret, or the site
    holds something the scan cannot check (a link, an archive it cannot read); else nothing."""
    values = secret_values(key_env_names)
    # teaches zipfile zstd first, so the store scan below reads inspect's .eval logs too
    readable_zip_methods()
    if results_dir is not None and Path(results_dir).is_dir():
        from harness.store.secret_scan import scan_store

        found = [Finding(str(f), ()) for f in scan_store(Path(results_dir), variants(values))]
        if found:
            raise UserError(
                f"publish: refused: the store {results_dir} holds {_count(found)}: "
                f"{found[0].where}{_more(found)}; `gapbench results --scrub` masks them"
            )
    if site is not None:
        found = scan_site(site, values)
        secrets = [f for f in found if any(not _unchecked(k) for k in f.kinds)]
        if secrets:
            raise UserError(
                f"publish: refused: the report {site} holds {_count(secrets)}: "
                f"{secrets[0].line()}{_more(secrets)}; clean the store (`gapbench results "
                "--scrub`) and render the report again"
            )
        if found:
            raise UserError(
                f"publish: refused: the report {site} holds {len(found)} "
                f"{'file' if len(found) == 1 else 'files'} that cannot be checked for "
                f"secrets: {found[0].line()}{_more(found)}; render the report again "
                "(`gapbench report`)"
            )


def _unchecked(kind: str) -> bool:
    return kind.startswith(UNCHECKED) or kind in (LINK, SPECIAL)


def _count(found: list[Finding]) -> str:
    return "a secret" if len(found) == 1 else f"secrets in {len(found)} places"


def _more(found: list[Finding]) -> str:
    return f" and {len(found) - 1} more" if len(found) > 1 else ""
