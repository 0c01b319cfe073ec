"""Nightly sweeps: incremental plans, canaries and drift alerts, and a summary for schedulers.

Sits below the API and above the report layer: `harness.api.nightly` drives it and passes the
report renderer in. See docs/nightly.md.
"""

from harness.nightly.clock import Clock, FixedClock, SystemClock, night_of
from harness.nightly.run import NightlyContext, RenderReport, run_night
from harness.nightly.summary import NightlySummary

__all__ = [
    "Clock",
    "FixedClock",
    "NightlyContext",
    "NightlySummary",
    "RenderReport",
    "SystemClock",
    "night_of",
    "run_night",
]
