"""`ladder_answer`: score a horizon-ladder reply (standard or agentic form, same rule).

Extraction rule (documented in tasks/ladder/README.md):
1. A code is two letters, a dash and four digits (`QT-5820`), not glued to other letters or
   digits; letters are compared upper-cased, so `qt-5820` counts.
2. If the reply has an answer marker (`ANSWER`, `answer:`, `final answer`...) followed by a
   code on the same line (within 40 characters), the first code after the LAST such marker
   is the answer (a model that names a distractor after its answer line is still read
   right).
3. Otherwise the LAST code anywhere in the reply is the answer (models tend to reason first
   and conclude last).
4. No code at all: wrong (score 0), with the explanation "no code in reply".
"""

from __future__ import annotations

import re

from harness.suites.scorers import Score, StandardDoc

_CODE = r"(?<![A-Za-z0-9])([A-Za-z]{2})\s?-\s?(\d{4})(?![0-9])"
_CODE_RE = re.compile(_CODE)
# the marker, then anything but a newline (": **", " is ", "=") before the code
_MARKED_RE = re.compile(r"answer\b[^\n]{0,40}?" + _CODE, re.IGNORECASE)


def extract_code(text: str) -> str | None:
    """The reply's answer code, normalised to `AB-1234`, or None."""
    marked = _MARKED_RE.findall(text)
    if marked:
        letters, digits = marked[-1]
        return f"{letters.upper()}-{digits}"
    found = _CODE_RE.findall(text)
    if found:
        letters, digits = found[-1]
        return f"{letters.upper()}-{digits}"
    return None


def score_answer(output: str, doc: StandardDoc) -> Score:
    answer = extract_code(output or "")
    if answer is None:
        return Score(value=0.0, success=False, explanation="no code in reply")
    ok = answer == doc.target.strip().upper()
    return Score(value=1.0 if ok else 0.0, success=ok, explanation=f"answered {answer}")
