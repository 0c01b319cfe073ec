"""Time horizons in steps (METR style) and per-step reliability.

Per model and suite, success is fit against log2(h) with a logistic regression,
P(success) = sigmoid(a + b*log2(h)); the 50% horizon is h50 = 2^(-a/b) (METR, "Measuring AI
Ability to Complete Long Tasks", 2025, fits against log2 of human task time; here h is the
number of required steps). The CI resamples samples (epochs together). Separately,
success ~ p^h is fit by maximum likelihood: p is the per-step reliability that, compounded
over h independent steps, explains the task success rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from harness.analysis._common import benchmark_names, cluster_weights, percentile_ci
from harness.analysis.columns import HORIZON_COLUMNS, HORIZON_GAP_COLUMNS, empty
from harness.analysis.intervals import expansion
from harness.analysis.measures.scores import sample_rows

MIN_ROWS = 20
_RIDGE = 1e-6
_CAP = 30.0  # log2 h50 cap for replicates whose fitted slope is not negative (no horizon)


def success_of(rows: pd.DataFrame) -> np.ndarray:
    """The success flag; where a row has none, a full score (1.0) counts as a success."""
    s = rows["success"]
    fallback = rows["score"].to_numpy(dtype=float) >= 1.0 - 1e-9
    known = s.notna().to_numpy()
    return np.where(known, s.fillna(False).to_numpy(dtype=bool), fallback).astype(float)


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray, iters: int = 30) -> np.ndarray:
    """Weighted logistic fits of y on [1, x], vectorised over rows of w (n_fits, n). -> (n_fits, 2)."""
    X = np.column_stack([np.ones_like(x), x])
    beta = np.zeros((w.shape[0], 2))
    eye = np.eye(2) * _RIDGE
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(beta @ X.T, -30, 30)))
        grad = (w * (y - p)) @ X - _RIDGE * beta
        hess = np.einsum("bn,ni,nj->bij", w * p * (1 - p), X, X) + eye
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        beta = beta + np.clip(step, -5, 5)
    return beta


def log2_h50(beta: np.ndarray, x: np.ndarray | None = None) -> np.ndarray:
    """log2 of the 50% horizon of each fit, clipped to [-cap, cap].

    A fit whose slope is not negative has no horizon in the usual sense: its success never
    falls through 50% as h grows. It counts as +cap (an unbounded horizon) only when its
    fitted success over the tested steps x is at least 50% on average, and as -cap (no
    horizon at all: below 50% already at the shortest tasks) otherwise. (Counting every such
    replicate as +cap gave weak models, below 50% everywhere, infinite upper CIs.)
    """
    a, b = beta[:, 0], beta[:, 1]
    if x is None or not np.size(x):
        above = np.ones(a.shape, dtype=bool)
    else:
        eta = a[:, None] + b[:, None] * np.asarray(x, dtype=float)[None, :]
        above = (1.0 / (1.0 + np.exp(-np.clip(eta, -30, 30)))).mean(axis=1) >= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b < 0, -a / b, np.where(above, _CAP, -_CAP))
    return np.clip(out, -_CAP, _CAP)


def h50_interval(
    point: float, reps: np.ndarray, n_samples: int, level: float
) -> tuple[float, float]:
    """CI of log2 h50: the percentile interval of the cluster bootstrap, widened around the
    estimate by sqrt(n/(n-1)) t_{n-1}/z over n samples (the expanded percentile interval;
    the plain one undercovers with few samples: docs/methods.md, section 7)."""
    lo, hi = percentile_ci(reps, level)
    f = expansion(n_samples, level)
    return point - f * (point - lo), point + f * (hi - point)


def fit_p_step(h: np.ndarray, y: np.ndarray) -> float:
    """MLE of p in P(success) = p^h."""

    def nll(p: float) -> float:
        ph = np.clip(p**h, 1e-12, 1 - 1e-12)
        return float(-(y * np.log(ph) + (1 - y) * np.log1p(-ph)).sum())

    res = minimize_scalar(nll, bounds=(1e-6, 1 - 1e-9), method="bounded")
    return float(res.x)


@dataclass(frozen=True)
class HorizonFit:
    row: dict[str, object]
    reps: np.ndarray  # bootstrap log2 h50 replicates (empty when insufficient)


def fit_model(
    model: str,
    access: str,
    suite: str,
    rows: pd.DataFrame,
    *,
    n_boot: int,
    rng: np.random.Generator,
    level: float,
    min_rows: int,
) -> HorizonFit:
    rows = rows.dropna(subset=["h"])
    rows = rows[rows["h"] > 0]
    row: dict[str, object] = {
        "model_id": model,
        "access": access,
        "suite": suite,
        "h50": np.nan,
        "h50_ci_low": np.nan,
        "h50_ci_high": np.nan,
        "p_step": np.nan,
        "n": len(rows),
        "status": "ok",
        "reason": "",
    }
    if len(rows) < min_rows or rows["h"].nunique() < 2:
        row.update(
            status="insufficient",
            reason=f"{len(rows)} scored samples over {rows['h'].nunique()} values of h "
            f"(need {min_rows} over 2)",
        )
        return HorizonFit(row, np.empty(0))
    h = rows["h"].to_numpy(dtype=float)
    y = success_of(rows)
    x = np.log2(h)
    codes = pd.factorize(rows["sample_id"])[0]
    row["p_step"] = fit_p_step(h, y)
    beta = fit_logistic(x, y, np.ones((1, x.size)))
    if beta[0, 1] >= 0:
        row.update(status="insufficient", reason="success does not fall as h grows: no horizon")
        return HorizonFit(row, np.empty(0))
    point, lo, hi, reps = h50_with_ci(x, y, codes, beta, n_boot=n_boot, rng=rng, level=level)
    row.update(
        h50=2.0**point,
        h50_ci_low=0.0 if lo <= -_CAP + 1e-9 else 2.0**lo,
        h50_ci_high=np.inf if hi >= _CAP - 1e-9 else 2.0**hi,
    )
    if point > np.log2(h.max()):
        row["reason"] = f"extrapolated beyond the largest h ({int(h.max())})"
    elif point < np.log2(h.min()):
        row["reason"] = f"extrapolated below the smallest h ({int(h.min())})"
    return HorizonFit(row, reps)


def h50_with_ci(
    x: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    beta: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    level: float,
) -> tuple[float, float, float, np.ndarray]:
    """(log2 h50, CI low, CI high, replicates) from success y at x = log2 h, with samples
    (clusters) `codes` resampled together; beta: the point fit."""
    n = int(codes.max()) + 1
    cw = cluster_weights(rng, n, n_boot)
    reps = log2_h50(fit_logistic(x, y, cw[:, codes]), x)
    point = float(log2_h50(beta, x)[0])
    lo, hi = h50_interval(point, reps, n, level)
    return point, lo, hi, reps


def horizons(
    samples: pd.DataFrame,
    *,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
    min_rows: int = MIN_ROWS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-model horizons, open-closed horizon gap per suite) over suites whose rows carry h."""
    if samples.empty:
        return empty(HORIZON_COLUMNS), empty(HORIZON_GAP_COLUMNS)
    sc = sample_rows(samples)
    sc = sc[sc["h"].notna()]
    # two versions of a suite are two benchmarks (suite@version), never extra epochs
    sc = sc.assign(_bench=benchmark_names(sc))
    rng = np.random.default_rng(seed)
    fits: list[HorizonFit] = []
    for (suite, model), g in sc.groupby(["_bench", "model_id"], sort=True):
        fits.append(
            fit_model(
                str(model),
                str(g["access"].iloc[0]),
                str(suite),
                g,
                n_boot=n_boot,
                rng=rng,
                level=level,
                min_rows=min_rows,
            )
        )
    table = (
        pd.DataFrame([f.row for f in fits], columns=HORIZON_COLUMNS)
        if fits
        else empty(HORIZON_COLUMNS)
    )
    return table, _gaps(fits, level)


def _gaps(fits: list[HorizonFit], level: float) -> pd.DataFrame:
    out = []
    for suite in sorted({str(f.row["suite"]) for f in fits}):
        ok = [f for f in fits if f.row["suite"] == suite and f.row["status"] == "ok"]
        best = {}
        for acc in ("closed", "open"):
            side = [f for f in ok if f.row["access"] == acc]
            best[acc] = max(side, key=lambda f: float(f.row["h50"])) if side else None  # type: ignore[arg-type]
        c, o = best["closed"], best["open"]
        row: dict[str, object] = {
            "suite": suite,
            "closed_model": None,
            "open_model": None,
            "closed_h50": np.nan,
            "open_h50": np.nan,
            "log2_ratio": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "status": "ok",
            "reason": "",
        }
        if c is None or o is None:
            row.update(status="insufficient", reason="needs a fitted horizon on both sides")
        else:
            ch, oh = float(c.row["h50"]), float(o.row["h50"])  # type: ignore[arg-type]
            lo, hi = percentile_ci(c.reps - o.reps, level)
            row.update(
                closed_model=c.row["model_id"],
                open_model=o.row["model_id"],
                closed_h50=ch,
                open_h50=oh,
                log2_ratio=float(np.log2(ch / oh)),
                ci_low=lo,
                ci_high=hi,
            )
        out.append(row)
    return pd.DataFrame(out, columns=HORIZON_GAP_COLUMNS) if out else empty(HORIZON_GAP_COLUMNS)
