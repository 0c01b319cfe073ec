"""Secrets never cross into storage: one masker for every place bytes enter the store or a log.

Two things are masked:
- the VALUES of key variables: every environment variable a deployment names as its key
  (`api_key_env`, or the provider default OPENAI_API_KEY / ANTHROPIC_API_KEY; the executor
  registers them with `register_key_names`, which child processes inherit) plus any variable
  whose name ends in _API_KEY, _TOKEN, _SECRET or _ACCESS_KEY, as long as the value is long
  enough to be a key (short values such as "x" or "EMPTY" would mask ordinary words), each
  also as others write it (`value_forms`: URL-encoded, '/' JSON-escaped, base64 at any
  alignment, as an echoed Basic header carries it);
- common key SHAPES whatever their source (an upstream may echo a key gapbench never saw):
  `sk-...`, `sk-ant-...`, `Bearer <token>`, `Authorization:` / `x-api-key:` /
  `Ocp-Apim-Subscription-Key:` header values, Hugging Face `hf_...`, Google `AIza...`, GitHub
  `ghp_...` / `github_pat_...`, Slack `xox?-...` and AWS `AKIA...` keys, `"api_key": "..."`
  fields (JSON or a printed dict), `?key=` / `&api_key=` query values, a URL's password.

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

import base64
import contextlib
import functools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, quote_plus

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
    # Literals (casefolded) that every match contains: a text holding none of them cannot
    # match, which `in` tells at memory speed. The regexes themselves scan at ~4 MB/s (an
    # inspect log of a tau2 run is a gigabyte of JSON: minutes per file without this test).
    anchors: tuple[str, ...] = ()
    re2: str | None = None  # the pattern in RE2 syntax, where `pattern` uses a lookbehind


# Token characters never include a quote or a backslash: a shape found inside JSON text
# (an error body, an escaped string) then never takes the escape that ends its string.
_TOKEN = r"[A-Za-z0-9._~+/=\-]"

# Names under which a key travels: JSON / dict fields and query parameters.
_KEY_NAMES = (
    r"(?:api[_\-]?key|apikey|access[_\-]?token|auth[_\-]?token|secret[_\-]?key|client[_\-]?secret)"
)
_QUOTE = r"\\?[\"']"  # a quote, maybe JSON-escaped
_KEY_NAME_PARTS = (("api", "key"), ("access", "token"), ("auth", "token"), ("secret", "key"),
                   ("client", "secret"))  # fmt: skip
_KEY_NAME_ANCHORS = tuple(a + sep + b for a, b in _KEY_NAME_PARTS for sep in ("", "_", "-"))

SHAPES: tuple[Shape, ...] = (
    Shape("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"), anchors=("sk-ant-",)),
    Shape(
        "openai-key",
        re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
        anchors=("sk-",),
    ),
    Shape("hf-token", re.compile(r"\bhf_[A-Za-z0-9]{20,}"), anchors=("hf_",)),
    Shape("google-key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"), anchors=("aiza",)),
    Shape(
        "github-token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Shape("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), anchors=("xox",)),
    Shape("aws-key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), anchors=("akia", "asia")),
    Shape("bearer", re.compile(rf"(?i)\bbearer\s+({_TOKEN}{{8,}})"), 1, ("bearer",)),
    Shape(
        "auth-header",
        re.compile(
            r"(?i)\b(?:authorization|x-api-key|api-key|x-goog-api-key|ocp-apim-subscription-key)"
            r"(?:\\?[\"'])?\s*[:=]\s*(?:\\?[\"'])?(?:bearer\s+|basic\s+)?([^\s\"',}\\]{8,})"
        ),
        group=1,
        anchors=("authorization", "api-key", "ocp-apim-subscription-key"),
    ),
    # {"api_key": "..."} in JSON (escaped or not) and {'api_key': '...'} in a printed dict
    Shape(
        "key-field",
        re.compile(rf"(?i){_QUOTE}{_KEY_NAMES}{_QUOTE}\s*[:=]\s*{_QUOTE}([^\"'\\\s]{{8,}})"),
        group=1,
        anchors=_KEY_NAME_ANCHORS,
    ),
    # ?key=... / &api_key=... in a URL (Google's APIs, many gateways)
    Shape(
        "key-query",
        re.compile(rf"(?i)[?&](?:key|token|{_KEY_NAMES})=([^&\s\"'#<>\\]{{8,}})"),
        group=1,
        anchors=("key=", "token=", "secret="),
    ),
    # scheme://user:password@host. The literal first lets the regex engine jump from "://"
    # to "://" (55 times faster on a large log than trying a scheme at every word); the
    # lookbehind wants one scheme character before it.
    Shape(
        "url-password",
        re.compile(r"(?i)://(?<=[a-z0-9+.\-]://)[^/\s:@\"'\\]+:([^@\s/\"'\\]{8,})@"),
        group=1,
        anchors=("://",),
        re2=r"\b[a-z][a-z0-9+.\-]*://[^/\s:@\"'\\]+:([^@\s/\"'\\]{8,})@",
    ),
)

# One pattern for a quick "could anything be here?" test (also in RE2 syntax: pyarrow's
# match_substring_regex uses it to find the few cells worth masking in a large table).
ANY_SHAPE = "|".join(f"(?:{s.re2 or s.pattern.pattern.removeprefix('(?i)')})" for s in SHAPES)


def _shapes_in(text: str) -> tuple[Shape, ...]:
    """The shapes whose anchors `text` holds: the only ones that can match it. Casefolded as
    the regexes' IGNORECASE folds (the Kelvin sign is a k, a long s an s)."""
    folded = text.casefold()
    return tuple(s for s in SHAPES if any(a in folded for a in s.anchors))


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
    """The key values as they may be written (`value_forms`), longest first."""
    given = secret_values() if values is None else values
    return _forms(tuple(v for v in given if v and len(v) >= MIN_SECRET_LEN))


def _forms(values: tuple[str, ...]) -> tuple[str, ...]:
    # Forms passed on (mask_bytes -> mask -> mask_values) are not expanded a second time.
    return values if values in _EXPANDED else _expand(values)


@functools.lru_cache(maxsize=64)
def _expand(values: tuple[str, ...]) -> tuple[str, ...]:
    out = tuple(sorted({f for v in values for f in value_forms(v)}, key=len, reverse=True))
    if len(_EXPANDED) > 256:
        _EXPANDED.clear()
    _EXPANDED.add(out)
    return out


_EXPANDED: set[tuple[str, ...]] = set()


def value_forms(value: str) -> tuple[str, ...]:
    """A key value as others write it: as is, URL-encoded (a query string, a form body),
    with '/' JSON-escaped ('\\/', as PHP and some gateways write JSON), and base64-encoded
    (HTTP Basic credentials an upstream echoes): each of the three alignments the value can
    have inside a longer encoded text, in the standard and the URL-safe alphabet, without the
    characters its neighbours share."""
    forms = {value, quote(value, safe=""), quote(value), quote_plus(value)}
    forms.add(value.replace("/", "\\/"))
    data = value.encode("utf-8", "surrogateescape")
    for start in range(3):
        whole = data[start : start + 3 * ((len(data) - start) // 3)]
        if len(whole) >= 6:  # 8 encoded characters at least: no chance match
            encoded = base64.b64encode(whole).decode("ascii")
            forms |= {encoded, encoded.translate(_URLSAFE)}
    return tuple(f for f in forms if len(f) >= MIN_SECRET_LEN)


_URLSAFE = str.maketrans("+/", "-_")


def mask_values(text: str, values: Iterable[str] | None = None) -> str:
    """`text` with every known key value replaced, in every form `value_forms` lists (no
    shapes: for model answers, whose text may legitimately look like a key, e.g. a code
    sample with "sk-...")."""
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
    for shape in _shapes_in(text):
        text = _mask_shape(text, shape)
    return text


def mask_bytes(data: bytes, values: Iterable[str] | None = None, *, shapes: bool = True) -> bytes:
    """`mask` for UTF-8 bytes (undecodable bytes are kept as they are)."""
    if not data:
        return data
    vals = _values(values)
    if not any(v.encode() in data for v in vals) and not (shapes and _shapes_in(_peek(data))):
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
    for shape in _shapes_in(text):
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
    if path.suffix.lower() in ZIP_SUFFIXES and zipfile.is_zipfile(path):
        _teach_zipfile_zstd()
        return True
    return False


def _teach_zipfile_zstd() -> None:
    """inspect writes its .eval logs' members with zstd, which zipfile reads (and writes) on
    Python < 3.14 only once `zipfile_zstd` is imported; inspect imports it, but the command
    that masks or scans a log may never have imported inspect. Without it every member of a
    real log raised NotImplementedError: a log holding an echoed key was left unmasked."""
    if getattr(zipfile, "ZIP_ZSTANDARD", None) is None:
        # without it (not installed) zstd members stay unreadable: reported as unchecked
        with contextlib.suppress(ImportError):
            import zipfile_zstd  # noqa: F401  (installed with inspect-ai)


# A finding for what could not be read whole (unchecked is never clean).
UNCHECKED = "cannot be checked"


def find_in_bytes(data: bytes, values: Iterable[str] | None = None) -> list[str]:
    """`find_secrets` on a file's bytes: as UTF-8, and when they hold NUL bytes also as
    UTF-16 (either byte order and alignment), where a key is written k\\0e\\0y\\0."""
    vals = _values(values)
    texts = [data.decode("utf-8", "replace")]
    if b"\x00" in data:
        texts += [data.decode(enc, "replace") for enc in ("utf-16-le", "utf-16-be")]
        texts += [data[1:].decode(enc, "replace") for enc in ("utf-16-le", "utf-16-be")]
    found: list[str] = []
    for text in texts:
        found += [kind for kind in find_secrets(text, vals) if kind not in found]
    return found


def find_in_file(path: Path, values: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(where, kind) of each secret in a file: "" for the file itself, the member name for
    an archive's member (inspect .eval logs are zip files: their text is compressed). What
    cannot be read whole (too large, a member in a compression this process cannot read:
    zstd needs `zipfile_zstd` imported first) is an UNCHECKED finding."""
    vals = _values(values)
    size = path.stat().st_size
    if size > MAX_SCAN_BYTES:
        return [("", f"{UNCHECKED}: {size:,} bytes")]
    if _is_zip(path):
        out: list[tuple[str, str]] = []
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                if info.file_size > MAX_SCAN_BYTES:
                    out.append((info.filename, f"{UNCHECKED}: {info.file_size:,} bytes"))
                    continue
                try:
                    data = zf.read(info)
                except Exception as exc:  # deflate64, zstd unknown here, a bad CRC, encrypted
                    out.append((info.filename, f"{UNCHECKED}: {type(exc).__name__}"))
                    continue
                out += [(info.filename, kind) for kind in find_in_bytes(data, vals)]
        return out
    return [("", kind) for kind in find_in_bytes(path.read_bytes(), vals)]


def mask_file(path: Path, values: Iterable[str] | None = None) -> int:
    """Mask a file in place, atomically (temp file + rename); how many parts changed (the
    file, or the members of an archive); 0 leaves the file untouched."""
    vals = _values(values)
    if path.stat().st_size > MAX_SCAN_BYTES:
        return 0
    if _is_zip(path):
        return _mask_zip(path, vals)
    data = path.read_bytes()
    masked = _mask_utf16(data, vals) if data[:2] in _UTF16_BOMS else mask_bytes(data, vals)
    if masked == data:
        return 0
    _replace(path, lambda fh: fh.write(masked))
    return 1


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _mask_utf16(data: bytes, vals: tuple[str, ...]) -> bytes:
    """A UTF-16 text file (a Windows tool's log) masked and written back as UTF-16."""
    try:
        text = data.decode("utf-16")
    except UnicodeDecodeError:
        return mask_bytes(data, vals)
    masked = mask(text, vals)
    return data if masked == text else masked.encode("utf-16")


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
        except (OSError, zipfile.BadZipFile, ValueError, NotImplementedError, RuntimeError):
            continue  # vanished or unreadable: a scan lists what is left
    return changed
