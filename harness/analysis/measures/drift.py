"""Canary history and drift alerts: has a model changed behind the same name?

Every night the nightly sweep reruns a fixed canary subset of each suite for every closed
model (and for an open model when its deployment changes), bypassing the call cache. Each
such rerun is its own run (its own run_id), so the store keeps one canary "night" per run.

For each series (model, deployment, suite, suite version), nights are taken in time order
and each night is compared with its history: the nights since the series last alerted
(an alert starts a new regime, so a real change fires once, not every night after it).

The score test is a two-sample comparison of the night's canary scores with the history's
scores on the same items (a canary that errored tonight drops out of both sides):

    diff = mean(tonight) - mean(history)
    se   = max(se_sampling, se_between)
    se_sampling = sqrt(v * (1/n_tonight + 1/n_history)), v the pooled per-sample variance
                  (for 0/1 scores: the two-proportion z-test's p(1-p));
    se_between  = sd(history night means) * sqrt(1 + 1/k), with k >= 3 history nights:
                  the prediction error of one more night when nights vary by more than
                  sampling alone (a provider that is noisy night to night).
    alert when |diff| > 2 se.

A series whose items score the same every night has v = 0 and diff = 0 and never alerts;
any change in a perfectly stable series alerts only if it is beyond 2 se of the pooled
variance, so one item flipping among six does not (1/6 < 2 x 0.094) but a collapse does.

The snapshot test: the API's model name(s) on the night's rows (SampleRecord.model_snapshot)
differ from the last ones seen (a night whose calls all failed returns none, and does not hide
a change across it). Both tests feed the same `alert` column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.analysis.columns import DRIFT_COLUMNS, empty

Z_ALERT = 2.0  # alert beyond this many standard errors of the history
MIN_NIGHTS_FOR_SPREAD = 3  # history nights needed before their spread is used


SERIES = ["model_id", "deployment_id", "suite", "suite_version"]


@dataclass(frozen=True)
class _Night:
    run_id: str
    ran_at: pd.Timestamp
    access: str
    items: pd.Series  # score per sample_id (epochs averaged), scored canaries only
    snapshot: str


@dataclass(frozen=True)
class ScoreTest:
    diff: float
    se: float
    baseline: float

    @property
    def threshold(self) -> float:
        return Z_ALERT * self.se

    @property
    def z(self) -> float:
        if self.se > 0:
            return self.diff / self.se
        return 0.0 if self.diff == 0 else math.copysign(math.inf, self.diff)

    @property
    def alert(self) -> bool:
        return self.diff != 0 and abs(self.diff) > self.threshold


def score_test(tonight: pd.Series, history: list[pd.Series]) -> ScoreTest | None:
    """Compare tonight's per-item canary scores with the history's on the same items.

    `tonight` and each element of `history` map sample_id -> score (0..1). None when the
    history holds none of tonight's items.
    """
    items = tonight.index
    past = [h[h.index.isin(items)] for h in history]
    past = [p for p in past if len(p)]
    if not past or tonight.empty:
        return None
    x = tonight.to_numpy(dtype=float)
    y = np.concatenate([p.to_numpy(dtype=float) for p in past])
    diff = float(x.mean() - y.mean())
    pooled = np.concatenate([x, y])
    se_sampling = math.sqrt(float(pooled.var()) * (1 / len(x) + 1 / len(y)))
    se = se_sampling
    if len(past) >= MIN_NIGHTS_FOR_SPREAD:
        night_means = np.array([p.mean() for p in past])
        se = max(se, float(night_means.std(ddof=1)) * math.sqrt(1 + 1 / len(past)))
    return ScoreTest(diff=diff, se=se, baseline=float(y.mean()))


def canary_rows(samples: pd.DataFrame) -> pd.DataFrame:
    """The store's canary rows (own runs only); empty when the column is absent."""
    if samples.empty or "canary" not in samples.columns:
        return samples.iloc[0:0]
    mask = samples["canary"].fillna(False).astype(bool)
    if "source" in samples.columns:
        mask &= samples["source"].fillna("own") == "own"
    return samples.loc[mask]


def _nights(series: pd.DataFrame) -> list[_Night]:
    out = []
    when = pd.to_datetime(series["started_at"], utc=True, errors="coerce")
    if "finished_at" in series.columns:
        when = when.fillna(pd.to_datetime(series["finished_at"], utc=True, errors="coerce"))
    series = series.assign(_when=when)
    for run_id, night in series.groupby("run_id", sort=False):
        ok = night[night["status"].isin(["scored", "limit"]) & night["score"].notna()]
        items = ok.groupby("sample_id")["score"].mean().astype(float)
        snaps = sorted({str(s) for s in night["model_snapshot"].dropna() if str(s)})
        out.append(
            _Night(
                run_id=str(run_id),
                ran_at=night["_when"].min(),
                access=str(night["access"].iloc[0]),
                items=items,
                snapshot=", ".join(snaps),
            )
        )
    # Nights in the order they ran (a night whose rows carry no time goes first).
    out.sort(key=lambda n: (pd.isna(n.ran_at), n.ran_at if not pd.isna(n.ran_at) else 0))
    return out


def _series_rows(key: tuple[str, ...], nights: list[_Night]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    regime_start = 0
    previous = ""  # the last snapshot name seen (a night whose calls all failed has none)
    for i, night in enumerate(nights):
        test = score_test(night.items, [n.items for n in nights[regime_start:i]])
        snap_changed = bool(previous and night.snapshot and previous != night.snapshot)
        score_alert = bool(test and test.alert)
        reasons = []
        if score_alert and test is not None:
            reasons.append(
                f"canary score {night.items.mean():.3f} vs {test.baseline:.3f} before "
                f"({test.diff:+.3f}, beyond 2 SE = {test.threshold:.3f})"
            )
        if snap_changed:
            reasons.append(f"snapshot changed: {previous} -> {night.snapshot}")
        kind = "+".join(k for k, on in (("score", score_alert), ("snapshot", snap_changed)) if on)
        n = len(night.items)
        score = float(night.items.mean()) if n else math.nan
        se = float(night.items.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        rows.append(
            {
                "model_id": key[0],
                "access": night.access,
                "deployment_id": key[1],
                "suite": key[2],
                "suite_version": key[3],
                "run_id": night.run_id,
                "ran_at": night.ran_at,
                "n": n,
                "score": score,
                "se": se,
                "baseline": test.baseline if test else math.nan,
                "threshold": test.threshold if test else math.nan,
                "z": test.z if test else math.nan,
                "snapshot": night.snapshot,
                "alert": bool(kind),
                "kind": kind,
                "reason": "; ".join(reasons),
            }
        )
        if kind:
            regime_start = i  # the changed model is the new baseline
        previous = night.snapshot or previous
    return rows


def drift_table(samples: pd.DataFrame) -> pd.DataFrame:
    """Canary history per (model, deployment, suite, suite version), one row per night, with
    the drift test of each night against the nights before it (see the module docstring)."""
    rows = canary_rows(samples)
    if rows.empty:
        return empty(DRIFT_COLUMNS)
    out: list[dict[str, object]] = []
    for key, series in rows.groupby(SERIES, sort=True, dropna=False):
        out.extend(_series_rows(tuple(str(k) for k in key), _nights(series)))
    df = pd.DataFrame(out, columns=DRIFT_COLUMNS)
    df["alert"] = df["alert"].astype(bool)
    return df.reset_index(drop=True)


def alerts_for(drift: pd.DataFrame, run_ids: set[str] | frozenset[str]) -> pd.DataFrame:
    """The alerting rows among the given canary runs (tonight's)."""
    if drift.empty:
        return drift
    return drift[drift["alert"].astype(bool) & drift["run_id"].isin(list(run_ids))]
