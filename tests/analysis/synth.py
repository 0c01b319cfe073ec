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


def planted_gap(
    rng: np.random.Generator,
    *,
    d_true: float,
    n_per_kind: int = 8,
    base_lag: float = 5.0,
    spread: float = 1.0,
    agentic_launch: int = 30,
    open_eval_share: float = 0.5,
    span: int = 60,
    noise: float = 0.01,
) -> pd.DataFrame:
    """The bias that matters, planted: agentic benchmarks launch late (month `agentic_launch`;
    only models released from a quarter before launch are evaluated) and evaluate each open
    model with probability `open_eval_share`; standard benchmarks evaluate every model from
    month 0. Closed and open models are released monthly on the same capability curve, the
    open ones `lag` months later; lag = base_lag (+ d_true on agentic) + N(0, spread) per
    benchmark. The true D is d_true."""
    rows: list[dict[str, object]] = []
    for kind in ("agentic", "standard"):
        for i in range(n_per_kind):
            name = f"{kind[:3]}{i}"
            lag = base_lag + (d_true if kind == "agentic" else 0.0) + spread * rng.normal()
            first = agentic_launch - 3 if kind == "agentic" else 0
            for k in range(span + 1):
                s = float(curve(k, span=span)) + noise * rng.normal()
                if k >= first:
                    rows.append(row(f"{name}-c{k}", "closed", month(k), name, kind, s))
                t_open = k + lag
                thinned = kind == "agentic" and rng.random() > open_eval_share
                if t_open >= first and t_open <= span and not thinned:
                    s_open = float(curve(k, span=span)) + noise * rng.normal()
                    rows.append(row(f"{name}-o{k}", "open", month(t_open), name, kind, s_open))
    return frame(rows)
