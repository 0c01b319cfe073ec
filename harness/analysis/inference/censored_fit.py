"""The censored-data estimator of the `bounds` rule: a weighted maximum-likelihood normal fit
to interval-censored values (exact values, lower bounds, upper bounds).

It is the estimate `scipy.stats.norm.fit(scipy.stats.CensoredData(...))` gives, solved here
with datapoint weights and vectorised over bootstrap replicates (a test checks the two agree).
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr

SIGMA_FLOOR = 0.05  # months: the fit's spread may not collapse onto a single exact value


def censored_normal_fit(
    lo: np.ndarray,
    hi: np.ndarray,
    w: np.ndarray,
    *,
    iters: int = 60,
    start: tuple[float, float] | tuple[np.ndarray, np.ndarray] | None = None,
    tol: float = 1e-6,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted maximum-likelihood normal (mu, sigma) for interval-censored values.

    lo, hi: (n,) bounds of each value (lo == hi exact, lo = -inf left-, hi = +inf
    right-censored). w: (n,) or (B, n) weights, one fit per row (a bootstrap replicate's
    counts times the averaging weights). start: (mu, sigma) to start from, one pair or one
    per row (bootstrap replicates start at their point estimate, a few Newton steps away);
    a row whose start is not finite starts from its exact values' moments. tol: convergence in
    months (bootstrap replicates need less precision than a point estimate). Returns (mu, sigma), each (B,); NaN where a row has
    no exact value with positive weight (only bounds: the location is not identified).

    Newton steps in Olsen's parameters (delta = mu/sigma, eta = 1/sigma), where the censored
    normal log-likelihood is concave, so the steps converge from any start; with unit
    weights the result is scipy.stats.norm.fit(CensoredData(...)).
    """
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    W = np.atleast_2d(np.asarray(w, dtype=float))
    exact = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
    right = np.isfinite(lo) & ~np.isfinite(hi)
    left = ~np.isfinite(lo) & np.isfinite(hi)
    cen = right | left
    # exact values enter through their weighted sums only (sufficient statistics)
    x = lo[exact]
    We = W[:, exact]
    sw, sx, sxx = We.sum(axis=1), We @ x, We @ (x * x)
    # censored values: v = g * (delta - eta * c), loglik log Phi(v)
    c = np.where(right, lo, hi)[cen]
    g = np.where(right, 1.0, -1.0)[cen]
    Wc = W[:, cen]
    ok = sw > 0
    safe = np.maximum(sw, 1e-300)
    mu0 = sx / safe
    sd0 = np.maximum(np.sqrt(np.maximum(sxx / safe - mu0**2, 0.0)), 1.0)
    if start is not None:
        m_s = np.broadcast_to(np.asarray(start[0], dtype=float), sw.shape)
        s_s = np.broadcast_to(np.asarray(start[1], dtype=float), sw.shape)
        use = np.isfinite(m_s) & np.isfinite(s_s) & (s_s > 0)
        mu0 = np.where(use, m_s, mu0)
        sd0 = np.where(use, np.maximum(s_s, SIGMA_FLOOR), sd0)
    delta, eta = np.array(mu0 / sd0, dtype=float), np.array(1.0 / sd0, dtype=float)
    eta_max = 1.0 / SIGMA_FLOOR

    half_log_2pi = 0.5 * np.log(2 * np.pi)

    def state(
        r: np.ndarray, d: np.ndarray, e: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log-likelihood, v, log Phi(v)) of rows r at (d, e); log_ndtr is the costly part."""
        v = g * (d[:, None] - e[:, None] * c)
        lphi = log_ndtr(v)
        le = sw[r] * np.log(e) - 0.5 * (e * e * sxx[r] - 2 * e * d * sx[r] + d * d * sw[r])
        return le + (Wc[r] * lphi).sum(axis=1), v, lphi

    # Newton steps on the rows not yet converged (most bootstrap rows need 2-3)
    act = np.flatnonzero(ok)
    ll, v, lphi = state(act, delta[act], eta[act])
    for _ in range(iters):
        if not act.size:
            break
        d0, e0, wc = delta[act], eta[act], Wc[act]
        m = np.exp(-0.5 * v**2 - half_log_2pi - lphi)  # phi(v) / Phi(v)
        wm = wc * m
        k = wm * (v + m)
        Gd = e0 * sx[act] - d0 * sw[act] + wm @ g
        Ge = sw[act] / e0 - (e0 * sxx[act] - d0 * sx[act]) - (wm * g) @ c
        Hdd = -sw[act] - k.sum(axis=1)
        Hde = sx[act] + k @ c
        Hee = -sw[act] / e0**2 - sxx[act] - k @ (c * c)
        det = Hdd * Hee - Hde**2
        det = np.where(np.abs(det) < 1e-300, -1e-300, det)
        sd = -(Hee * Gd - Hde * Ge) / det
        se = -(-Hde * Gd + Hdd * Ge) / det
        step = np.ones_like(d0)
        new_d, new_e = d0 + sd, np.clip(e0 + se, 1e-9, eta_max)
        new_ll, new_v, new_l = state(act, new_d, new_e)
        for _h in range(30):  # halve the step until the likelihood does not fall
            worse = ~(new_ll >= ll - 1e-12)
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
            new_d = np.where(worse, d0 + step * sd, new_d)
            new_e = np.where(worse, np.clip(e0 + step * se, 1e-9, eta_max), new_e)
            hl, hv, hlp = state(act, new_d, new_e)
            new_ll = np.where(worse, hl, new_ll)
            new_v = np.where(worse[:, None], hv, new_v)
            new_l = np.where(worse[:, None], hlp, new_l)
        # converged when mu = delta/eta and sigma = 1/eta move by under tol (months)
        change = np.abs(new_d / new_e - d0 / e0) + np.abs(1 / new_e - 1 / e0)
        delta[act], eta[act] = new_d, new_e
        going = change >= tol
        act, ll, v, lphi = act[going], new_ll[going], new_v[going], new_l[going]
    mu = np.where(ok, delta / eta, np.nan)
    sigma = np.where(ok, 1.0 / eta, np.nan)
    return mu, sigma
