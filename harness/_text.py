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

# OWASP: cells starting with these are formulas to a spreadsheet. Their compatibility forms
# (full-width, small, superscript and subscript signs: every character whose NFKC form starts
# with one of them; tests/test_text.py checks the list against unicodedata) are folded to the
# ASCII ones by some spreadsheet locales and input methods, so they are treated the same.
FORMULA_START = (
    "=", "+", "-", "@", "\t", "\r",
    "\u207a", "\u207c", "\u208a", "\u208c", "\u2a75", "\u2a76", "\ufb29",
    "\ufe62", "\ufe63", "\ufe66", "\ufe6b", "\uff0b", "\uff0d", "\uff1d", "\uff20",
)  # fmt: skip
# Spreadsheets trim leading spaces on import (LibreOffice's "Trim spaces", Google Sheets), so
# a formula sign after whitespace or invisible characters counts as a start too.
_LEADING = "\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _escaped_class(chars: str, re2: bool) -> str:
    """A character-class body with every character escaped ('-' kept as the range sign), in
    Python's syntax or RE2's (pyarrow's match_substring_regex)."""

    def esc(c: str) -> str:
        if c == "-":
            return c
        return f"\\x{{{ord(c):x}}}" if re2 else f"\\U{ord(c):08x}"

    return "".join(esc(c) for c in chars)


def _formula_pattern(re2: bool) -> str:
    lead = _escaped_class(_LEADING + _INVISIBLE_RANGES, re2)
    start = _escaped_class("".join(FORMULA_START).replace("-", ""), re2)
    return f"^[{lead}]*[{start}\\x{{2d}}]" if re2 else f"^[{lead}]*[{start}\\-]"


_FORMULA = re.compile(_formula_pattern(re2=False))
_FORMULA_RE2 = _formula_pattern(re2=True)

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
    """`df` with every string cell of a text column (object, string or categorical: analysis
    reads names as categoricals) and every column name neutralised (csv_cell). Numeric,
    boolean and date columns are left as they are: -0.5 in a score column is a number."""
    import pandas as pd

    def risky(value: object) -> bool:
        return isinstance(value, str) and bool(_FORMULA.match(value))

    changed: dict[str, pd.Series] = {}
    for col in df.columns:
        series = df[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            categories = series.dtype.categories
            if any(risky(c) for c in categories):
                changed[col] = series.astype(object).map(csv_cell)
            continue
        if series.dtype != object and not pd.api.types.is_string_dtype(series.dtype):
            continue
        if not series.map(risky).any():
            continue
        changed[col] = series.map(csv_cell)
    renamed = any(risky(c) for c in df.columns)
    if not changed and not renamed:
        return df
    out = df.copy()
    for col, series in changed.items():
        out[col] = series
    if renamed:
        out.columns = [csv_cell(c) for c in df.columns]
    return out


def csv_safe_table(table: pa.Table) -> pa.Table:
    """The Arrow version of csv_safe_frame: string columns (dictionary-encoded ones too) and
    column names neutralised, others untouched."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(table.schema):
        column = table.column(i)
        if pa.types.is_dictionary(field.type) and _is_text(field.type.value_type):
            column = column.cast(field.type.value_type)
            field = field.with_type(field.type.value_type)
        elif not _is_text(field.type):
            continue
        hits = pc.match_substring_regex(column, _FORMULA_RE2)
        if not pc.any(hits).as_py():  # clean (a dictionary column stays encoded)
            continue
        fixed = pc.if_else(hits, pc.binary_join_element_wise("'", column, ""), column)
        table = table.set_column(i, field, fixed.cast(field.type))
    names = table.column_names
    if any(_FORMULA.match(n) for n in names):
        table = table.rename_columns([csv_cell(n) for n in names])
    return table


def _is_text(t: pa.DataType) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))
