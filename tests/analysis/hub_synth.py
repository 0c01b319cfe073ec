"""A small published timeline (Epoch-style aggregate rows) and own runs of hub suites on it,
with lags simple enough to compute by hand.

Every published benchmark has one closed model released on CLOSED_DAY and one open model
released STANDARD_LAG_DAYS (standard) or AGENTIC_LAG_DAYS (agentic) later, both scoring 0.50:
every threshold up to 0.50 is crossed by that one pair, so each benchmark holds one lag
datapoint (the same pair sets every threshold), and with censoring "none" D(lag) is the mean
agentic lag minus the mean standard lag, in days / (365.25 / 12).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd

from harness.analysis._common import AGGREGATE_ID, DAYS_PER_MONTH
from harness.analysis.measures.hub_links import HubLinks, HubSuite
from harness.analysis.spec import AnalysisSpec

CLOSED_DAY = date(2025, 1, 1)
STANDARD_LAG_DAYS = 181
AGENTIC_LAG_DAYS = 273
STANDARD = ("gpqa_diamond", "math_level_5", "mmlu", "hle")
AGENTIC = ("swe_bench_verified", "swe_bench_bash_only", "terminal_bench", "cybench")
EPOCH = "imported:epoch"
# censoring "none" keeps first-model crossings as exact: one lag per benchmark, by hand
HAND = AnalysisSpec(
    since=None,
    censoring="none",
    replicates=200,
    curve_replicates=50,
    power_simulations=50,
)
LINKS = HubLinks(
    suites={
        "hub_gpqa_diamond": HubSuite("hub_gpqa_diamond", "gpqa_diamond", "same"),
        "hub_math": HubSuite("hub_math", "math_level_5", "different"),
        "hub_hle": HubSuite("hub_hle", "hle", "subset"),
    },
    published_names={"gpt-x": ("gpt-x-2025_medium",)},
)


def months(days: float) -> float:
    return days / DAYS_PER_MONTH


def published(
    model: str,
    access: str,
    released: date,
    bench: str,
    kind: str,
    score: float,
    *,
    stderr: float | None = 0.03,
    version: str = "epoch-hub-2026-04",
) -> dict[str, object]:
    extra: dict[str, object] = {"unit": "fraction"}
    if stderr is not None:
        extra.update(stderr=stderr, stderr_unit="fraction")
    return {
        "model_id": model,
        "access": access,
        "release_date": released,
        "suite": bench,
        "suite_version": version,
        "kind": kind,
        "task": bench,
        "sample_id": AGGREGATE_ID,
        "epoch": 1,
        "h": None,
        "score": score,
        "success": None,
        "status": "scored",
        "source": EPOCH,
        "extra": json.dumps(extra),
        "engine_version": version,
    }


def timeline(*, closed_gpqa: str = "closed-gpqa_diamond") -> list[dict[str, object]]:
    """The published rows: per benchmark one closed and one open model, both at 0.50."""
    rows = []
    for kind, names, lag in (
        ("standard", STANDARD, STANDARD_LAG_DAYS),
        ("agentic", AGENTIC, AGENTIC_LAG_DAYS),
    ):
        for b in names:
            closed = closed_gpqa if b == "gpqa_diamond" else f"closed-{b}"
            rows.append(published(closed, "closed", CLOSED_DAY, b, kind, 0.50))
            rows.append(
                published(f"open-{b}", "open", CLOSED_DAY + timedelta(days=lag), b, kind, 0.50)
            )
    return rows


def own_run(
    model: str,
    access: str,
    released: date,
    suite: str,
    kind: str,
    passed: int,
    n: int,
    *,
    version: str = "1",
) -> list[dict[str, object]]:
    """An own run: n samples, the first `passed` scored 1, the rest 0 (score passed / n)."""
    return [
        {
            "model_id": model,
            "access": access,
            "release_date": released,
            "suite": suite,
            "suite_version": version,
            "kind": kind,
            "task": suite,
            "sample_id": f"{suite}-{i}",
            "epoch": 1,
            "h": None,
            "score": 1.0 if i < passed else 0.0,
            "success": i < passed,
            "status": "scored",
            "source": "own",
            "extra": None,
            "engine_version": "0.3",
        }
        for i in range(n)
    ]


def frame(*parts: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame([r for p in parts for r in p])
