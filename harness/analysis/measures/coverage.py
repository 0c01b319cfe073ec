"""Per-benchmark coverage diagnostics, and how much thin open coverage alone can move D.

A lag is measured on the models a benchmark evaluated. Where open models are evaluated less
often than closed ones, the first *evaluated* open model to cross a threshold comes later
than the first open model that could have: the lag is overstated by about the extra gap
between evaluated open releases. With open and closed models released about as often, the
delay per benchmark is about (mean spacing of evaluated open releases) - (that of closed
ones), in months; if it differs between the kinds, D moves by the difference.
`coverage_bias` estimates that shift and flags it when it is at least
BIAS_FLAG_MONTHS; the verdict sentence then names it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, from_days
from harness.analysis.columns import COVERAGE_COLUMNS, empty
from harness.analysis.measures.censor import LagData, lag_data
from harness.analysis.measures.frontier import Bench, Side
from harness.analysis.spec import Censoring
from harness.analysis.wording import num

BIAS_FLAG_MONTHS = 0.5


def spacing_months(side: Side, start: float, end: float) -> float:
    """Mean months between successive evaluated release dates inside [start, end]."""
    d = np.unique(side.days[(side.days >= start) & (side.days <= end)])
    return float((d[-1] - d[0]) / (d.size - 1) / DAYS_PER_MONTH) if d.size >= 2 else np.nan


def _short(note: str) -> str:
    """Group drop reasons ("censored: open side's first evaluated model" -> that phrase)."""
    return note.split(" (")[0]


def coverage_table(
    bench_list: list[Bench],
    *,
    censoring: Censoring,
    start: float,
    end: float,
    borderline: set[str],
    lag_cache: dict[str, LagData] | None = None,
) -> pd.DataFrame:
    """One row per benchmark: who was evaluated when, and which lag datapoints count."""
    rows = []
    for b in bench_list:
        data = (lag_cache or {}).get(b.name)
        if data is None and b.has_pair:
            data = lag_data(b, censoring)
        counted = bounds = 0
        dropped: Counter[str] = Counter()
        if data is not None:
            inside = data.in_window(start, end)
            for i, st in enumerate(data.status):
                if st and inside[i]:
                    counted += 1
                    bounds += st != "exact"
                elif st:
                    dropped["outside the window"] += 1
                else:
                    dropped[_short(data.note[i])] += 1
        note = ""
        if not b.has_pair:
            note = f"too few model pairs: {b.closed.days.size} closed, {b.open.days.size} open"
        elif counted == 0:
            note = "no lag datapoint in the window"
        rows.append(
            {
                "benchmark": b.name,
                "kind": b.kind,
                "borderline": b.name in borderline,
                "n_closed": int(b.closed.days.size),
                "n_open": int(b.open.days.size),
                "first_closed": from_days(b.closed.days[0]) if b.closed.days.size else None,
                "first_open": from_days(b.open.days[0]) if b.open.days.size else None,
                "last_closed": from_days(b.closed.days[-1]) if b.closed.days.size else None,
                "last_open": from_days(b.open.days[-1]) if b.open.days.size else None,
                "closed_spacing_months": spacing_months(b.closed, start, end),
                "open_spacing_months": spacing_months(b.open, start, end),
                "counted": counted,
                "bounds": bounds,
                "dropped": int(sum(dropped.values())),
                "dropped_reasons": "; ".join(f"{k}: {v}" for k, v in sorted(dropped.items())),
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS) if rows else empty(COVERAGE_COLUMNS)


@dataclass(frozen=True)
class CoverageBias:
    """Expected shift of D(lag) from coverage alone (months), per kind and the difference."""

    agentic_delay: float
    standard_delay: float
    bias_months: float
    flagged: bool
    note: str

    def to_dict(self) -> dict[str, object]:
        return {
            "agentic_delay_months": _clean(self.agentic_delay),
            "standard_delay_months": _clean(self.standard_delay),
            "bias_months": _clean(self.bias_months),
            "flagged": self.flagged,
            "note": self.note,
        }


def _clean(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def coverage_bias(coverage: pd.DataFrame, used: set[str]) -> CoverageBias:
    """From the benchmarks that enter D(lag): mean (open - closed spacing) per kind."""
    c = coverage[coverage["benchmark"].isin(used)]
    delay = (c["open_spacing_months"] - c["closed_spacing_months"]).astype(float)
    per = {k: float(delay[c["kind"] == k].mean()) for k in ("agentic", "standard")}
    bias = per["agentic"] - per["standard"]
    flagged = bool(np.isfinite(bias) and abs(bias) >= BIAS_FLAG_MONTHS)
    note = ""
    if flagged:
        side = "agentic" if bias > 0 else "standard"
        note = (
            f"coverage: evaluated open releases are sparser than closed ones on {side} "
            f"benchmarks (open minus closed spacing {num(per['agentic'], 'months', signed=True)}"
            f" months agentic, {num(per['standard'], 'months', signed=True)} standard), which "
            f"alone can move D(lag) by about {num(bias, 'months', signed=True)} months"
        )
    return CoverageBias(per["agentic"], per["standard"], bias, flagged, note)
