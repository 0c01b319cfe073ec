"""Numbers and sentences in one place, so the CLI, README, docs and report say the same thing.

Score gaps are stored as 0-1 fractions and written as points (x100); months and logits as
they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from harness.analysis.spec import AnalysisSpec, window_label

UNIT_WORDS = {
    "months": "months",
    "fraction": "points",
    "logits": "logits",
    "doublings": "doublings",
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
    if unit == "fraction":
        v *= 100
    digits = 2 if unit == "logits" else 1
    if round(v, digits) == 0:
        v = 0.0  # no "-0.0"
    text = f"{v:+.{digits}f}" if signed and v != 0 else f"{v:.{digits}f}"
    return text.replace("-", "−") if text.startswith("-") else text


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


def verdict_sentence(
    verdict: str,
    spec: AnalysisSpec,
    is_primary: bool,
    primary: Mapping[str, object],
    summary: Mapping[str, object],
    bias_note: str,
) -> str:
    """The answer in plain words: verdict, the primary D with its CI, the curve's agreement."""
    which = "the primary specification" if is_primary else "this (non-primary) specification"
    head = VERDICT_HEADS[verdict]
    if primary.get("status") != "ok":
        body = f"Under {which} ({spec_words(spec)}) D(lag) has no value: {primary.get('reason')}."
    else:
        body = (
            f"Under {which} ({spec_words(spec)}), open models trail by "
            f"{num(primary['agentic'], 'months')} months on agentic benchmarks and "
            f"{num(primary['standard'], 'months')} on standard ones: D = "
            f"{num(primary['d'], 'months', signed=True)} months "
            f"({ci_text(primary, 'months', spec.ci)}; {primary['n_agentic']} agentic and "
            f"{primary['n_standard']} standard benchmarks)."
        )
    n = summary.get("n_specs", 0)
    curve = (
        f" Over {n} specifications, {pct(summary.get('share_d_positive'))} give D > 0 and "
        f"{pct(summary.get('share_ci_excludes_zero'))} have a CI that excludes 0."
        if n
        else ""
    )
    bias = f" Caution, {bias_note}." if bias_note else ""
    return f"{head} {body}{curve}{bias}"
