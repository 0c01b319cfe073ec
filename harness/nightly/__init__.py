"""Nightly sweeps: incremental plans, canaries and drift alerts, and a summary for schedulers.

Sits below the API and above the report layer: `harness.api.nightly` drives it and passes the
report renderer in. See docs/nightly.md. The clock and the summary are light; the night
itself (which loads the executor and the engines' SDKs) is imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from harness.nightly.clock import Clock, FixedClock, SystemClock, night_of
from harness.nightly.summary import NightlySummary

if TYPE_CHECKING:
    from harness.nightly.run import NightlyContext, RenderReport, run_night

_LAZY = {"NightlyContext", "RenderReport", "run_night"}

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


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'harness.nightly' has no attribute '{name}'")
    value = getattr(importlib.import_module("harness.nightly.run"), name)
    globals()[name] = value
    return value
