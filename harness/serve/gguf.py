"""Read a GGUF file's metadata header (not its tensors) without loading the model.

Only the key/value section at the start of the file is parsed (format: ggml docs/gguf.md):
magic "GGUF", u32 version, u64 tensor count, u64 kv count, then per kv: string key,
u32 value type, value. Strings are u64 length + UTF-8 bytes; arrays are u32 item type +
u64 count + items. Little-endian throughout (version 2 and 3).
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import BinaryIO

# value type -> struct format of fixed-size scalars
_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class GGUFError(ValueError):
    pass


def _read(f: BinaryIO, n: int) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise GGUFError("truncated GGUF header")
    return data


def _u32(f: BinaryIO) -> int:
    return int(struct.unpack("<I", _read(f, 4))[0])


def _u64(f: BinaryIO) -> int:
    return int(struct.unpack("<Q", _read(f, 8))[0])


def _string(f: BinaryIO) -> str:
    return _read(f, _u64(f)).decode("utf-8", errors="replace")


def _value(f: BinaryIO, vtype: int, keep: bool) -> object:
    if vtype in _SCALARS:
        fmt = _SCALARS[vtype]
        return struct.unpack(fmt, _read(f, struct.calcsize(fmt)))[0]
    if vtype == _STRING:
        return _string(f)
    if vtype == _ARRAY:
        itype, count = _u32(f), _u64(f)
        if not keep and itype in _SCALARS:  # skip big numeric arrays in one seek
            f.seek(count * struct.calcsize(_SCALARS[itype]), 1)
            return None
        items = [_value(f, itype, keep) for _ in range(count)]
        return items if keep else None
    raise GGUFError(f"unknown GGUF value type {vtype}")


def read_metadata(path: Path, keys: set[str] | None = None) -> dict[str, object]:
    """GGUF metadata as a dict; with `keys`, only those (and stops once all are found).

    Arrays not asked for are skipped, so the (large) tokenizer vocabulary is never built.
    """
    out: dict[str, object] = {}
    with open(path, "rb") as f:
        if _read(f, 4) != b"GGUF":
            raise GGUFError(f"{path} is not a GGUF file")
        version = _u32(f)
        if version not in (2, 3):
            raise GGUFError(f"{path}: unsupported GGUF version {version}")
        _u64(f)  # tensor count
        n_kv = _u64(f)
        for _ in range(n_kv):
            key = _string(f)
            vtype = _u32(f)
            wanted = keys is None or key in keys
            value = _value(f, vtype, keep=wanted)
            if wanted:
                out[key] = value
                if keys is not None and keys <= out.keys():
                    break
    return out


def chat_template_hash(path: Path) -> str:
    """sha256 of the GGUF's tokenizer.chat_template; "" if it has none or is unreadable."""
    try:
        meta = read_metadata(path, {"tokenizer.chat_template"})
    except (OSError, GGUFError, struct.error):
        return ""
    template = meta.get("tokenizer.chat_template")
    if not isinstance(template, str):
        return ""
    return hashlib.sha256(template.encode("utf-8")).hexdigest()
