"""Calibration: a model scored both by gapbench (an own run of a hub suite) and by the
publisher on the same benchmark, the difference with both intervals, and a verdict.

Each own score of a hub suite (its newest version) is paired with the model's published
score on the suite's benchmark:
- by its card's `published_names` (Epoch's "Model version" strings, one per reasoning-effort
  variant): the first name with a published score, that variant's own score (not the best
  over variants, which may be another reasoning budget than the one gapbench ran);
- else by name: the published model whose identity key (`measures.identity.parse`) is the
  registry id's, at its best variant (the row's `published_model` names which one).

Intervals, each named where it is shown: the own score's Wilson interval with an effective n
over repeated epochs, the published score +- z se clipped to [0, 1] (`intervals`). The
difference (own - published) gets the MOVER interval built from those two (Newcombe 1998's
square-and-add, Zou & Donner 2008): lower = d - sqrt((p1 - l1)^2 + (u2 - p2)^2), upper = d +
sqrt((u1 - p1)^2 + (p2 - l2)^2). It is exact where the two intervals are, asymmetric where
they are, and neither "do the two intervals overlap" (too lenient: two 95% intervals can
overlap while the difference is clear) nor "is one point outside the other's interval" (too
strict: it ignores the other side's uncertainty). Without a published standard error the
published score is taken as exact and the own interval alone decides. "disagree": the
difference's interval excludes 0, a protocol difference to explain before the benchmark's own
points are pooled. "uncalibrated": the card names the variants gapbench runs, none of them
was scored on this benchmark, and the publisher scored the model under another one (shown,
not compared: another reasoning budget is another protocol); it neither confirms nor flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from harness.analysis._common import AGGREGATE_ID
from harness.analysis.columns import empty
from harness.analysis.measures.hub_links import NO_LINKS, HubLinks, version_key
from harness.analysis.measures.identity import parse
from harness.analysis.measures.scores import model_scores

CALIBRATION_COLUMNS = [
    "benchmark",
    "suite",
    "suite_version",
    "items",
    "model_id",
    "access",
    "published_model",
    "matched_by",
    "own_score",
    "own_ci_low",
    "own_ci_high",
    "own_ci_method",
    "own_n",
    "published_score",
    "published_ci_low",
    "published_ci_high",
    "published_ci_method",
    "difference",
    "diff_ci_low",
    "diff_ci_high",
    "diff_ci_method",
    "verdict",
]
DIFF_MOVER = (
    "MOVER (Newcombe's square-and-add) from the own and the published interval: "
    "d - sqrt((p1-l1)^2 + (u2-p2)^2) to d + sqrt((u1-p1)^2 + (p2-l2)^2)"
)
DIFF_OWN_ONLY = (
    "the own interval alone (no published standard error: published score taken as exact)"
)
AGREE, DISAGREE, UNCALIBRATED = "agree", "disagree", "uncalibrated"


def mover(
    own: tuple[float, float, float], published: tuple[float, float, float]
) -> tuple[float, float, float, str]:
    """(difference, low, high, method) of own - published from (score, low, high) each.
    A published interval that is missing (NaN) is taken as exact (zero width)."""
    p1, l1, u1 = own
    p2, l2, u2 = published
    d = p1 - p2
    if not (np.isfinite(l2) and np.isfinite(u2)):
        return d, d - (p1 - l1), d + (u1 - p1), DIFF_OWN_ONLY
    lo = d - float(np.hypot(p1 - l1, u2 - p2))
    hi = d + float(np.hypot(u1 - p1, p2 - l2))
    return d, lo, hi, DIFF_MOVER


def _newest(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the newest suite_version present (a published benchmark's current dump)."""
    if rows.empty:
        return rows
    v = rows["suite_version"].astype(str)
    return rows[v == max(v.unique(), key=version_key)]


def _variant_scores(samples: pd.DataFrame, benchmark: str, level: float) -> pd.DataFrame:
    """Published scores per variant (the id each was published under) on one benchmark."""
    if samples.empty or "variant" not in samples:
        return empty(["model_id"])
    rows = samples[
        samples["source"].astype(str).str.startswith("imported:")
        & (samples["suite"].astype(str) == benchmark)
        & (samples["sample_id"].astype(str) == AGGREGATE_ID)
    ]
    rows = _newest(rows)
    if rows.empty:
        return empty(["model_id"])
    as_variants = rows.assign(model_id=rows["variant"].astype(str)).drop(columns="variant")
    out = model_scores(as_variants, level=level)
    return out[out["status"] == "ok"]


def _published_match(
    model_id: str,
    links: HubLinks,
    groups: pd.DataFrame,
    variants: pd.DataFrame | None,
) -> tuple[dict[str, Any] | None, str]:
    """The published score row to compare an own score with, and how it was matched."""
    names = links.names_of(model_id)
    if names:
        if variants is not None and not variants.empty:
            by_id = {str(r["model_id"]): r for r in variants.to_dict("records")}
            for name in names:
                if name in by_id:
                    return by_id[name], "card (published_names)"
        return None, ""
    key = parse(model_id).key
    for r in groups.to_dict("records"):
        if parse(str(r["model_id"])).key == key:
            return r, "name"
    return None, ""


def _other_variant(model_id: str, links: HubLinks, groups: pd.DataFrame) -> dict[str, Any] | None:
    """The published score of the same model (by identity) under a variant the card does not
    name, when the card names its variants and none of them was scored here."""
    names = links.names_of(model_id)
    if not names:
        return None
    # the same model: the registry id's base name or a named variant's (gpt-5-2025-08-07)
    keys = {parse(model_id).key, *(parse(n).key for n in names)}
    for r in groups.to_dict("records"):
        if parse(str(r["model_id"])).key in keys:
            return r
    return None


def calibration_table(
    samples: pd.DataFrame,
    scores: pd.DataFrame,
    links: HubLinks | None,
    *,
    level: float = 0.95,
) -> pd.DataFrame:
    """One row per own score of a hub suite that has a published counterpart
    (CALIBRATION_COLUMNS; module doc). samples: the analysis's samples (identity-grouped,
    with `variant`); scores: model_scores of them."""
    links = links or NO_LINKS
    cols = CALIBRATION_COLUMNS
    if scores.empty or not links.suites:
        return empty(cols)
    source = scores["source"].astype(str)
    own = scores[(source == "own") & scores["suite"].astype(str).isin(set(links.suites))]
    own = own[own["status"] == "ok"]
    if own.empty:
        return empty(cols)
    published = scores[source.str.startswith("imported:") & (scores["status"] == "ok")]
    rows: list[dict[str, object]] = []
    variant_cache: dict[str, pd.DataFrame] = {}
    for suite, part in own.groupby(own["suite"].astype(str), sort=True):
        hub = links.suites[str(suite)]
        groups = _newest(published[published["suite"].astype(str) == hub.benchmark])
        if groups.empty:
            continue
        for r in _newest(part).to_dict("records"):
            model = str(r["model_id"])
            variants = None
            if links.names_of(model):
                if hub.benchmark not in variant_cache:
                    variant_cache[hub.benchmark] = _variant_scores(samples, hub.benchmark, level)
                variants = variant_cache[hub.benchmark]
            match, how = _published_match(model, links, groups, variants)
            compared = match is not None
            if match is None:
                # the card names the variant gapbench runs and the publisher scored only
                # another one here: another reasoning budget is another protocol, so no
                # difference, but the row says so rather than hiding the model
                match = _other_variant(model, links, groups)
                if match is None:
                    continue
                how = (
                    "not compared: the card's published_names ("
                    + ", ".join(links.names_of(model))
                    + ") have no score here"
                )
            o = (float(r["score"]), float(r["ci_low"]), float(r["ci_high"]))
            p = (float(match["score"]), float(match["ci_low"]), float(match["ci_high"]))
            d, lo, hi, method = mover(o, p) if compared else (np.nan, np.nan, np.nan, "")
            rows.append(
                {
                    "benchmark": hub.benchmark,
                    "suite": hub.suite,
                    "suite_version": r["suite_version"],
                    "items": hub.items,
                    "model_id": model,
                    "access": r["access"],
                    "published_model": str(match.get("variant") or match["model_id"]),
                    "matched_by": how,
                    "own_score": o[0],
                    "own_ci_low": o[1],
                    "own_ci_high": o[2],
                    "own_ci_method": r["ci_method"],
                    "own_n": int(r["n_samples"]),
                    "published_score": p[0],
                    "published_ci_low": p[1],
                    "published_ci_high": p[2],
                    "published_ci_method": match["ci_method"],
                    "difference": d,
                    "diff_ci_low": lo,
                    "diff_ci_high": hi,
                    "diff_ci_method": method,
                    "verdict": UNCALIBRATED
                    if not compared
                    else DISAGREE
                    if lo > 0 or hi < 0
                    else AGREE,
                }
            )
    return pd.DataFrame(rows, columns=cols) if rows else empty(cols)


def benchmark_verdicts(table: pd.DataFrame) -> dict[str, str]:
    """Published benchmark -> "disagree" (some model's scores disagree), "agree" (every
    model scored both ways agrees); benchmarks without a pair are absent ("uncalibrated"),
    and so are rows not compared (a model published only under another variant)."""
    out: dict[str, str] = {}
    for r in table.itertuples(index=False):
        if r.verdict == UNCALIBRATED:
            continue
        b = str(r.benchmark)
        if r.verdict == DISAGREE or out.get(b) == DISAGREE:
            out[b] = DISAGREE
        else:
            out[b] = AGREE
    return out
