"""Time horizons in steps and per-step reliability.

Per model and suite (suite@version), on samples that carry h, the number of required steps:

- h50, the 50% horizon: the h at which success, as a non-increasing function of h, crosses
  50%. The success rate at each tested h is made monotone (isotonic regression, rows as
  weights) and the crossing is interpolated linearly in log2 h between the last tested h at
  or above 50% and the next one. No curve shape is assumed beyond monotonicity.
  Why not METR's logistic in log2 h ("Measuring AI Ability to Complete Long Tasks", 2025):
  when each step succeeds with probability p, success is p^h, a curve the logistic cannot
  follow, and its h50 lands 10-13% below the truth however many samples there are (-0.20
  log2 at p = 0.9, rungs 1..32), so its CI's coverage falls as items are added
  (docs/fidelity.md). Conversely a Weibull fit is as far off on logistic-shaped data. The
  isotonic crossing is within 0.05 log2 of the truth for both shapes. `method="logistic"`
  keeps METR's convention for comparison.
- Bounds, one rule for both edges: when the monotone success rate is already below 50% at
  the smallest h tested, h50 is only known to lie below it; when it is still above 50% at the
  largest h tested, only above it. Such a row has status "censored", no point estimate, and
  a one-sided interval: [0, upper] or [lower, inf). A model that fails every task and one
  that succeeds at every rung are the two mirror cases of this rule.
- CI (`H50_CI_METHOD`): bootstrap over samples (epochs together), each replicate's h50
  found the same way (a replicate beyond the tested range counts as -inf / +inf); the
  percentile interval of log2 h50, where a replicate beyond one end counts as that end for
  the opposite limit, widened around a point estimate by sqrt(n/(n-1)) t_{n-1}/z.
- p_step: the maximum-likelihood p of success ~ p^h, the per-step reliability that,
  compounded over h independent steps, explains the success rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar

from harness.analysis._common import benchmark_names, cluster_weights
from harness.analysis.columns import HORIZON_COLUMNS, HORIZON_GAP_COLUMNS, empty
from harness.analysis.intervals import expansion
from harness.analysis.measures.scores import sample_rows

Method = Literal["isotonic", "logistic"]
METHODS: tuple[Method, ...] = ("isotonic", "logistic")
H50_CI_METHOD = (
    "percentile bootstrap over samples (epochs together), widened by sqrt(n/(n-1)) t/z; "
    "beyond the tested h a one-sided bound"
)
MIN_ROWS = 20
_RIDGE = 1e-6
_CAP = 30.0  # |log2 h50| beyond which a logistic fit's horizon counts as unbounded


def success_of(rows: pd.DataFrame) -> np.ndarray:
    """The success flag; where a row has none, a full score (1.0) counts as a success."""
    s = rows["success"]
    fallback = rows["score"].to_numpy(dtype=float) >= 1.0 - 1e-9
    known = s.notna().to_numpy()
    return np.where(known, s.fillna(False).to_numpy(dtype=bool), fallback).astype(float)


# --- the isotonic crossing -------------------------------------------------------------------


def monotone_success(succ: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Non-increasing (isotonic) success rates per rung, vectorised over rows.

    succ, count: (B, R) weighted successes and rows per rung, rungs in increasing h. Uses
    the min-max formula f(k) = min_{i<=k} max_{j>=k} mean(i..j) (equal to pool-adjacent-
    violators); a rung without rows gets NaN.
    """
    b, r = succ.shape
    cs = np.concatenate([np.zeros((b, 1)), np.cumsum(succ, axis=1)], axis=1)
    cn = np.concatenate([np.zeros((b, 1)), np.cumsum(count, axis=1)], axis=1)
    i, j = np.triu_indices(r)
    num, den = cs[:, j + 1] - cs[:, i], cn[:, j + 1] - cn[:, i]
    avg = np.full((b, r, r), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        avg[:, i, j] = np.where(den > 0, num / den, np.nan)
    # upper[b, i, k] = max over j >= k of avg(i..j); fmax skips the NaNs of empty ranges
    upper = np.fmax.accumulate(avg[:, :, ::-1], axis=2)[:, :, ::-1]
    upper = np.where(np.tril(np.ones((r, r), dtype=bool)).T[None], upper, np.nan)  # i <= k
    with np.errstate(invalid="ignore"):
        f = np.fmin.reduce(upper, axis=1)
    return np.where(count > 0, f, np.nan)


def crossing(xr: np.ndarray, succ: np.ndarray, count: np.ndarray) -> np.ndarray:
    """(B,) log2 h50 where the monotone success crosses 50%, interpolated linearly in log2 h
    between the bracketing rungs; -inf when below 50% already at the first rung with rows,
    +inf when still above 50% at the last. xr: (R,) log2 h of the rungs, increasing."""
    f = monotone_success(succ, count)
    b, r = f.shape
    at_or_below = np.nan_to_num(f, nan=1.0) <= 0.5
    first = np.argmax(at_or_below, axis=1)  # first rung at or below 50%
    has = at_or_below.any(axis=1)
    idx = np.where(count > 0, np.arange(r)[None, :], -1)
    prev_all = np.maximum.accumulate(idx, axis=1)
    rows = np.arange(b)
    prev = np.where(first > 0, prev_all[rows, np.maximum(first - 1, 0)], -1)
    f_r = f[rows, first]
    f_q = f[rows, np.maximum(prev, 0)]
    x_r, x_q = xr[first], xr[np.maximum(prev, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = x_q + (f_q - 0.5) / (f_q - f_r) * (x_r - x_q)
    at_first = np.where(f_r == 0.5, x_r, -np.inf)
    return np.where(~has, np.inf, np.where(prev < 0, at_first, inside))


def _rung_tallies(
    x: np.ndarray, y: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rung log2 h, weighted successes (B, R), weighted rows (B, R)) for row weights w (B, n)."""
    xr, rung = np.unique(x, return_inverse=True)
    onehot = np.zeros((x.size, xr.size))
    onehot[np.arange(x.size), rung] = 1.0
    return xr, (w * y) @ onehot, w @ onehot


def isotonic_log2_h50(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """log2 h50 (+-inf beyond the tested range) for each row of weights w (B, n)."""
    xr, succ, count = _rung_tallies(x, y, w)
    return crossing(xr, succ, count)


# --- METR's logistic, kept for comparison ----------------------------------------------------


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


def logistic_log2_h50(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """log2 h50 = -a/b of each weighted logistic fit; a fit whose curve does not fall (b >= 0)
    counts as +inf when its mean fitted success over the tested h is at least 50%, else -inf;
    a horizon beyond the cap is +-inf too."""
    beta = fit_logistic(x, y, w)
    a, b = beta[:, 0], beta[:, 1]
    eta = a[:, None] + b[:, None] * np.asarray(x, dtype=float)[None, :]
    above = (1.0 / (1.0 + np.exp(-np.clip(eta, -30, 30)))).mean(axis=1) >= 0.5
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(b < 0, -a / b, np.where(above, np.inf, -np.inf))
    return np.where(out >= _CAP, np.inf, np.where(out <= -_CAP, -np.inf, out))


_ESTIMATORS = {"isotonic": isotonic_log2_h50, "logistic": logistic_log2_h50}


# --- estimate and interval -------------------------------------------------------------------


@dataclass(frozen=True)
class H50:
    """log2 h50 with its CI. point is -inf / +inf when censored below / above the tested h;
    lo may be -inf (no lower limit: h50 may be near 0) and hi +inf (no upper limit)."""

    point: float
    lo: float
    hi: float
    reps: np.ndarray  # bootstrap replicates of log2 h50 (+-inf beyond the tested range)
    x_min: float
    x_max: float

    @property
    def bound(self) -> Literal["", "below", "above"]:
        return "below" if self.point == -np.inf else "above" if self.point == np.inf else ""


def h50_interval(
    point: float, reps: np.ndarray, n: int, level: float, x_min: float, x_max: float
) -> tuple[float, float]:
    """The percentile interval of log2 h50 replicates. A replicate below the tested range
    counts as x_min for the upper limit (h50 is below the smallest h tested) and one above it
    as x_max for the lower limit; the interval is widened around a finite point by
    sqrt(n/(n-1)) t_{n-1}/z over n samples (with few samples the plain percentile interval is
    too narrow). An infinite limit stays infinite: a one-sided bound."""
    a = (1 - level) / 2
    reps = np.asarray(reps, dtype=float)
    reps = reps[~np.isnan(reps)]
    if reps.size < 10:
        return (np.nan, np.nan)
    lo = float(np.quantile(np.where(reps == np.inf, x_max, reps), a, method="inverted_cdf"))
    hi = float(np.quantile(np.where(reps == -np.inf, x_min, reps), 1 - a, method="inverted_cdf"))
    if np.isfinite(point):
        f = expansion(n, level)
        lo = point - f * (point - lo) if np.isfinite(lo) else lo
        hi = point + f * (hi - point) if np.isfinite(hi) else hi
    return lo, hi


def estimate_h50(
    x: np.ndarray,
    y: np.ndarray,
    codes: np.ndarray,
    *,
    n_boot: int,
    rng: np.random.Generator,
    level: float,
    method: Method = "isotonic",
) -> H50:
    """h50 from success y at x = log2 h, with samples (clusters) `codes` resampled together."""
    estimator = _ESTIMATORS[method]
    n = int(codes.max()) + 1
    point = float(estimator(x, y, np.ones((1, x.size)))[0])
    reps = estimator(x, y, cluster_weights(rng, n, n_boot)[:, codes])
    x_min, x_max = float(x.min()), float(x.max())
    lo, hi = h50_interval(point, reps, n, level, x_min, x_max)
    return H50(point, lo, hi, reps, x_min, x_max)


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


def _pow2(v: float) -> float:
    return 0.0 if v == -np.inf else float(2.0**v)


def _edge_note(h: np.ndarray, y: np.ndarray, at: float) -> str:
    mask = h == at
    return f"{int(y[mask].sum())} of {int(mask.sum())} rows succeeded at h = {at:g}"


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
    method: Method = "isotonic",
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
    codes = pd.factorize(rows["sample_id"])[0]
    row["p_step"] = fit_p_step(h, y)
    est = estimate_h50(np.log2(h), y, codes, n_boot=n_boot, rng=rng, level=level, method=method)
    row.update(h50_ci_low=_pow2(est.lo), h50_ci_high=_pow2(est.hi))
    if est.bound == "above":
        row.update(
            status="censored",
            reason=f"h50 > {h.max():g}, beyond the largest h tested, a bound and not an "
            f"estimate ({_edge_note(h, y, h.max())})",
        )
    elif est.bound == "below":
        row.update(
            status="censored",
            reason=f"h50 < {h.min():g}, below the smallest h tested, a bound and not an "
            f"estimate ({_edge_note(h, y, h.min())})",
        )
    else:
        row["h50"] = _pow2(est.point)
    return HorizonFit(row, est.reps)


def horizons(
    samples: pd.DataFrame,
    *,
    n_boot: int = 500,
    seed: int = 0,
    level: float = 0.95,
    min_rows: int = MIN_ROWS,
    method: Method = "isotonic",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-model horizons, open-closed horizon gap per suite) over suites whose rows carry h.

    method: "isotonic" (the monotone success curve's 50% crossing; the default) or
    "logistic" (METR's fit against log2 h, biased when per-step errors compound)."""
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
                method=method,
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
            row.update(
                status="insufficient",
                reason="needs a horizon inside the tested range on both sides",
            )
        else:
            ch, oh = float(c.row["h50"]), float(o.row["h50"])  # type: ignore[arg-type]
            lo, hi = _difference_ci(c.reps, o.reps, level)
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


def _difference_ci(c: np.ndarray, o: np.ndarray, level: float) -> tuple[float, float]:
    """Percentile CI of log2(closed / open) from independent replicates; a replicate beyond
    the tested range makes that side of the interval unbounded rather than being dropped."""
    with np.errstate(invalid="ignore"):
        d = c - o
    d = d[~np.isnan(d)]  # both beyond the same end: no information about the ratio
    if d.size < 10:
        return (np.nan, np.nan)
    a = (1 - level) / 2
    lo, hi = np.quantile(d, [a, 1 - a], method="inverted_cdf")
    return float(lo), float(hi)
