"""Number, date and name formatting for the report. Formatting only: no statistics here.

Every formatter takes whatever a DataFrame cell may hold (float, int, NaN, None, pd.NA, NaT,
date, Timestamp, str) and returns display text; a missing value becomes an em dash, never
"nan". Scores stay on their native 0..1 scale everywhere (tables, figures and CSVs agree).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date, datetime
from typing import Any

import pandas as pd

MISSING = "—"


def is_missing(value: Any) -> bool:
    """True for None, NaN, pd.NA, NaT (and not for containers, which pd.isna would broadcast)."""
    if value is None:
        return True
    if isinstance(value, (list, tuple, dict, set)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _float(value: Any) -> float | None:
    if is_missing(value):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def num(value: Any, digits: int = 3) -> str:
    v = _float(value)
    return MISSING if v is None else f"{v:.{digits}f}"


def signed(value: Any, digits: int = 3) -> str:
    """Differences (gaps, D) carry an explicit sign so direction is never ambiguous."""
    v = _float(value)
    if v is None:
        return MISSING
    # a true minus sign reads better than a hyphen in tables
    return f"{v:+.{digits}f}".replace("-", "−")


def ci(low: Any, high: Any, digits: int = 3) -> str:
    """'lo – hi'; an unbounded side (a horizon CI that never closes) shows as ∞."""

    def bound(v: Any) -> str | None:
        if is_missing(v):
            return None
        try:
            f = float(v)
        except (TypeError, ValueError):
            return None
        if math.isinf(f):
            return "∞" if f > 0 else "−∞"
        return f"{f:.{digits}f}".replace("-", "−")

    lo, hi = bound(low), bound(high)
    return MISSING if lo is None or hi is None else f"{lo} – {hi}"


def digits_for(measure: Any) -> int:
    """Decimals for a gap measure: months to 0.1, logits to 0.01, score points to 0.001."""
    m = str(measure)
    return 1 if "month" in m else 2 if "logit" in m else 3


def pct(value: Any, digits: int = 1) -> str:
    v = _float(value)
    return MISSING if v is None else f"{100 * v:.{digits}f}%"


def integer(value: Any) -> str:
    v = _float(value)
    return MISSING if v is None else f"{round(v):d}"


def pvalue(value: Any) -> str:
    v = _float(value)
    if v is None:
        return MISSING
    return "< 0.001" if v < 0.001 else f"{v:.3f}"


def months(value: Any) -> str:
    v = _float(value)
    return MISSING if v is None else f"{v:.1f}".replace("-", "−")


def day(value: Any) -> str:
    """A date as YYYY-MM-DD, whatever type the table used for it."""
    if is_missing(value):
        return MISSING
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    except (TypeError, ValueError):
        return str(value)


def timestamp(value: datetime) -> str:
    return (
        value.strftime("%Y-%m-%d %H:%M UTC") if value.tzinfo else value.strftime("%Y-%m-%d %H:%M")
    )


def text(value: Any) -> str:
    return MISSING if is_missing(value) else str(value)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(name: Any) -> str:
    """A file-name-safe, URL-safe, collision-free stem for a model id or suite name.

    Model ids contain '/' (org/model) and may contain anything at all, so unsafe runs become
    '_' and, whenever anything was changed, a short hash of the original is appended so that
    'a/b' and 'a_b' never share a page. Stems are lower case (with the hash when the name was
    not): on a case-insensitive file system (macOS, Windows, a clone of the published branch)
    'GPT-4o' would otherwise overwrite the page of 'gpt-4o'. Windows' reserved device names
    (con, nul, com1, ...) get a '_' first and the hash.
    """
    raw = str(name)
    safe = _UNSAFE.sub("_", raw).strip("._").lower() or "_"
    safe = safe[:80]
    if safe.split(".")[0] in _RESERVED:  # Windows reads 'nul.txt-1.html' as the device too
        safe = f"_{safe}"
    if safe != raw:
        safe = f"{safe}-{hashlib.sha1(raw.encode('utf-8')).hexdigest()[:8]}"
    return safe


_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"{d}{i}" for d in ("com", "lpt") for i in range(10)]
)


def seconds(value: Any) -> str:
    v = _float(value)
    if v is None:
        return MISSING
    return f"{v:.2f} s" if v < 10 else f"{v:.1f} s" if v < 600 else f"{v / 60:.1f} min"


def usd(value: Any) -> str:
    """Dollars with enough decimals to show a local run's fractions of a cent."""
    v = _float(value)
    if v is None:
        return MISSING
    return f"${v:.4f}" if abs(v) < 1 else f"${v:,.2f}"


def pretty_json(value: Any) -> str:
    """Tool-call arguments as indented JSON when they parse; otherwise the text as sent."""
    raw = text(value)
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):  # a model may nest 100,000 brackets deep
        return raw


def short(value: Any, width: int = 120) -> str:
    """One line of at most `width` characters (table cells that show a long message)."""
    s = " ".join(text(value).split())
    return s if len(s) <= width else s[: width - 1] + "…"


def window(start: Any, end: Any) -> str:
    """A date window in words: all dates, since 2025-01, until 2024-06, 2024-01 to 2025-01."""
    a, b = pd.to_datetime(start, errors="coerce"), pd.to_datetime(end, errors="coerce")
    if pd.isna(a) and pd.isna(b):
        return "all dates"
    if pd.isna(b):
        return f"since {a:%Y-%m-%d}"
    if pd.isna(a):
        return f"until {b:%Y-%m-%d}"
    return f"{a:%Y-%m-%d} to {b:%Y-%m-%d}"
