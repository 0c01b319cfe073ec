"""Simple text scorers."""

from __future__ import annotations

from harness.suites.scorers import Score, StandardDoc


def exact_match(output: str, doc: StandardDoc) -> Score:
    ok = output.strip() == doc.target.strip()
    return Score(value=1.0 if ok else 0.0, success=ok)
