"""Text that is safe to show anywhere: pages, spreadsheets, terminals, one-line messages.

Everything a model, an upstream server, an imported file or someone else's store wrote is
untrusted (DESIGN.md, trust boundaries). HTML escaping (Jinja2's autoescape) stops markup, but
three more things need care, and they are done here, once, for every caller:

- invisible and control characters: bidirectional overrides (U+202E turns "gnp.exe" into
  "exe.png" on screen), zero-width characters (two ids that look the same), C0/C1 controls
  (a terminal escape sequence in a model name) and line separators. `visible` shows each as a
  plain escape (`\\u202e`), so what is displayed is what is stored. Tab, newline and carriage
  return stay (they are ordinary layout in transcripts); `one_line` escapes them too.
- spreadsheet formulas: a CSV cell that starts with `=`, `+`, `-`, `@`, tab or carriage
  return is run as a formula by Excel, LibreOffice and Google Sheets (OWASP, "CSV
  injection"). `csv_cell` prefixes such a string with `'`, which spreadsheets show as text.
  Only strings are touched: a number (-0.5) in a numeric column is data and stays a number.
- length: a name of a megabyte is not printed back whole; `clip` keeps its head and says how
  long it was.

A leaf: no harness imports. pandas and pyarrow are imported only by the table helpers.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# Unicode general categories Cc (except tab, newline, carriage return), Cf, Zl and Zp, written
# out as ranges so that importing this module costs nothing (tests/test_text.py checks the
# list against unicodedata for every code point), plus the Hangul and Khmer fillers and
# Mongolian variation selectors, which render as nothing although they are letters or marks.
_INVISIBLE_RANGES = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
INVISIBLE = re.compile(f"[{_INVISIBLE_RANGES}]")
_INVISIBLE_OR_LAYOUT = re.compile(f"[{_INVISIBLE_RANGES}\t\n\r]")

# OWASP: cells starting with these are formulas to a spreadsheet. The full-width forms are
# folded to the ASCII ones by some spreadsheet locales, so they are treated the same.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_FORMULA = re.compile("^[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]")

CLIP_AT = 200  # characters of a name kept in a message
MESSAGE_RUN_MAX = 300  # a run of non-space characters longer than this is clipped
MESSAGE_MAX = 4000  # a whole one-line message longer than this keeps its head and tail


_SHORT = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(m: re.Match[str]) -> str:
    char = m.group(0)
    if char in _SHORT:
        return _SHORT[char]
    cp = ord(char)
    return f"\\u{cp:04x}" if cp <= 0xFFFF else f"\\U{cp:08x}"


def visible(text: str) -> str:
    """`text` with every invisible or control character (see INVISIBLE) shown as `\\uXXXX`."""
    if not text or INVISIBLE.search(text) is None:
        return text
    return INVISIBLE.sub(_escape, text)


def has_invisible(text: str) -> bool:
    return bool(text) and INVISIBLE.search(text) is not None


def clip(text: str, limit: int = CLIP_AT) -> str:
    """`text` cut to `limit` characters, saying how long it was: 'aaaa… (1,048,576 characters)'."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


_LONG_RUN = re.compile(rf"\S{{{MESSAGE_RUN_MAX + 1},}}")


def one_line(message: str) -> str:
    """A message fit to print as one line: control, invisible and layout characters escaped,
    runs of non-space characters longer than MESSAGE_RUN_MAX clipped (with their length), and
    the whole at most about MESSAGE_MAX characters (head and tail kept)."""
    out = _INVISIBLE_OR_LAYOUT.sub(_escape, message)
    if len(out) > MESSAGE_RUN_MAX:
        out = _LONG_RUN.sub(lambda m: clip(m.group(0), 120), out)
    if len(out) > MESSAGE_MAX:
        head, tail = out[: MESSAGE_MAX // 2], out[-MESSAGE_MAX // 4 :]
        out = f"{head} … [{len(out):,} characters in all] … {tail}"
    return out


# -- CSV -----------------------------------------------------------------------------------


def csv_cell(value: Any) -> Any:
    """A string that a spreadsheet would run as a formula, prefixed with `'`; anything else
    (numbers, dates, None, safe strings) unchanged."""
    if isinstance(value, str) and value and _FORMULA.match(value):
        return "'" + value
    return value


def csv_safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """`df` with every string cell of a non-numeric column neutralised (csv_cell). Numeric,
    boolean and date columns are left as they are: -0.5 in a score column is a number."""
    import pandas as pd

    changed: dict[str, pd.Series] = {}
    for col in df.columns:
        series = df[col]
        if series.dtype != object and not pd.api.types.is_string_dtype(series.dtype):
            continue
        if not series.map(lambda v: isinstance(v, str) and bool(_FORMULA.match(v))).any():
            continue
        changed[col] = series.map(csv_cell)
    if not changed:
        return df
    out = df.copy()
    for col, series in changed.items():
        out[col] = series
    return out


def csv_safe_table(table: pa.Table) -> pa.Table:
    """The Arrow version of csv_safe_frame: string columns neutralised, others untouched."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pattern = _FORMULA.pattern
    for i, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        column = table.column(i)
        hits = pc.match_substring_regex(column, pattern)
        if not pc.any(hits).as_py():
            continue
        fixed = pc.if_else(hits, pc.binary_join_element_wise("'", column, ""), column)
        table = table.set_column(i, field, fixed.cast(field.type))
    return table
