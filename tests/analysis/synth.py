"""Synthetic samples tables with planted truths (a known lag, D, horizon, score)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from harness.analysis._common import AGGREGATE_ID, DAYS_PER_MONTH

T0 = date(2022, 1, 1)


def month(m: float) -> date:
    return T0 + timedelta(days=round(m * DAYS_PER_MONTH))


def row(
    model: str,
    access: str,
    released: date | None,
    suite: str,
    kind: str,
    score: float | None,
    *,
    sample_id: str = AGGREGATE_ID,
    epoch: int = 1,
    h: int | None = None,
    status: str = "scored",
    success: bool | None = None,
    source: str = "synthetic",
    version: str = "1",
) -> dict[str, object]:
    return {
        "model_id": model,
        "access": access,
        "release_date": released,
        "suite": suite,
        "suite_version": version,
        "kind": kind,
        "task": suite,
        "sample_id": sample_id,
        "epoch": epoch,
        "h": h,
        "score": score if status != "error" else None,
        "success": success if status != "error" else None,
        "status": status,
        "source": source,
        "extra": None,
    }


def frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(rows)


def curve(
    t: np.ndarray | float, lo: float = 0.05, hi: float = 0.85, span: float = 60.0
) -> np.ndarray:
    """The planted capability curve: linear from lo to hi over `span` months."""
    return lo + (hi - lo) * np.clip(np.asarray(t, dtype=float), 0, span) / span


def lagged_benchmark(
    name: str, kind: str, lag_months: float, *, span: int = 60, lo: float = 0.05, hi: float = 0.85
) -> list[dict[str, object]]:
    """Closed models released monthly on the curve; open ones the same, lag_months later.

    Every threshold is crossed by the open side exactly lag_months after the closed side.
    """
    out = []
    for k in range(span + 1):
        s = float(curve(k, lo, hi, span))
        out.append(row(f"{name}-closed-{k}", "closed", month(k), name, kind, s))
        out.append(row(f"{name}-open-{k}", "open", month(k + lag_months), name, kind, s))
    return out


def gap_benchmarks(
    rng: np.random.Generator,
    *,
    n_per_kind: int,
    lag_agentic: float,
    lag_standard: float,
    spread: float,
) -> pd.DataFrame:
    """Benchmarks whose lags scatter (sd `spread`) around a per-kind mean: D = difference."""
    rows: list[dict[str, object]] = []
    for kind, mean in (("agentic", lag_agentic), ("standard", lag_standard)):
        for i in range(n_per_kind):
            rows += lagged_benchmark(f"{kind[:3]}{i}", kind, mean + spread * rng.standard_normal())
    return frame(rows)


def horizon_samples(
    rng: np.random.Generator,
    model: str,
    access: str,
    h50: float,
    *,
    slope: float = -1.5,
    per_h: int = 30,
    hs: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64),
    suite: str = "ladder_agentic",
    epochs: int = 1,
) -> list[dict[str, object]]:
    """success ~ Bernoulli(sigmoid(slope * (log2 h - log2 h50)))."""
    out = []
    for h in hs:
        p = 1 / (1 + np.exp(-slope * (np.log2(h) - np.log2(h50))))
        for i in range(per_h):
            for e in range(1, epochs + 1):
                y = bool(rng.random() < p)
                out.append(
                    row(
                        model,
                        access,
                        month(0),
                        suite,
                        "agentic",
                        float(y),
                        sample_id=f"h{h}-{i}",
                        epoch=e,
                        h=h,
                        success=y,
                    )
                )
    return out
