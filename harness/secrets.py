"""Secrets never cross into storage: one masker for every place bytes enter the store or a log.

Two things are masked:
- the VALUES of key variables: every environment variable a deployment names as its key
  (`api_key_env`, or the provider default OPENAI_API_KEY / ANTHROPIC_API_KEY; the executor
  registers them with `register_key_names`, which child processes inherit) plus any variable
  whose name ends in _API_KEY, _TOKEN, _SECRET or _ACCESS_KEY, as long as the value is long
  enough to be a key (short values such as "x" or "EMPTY" would mask ordinary words);
- common key SHAPES whatever their source (an upstream may echo a key gapbench never saw):
  `sk-...`, `sk-ant-...`, `Bearer <token>`, `Authorization:` / `x-api-key:` header values,
  Hugging Face `hf_...` tokens.

A masked secret reads `[masked:<kind>]`, so a reader still sees that a key was there. Masks
never contain a quote or a backslash and shapes never swallow one, so masking JSON text
keeps it valid JSON. `find_secrets` reports the kinds found (for `results --check`,
`publish` and tests), never the values themselves.

Where it is applied (each where bytes ENTER, so nothing later has to remember): the request
path's answers to the engines (serve/proxy/app.py: error bodies fully, every body for key
values), the store's writes (samples, transcripts, run records), raw engine files after each
unit (`mask_file`: text files and the zip members of inspect .eval logs), managed servers'
logs, the ledger. `gapbench results --check` scans a store and `--scrub` cleans an old one
(store/secret_scan.py).

This is a leaf module (no harness imports).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

# Values shorter than this are not treated as secrets even when a key variable holds them:
# local servers are often given api_key="EMPTY" or "x".
MIN_SECRET_LEN = 8

# Names of variables whose values are secrets, beyond the ones deployments name.
_SECRET_NAME = re.compile(r"(?:_API_KEY|_TOKEN|_SECRET|_ACCESS_KEY)$")

# The key variables the registry's deployments name, handed down to child processes (the
# request path, shard workers) in the environment: names only, never values.
NAMES_ENV = "GAPBENCH_SECRET_ENV_NAMES"

MASK_PREFIX = "[masked:"


@dataclass(frozen=True)
class Shape:
    kind: str
    pattern: re.Pattern[str]
    # The regex group holding the secret itself (0 = the whole match); the rest is kept, so
    # "Authorization: Bearer abc" becomes "Authorization: Bearer [masked:bearer]".
    group: int = 0


# Token characters never include a quote or a backslash: a shape found inside JSON text
# (an error body, an escaped string) then never takes the escape that ends its string.
_TOKEN = r"[A-Za-z0-9._~+/=\-]"

SHAPES: tuple[Shape, ...] = (
    Shape("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")),
    Shape("openai-key", re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}")),
    Shape("hf-token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    Shape("bearer", re.compile(rf"(?i)\bbearer\s+({_TOKEN}{{8,}})"), group=1),
    Shape(
        "auth-header",
        re.compile(
            r"(?i)\b(?:authorization|x-api-key|api-key|x-goog-api-key)(?:\\?[\"'])?\s*[:=]\s*"
            r"(?:\\?[\"'])?(?:bearer\s+|basic\s+)?([^\s\"',}\\]{8,})"
        ),
        group=1,
    ),
)

# One pattern for a quick "could anything be here?" test (also in RE2 syntax: pyarrow's
# match_substring_regex uses it to find the few cells worth masking in a large table).
ANY_SHAPE = "|".join(f"(?:{s.pattern.pattern.removeprefix('(?i)')})" for s in SHAPES)
_ANY = re.compile(ANY_SHAPE, re.IGNORECASE)


def register_key_names(names: Iterable[str | None]) -> None:
    """Remember key variable names (a registry's deployments) for this process and its
    children: their values are masked wherever `secret_values()` is asked."""
    known = set(filter(None, os.environ.get(NAMES_ENV, "").split(",")))
    new = known | {n for n in names if n}
    if new != known:
        os.environ[NAMES_ENV] = ",".join(sorted(new))


def secret_env_names(extra: Iterable[str] = ()) -> set[str]:
    """Environment variable names whose values are secrets: `extra`, the registered key
    variables, the provider defaults and every *_API_KEY / *_TOKEN / *_SECRET set now."""
    names = {n for n in extra if n}
    names |= {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN"}
    names |= set(filter(None, os.environ.get(NAMES_ENV, "").split(",")))
    names |= {n for n in os.environ if _SECRET_NAME.search(n)}
    return names


def secret_values(
    extra_names: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The values to mask, longest first (so a key that contains another is masked whole)."""
    source = os.environ if env is None else env
    values = {
        source[n].strip()
        for n in secret_env_names(extra_names)
        if len(source.get(n, "").strip()) >= MIN_SECRET_LEN
    }
    return tuple(sorted(values, key=len, reverse=True))


def _values(values: Iterable[str] | None) -> tuple[str, ...]:
    given = secret_values() if values is None else values
    return tuple(v for v in given if v and len(v) >= MIN_SECRET_LEN)


def mask_values(text: str, values: Iterable[str] | None = None) -> str:
    """`text` with every known key value replaced (no shapes: for model answers, whose text
    may legitimately look like a key, e.g. a code sample with "sk-...")."""
    if not text:
        return text
    for value in _values(values):
        if value in text:
            text = text.replace(value, "[masked:key-value]")
    return text


def mask(text: str, values: Iterable[str] | None = None) -> str:
    """`text` with every known key value and every key shape replaced by `[masked:<kind>]`.

    `values`: the secret values to mask (default: `secret_values()` from the environment now).
    Idempotent: masking masked text changes nothing."""
    if not text:
        return text
    text = mask_values(text, values)
    if not _ANY.search(text):
        return text
    for shape in SHAPES:
        text = _mask_shape(text, shape)
    return text


def mask_bytes(data: bytes, values: Iterable[str] | None = None, *, shapes: bool = True) -> bytes:
    """`mask` for UTF-8 bytes (undecodable bytes are kept as they are)."""
    if not data:
        return data
    vals = _values(values)
    if not any(v.encode() in data for v in vals) and not (shapes and _ANY.search(_peek(data))):
        return data
    text = data.decode("utf-8", "surrogateescape")
    out = mask(text, vals) if shapes else mask_values(text, vals)
    return out.encode("utf-8", "surrogateescape")


def _peek(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _mask_shape(text: str, shape: Shape) -> str:
    def repl(m: re.Match[str]) -> str:
        secret = m.group(shape.group)
        if secret.startswith(MASK_PREFIX):
            return m.group(0)
        start, end = m.span(shape.group)
        whole_start = m.start()
        return (
            m.group(0)[: start - whole_start]
            + f"[masked:{shape.kind}]"
            + m.group(0)[end - whole_start :]
        )

    return shape.pattern.sub(repl, text)


def find_secrets(text: str, values: Iterable[str] | None = None) -> list[str]:
    """The kinds of secret present in `text` (empty when clean). Never returns the values."""
    if not text:
        return []
    found: list[str] = []
    if any(value in text for value in _values(values)):
        found.append("key-value")
    if not _ANY.search(text):
        return found
    for shape in SHAPES:
        for m in shape.pattern.finditer(text):
            if not m.group(shape.group).startswith(MASK_PREFIX):
                found.append(shape.kind)
                break
    return found


# --- files ---------------------------------------------------------------------------------

# Archives whose members are text gapbench (or an engine) wrote: inspect's .eval logs.
ZIP_SUFFIXES = (".eval", ".zip")
MAX_SCAN_BYTES = 512 * 1024 * 1024  # a file larger than this is not read whole


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() in ZIP_SUFFIXES and zipfile.is_zipfile(path)


def find_in_file(path: Path, values: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(where, kind) of each secret in a file: "" for the file itself, the member name for
    an archive's member (inspect .eval logs are zip files: their text is compressed)."""
    vals = _values(values)
    if path.stat().st_size > MAX_SCAN_BYTES:
        return []
    if _is_zip(path):
        out: list[tuple[str, str]] = []
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir() or info.file_size > MAX_SCAN_BYTES:
                    continue
                text = zf.read(info).decode("utf-8", "replace")
                out += [(info.filename, kind) for kind in find_secrets(text, vals)]
        return out
    text = path.read_bytes().decode("utf-8", "replace")
    return [("", kind) for kind in find_secrets(text, vals)]


def mask_file(path: Path, values: Iterable[str] | None = None) -> int:
    """Mask a file in place, atomically (temp file + rename); how many parts changed (the
    file, or the members of an archive); 0 leaves the file untouched."""
    vals = _values(values)
    if path.stat().st_size > MAX_SCAN_BYTES:
        return 0
    if _is_zip(path):
        return _mask_zip(path, vals)
    data = path.read_bytes()
    masked = mask_bytes(data, vals)
    if masked == data:
        return 0
    _replace(path, lambda fh: fh.write(masked))
    return 1


def _mask_zip(path: Path, vals: tuple[str, ...]) -> int:
    with zipfile.ZipFile(path) as zf:
        members = [(info, zf.read(info)) for info in zf.infolist()]
    changed = 0
    out = []
    for info, data in members:
        masked = data if info.is_dir() else mask_bytes(data, vals)
        changed += masked != data
        out.append((info, masked))
    if not changed:
        return 0

    def write(fh: BinaryIO) -> None:
        with zipfile.ZipFile(fh, "w") as zout:
            for info, data in out:
                zout.writestr(info, data, compress_type=info.compress_type)

    _replace(path, write)
    return changed


def _replace(path: Path, write: Callable[[BinaryIO], object]) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mask_tree(root: Path, values: Iterable[str] | None = None) -> int:
    """`mask_file` on every file under `root` (hidden temp files and symlinks skipped); how
    many files changed."""
    if not root.is_dir():
        return 0
    vals = _values(values)
    changed = 0
    for path in sorted(root.rglob("*")):
        if path.is_symlink() or not path.is_file() or path.name.endswith(".tmp"):
            continue
        try:
            changed += mask_file(path, vals) > 0
        except (OSError, zipfile.BadZipFile, ValueError):
            continue  # vanished or unreadable: a scan lists what is left
    return changed
