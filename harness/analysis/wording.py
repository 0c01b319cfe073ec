"""Numbers and sentences in one place, so the CLI, README, docs and report say the same thing.

Every measure has one unit in every table, figure, JSON and sentence (spec.MEASURE_UNITS):
months, points (score gaps: x100 of a 0-1 score difference), logits, doublings. Scores
themselves are 0-1 fractions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from harness.analysis.spec import AnalysisSpec, window_label

UNIT_WORDS = {
    "months": "months",
    "points": "points",
    "fraction": "(0-1)",
    "logits": "logits",
    "doublings": "doublings",
    "minutes": "minutes",
}
CENSORING_WORDS = {
    "both": "first-model crossings of either side dropped",
    "none": "first-model crossings kept as exact",
    "closed": "closed first-model crossings dropped",
    "open": "open first-model crossings dropped",
    "bounds": "censored crossings kept as bounds (censored normal fit)",
    "n/a": "censoring not applicable",
}
AVERAGING_WORDS = {
    "benchmark": "each benchmark one unit",
    "pooled": "every datapoint one unit",
}


def num(x: object, unit: str, *, signed: bool = False) -> str:
    """A value in its unit's display form ('-' when missing)."""
    try:
        v = float(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(v):
        return "-"
    digits = 3 if unit == "fraction" else 2 if unit in ("logits", "doublings") else 1
    if round(v, digits) == 0:
        v = 0.0  # no "-0.0"
    text = f"{v:+.{digits}f}" if signed and v != 0 else f"{v:.{digits}f}"
    return text.replace("-", "−") if text.startswith("-") else text


def outward(x: object, *, up: bool, digits: int = 1) -> float:
    """x rounded away from what it bounds, to `digits` decimals: up for an upper bound, down
    for a lower one. A bound printed to the nearest tenth can claim more than the data do
    (at most 1.849 shown as 1.8 rules out 1.80-1.85, which the data do not)."""
    scale = 10.0**digits
    v = round(float(x) * scale, 9)  # type: ignore[arg-type]  # 1.8000000000000003 stays 1.8
    return (math.ceil(v) if up else math.floor(v)) / scale


def ci_text(row: Mapping[str, object], unit: str, level: float) -> str:
    return f"{level:.0%} CI {num(row['ci_low'], unit)} to {num(row['ci_high'], unit)}"


def spec_words(spec: AnalysisSpec) -> str:
    """The method choices of a spec in a short phrase."""
    parts = [
        f"open crossings {window_label(spec.since, spec.until)}"
        if spec.since or spec.until
        else "all dates",
        CENSORING_WORDS[spec.censoring],
        AVERAGING_WORDS[spec.averaging],
    ]
    if spec.benchmarks:
        parts.append(f"benchmarks {', '.join(spec.benchmarks)}")
    if spec.mapping:
        parts.append(f"kinds from {spec.mapping}")
    return "; ".join(parts)


def pct(x: object) -> str:
    try:
        return f"{100 * float(x):.0f}%"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "-"


VERDICT_HEADS = {
    "supported": "Supported: standard benchmarks understate the agentic gap.",
    "contradicted": "Contradicted: the agentic gap is smaller than the standard one.",
    "inconclusive": "Inconclusive: the data do not show whether standard benchmarks "
    "understate the agentic gap.",
}
