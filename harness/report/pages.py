"""What the index, suite and model pages show: rows chosen and ordered, figure jobs named.

Selection only (which rows, in which order, which figure draws which rows); the numbers
are analysis's, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from harness.report import _format as fmt
from harness.report.figures import FigureJob
from harness.report.tables import is_fraction

# Long tables (frontier, gaps, lags, catch-up) are cut on the index and shown whole on the
# suite pages and in data/.
INDEX_ROW_LIMIT = 50
# Imported leaderboards bring hundreds of models: the index then shows own runs first and
# leaves the full lists to the suite pages and data/scores.csv.
INDEX_SCORES_LIMIT = 200
MATRIX_MAX_MODELS = 60
MAX_BARS = 20  # models per score panel
MAX_PANELS = 6  # suites in the index's score figure


@dataclass
class Links:
    """Where each model, suite, run and sample has its page (relative to the report root)."""

    models: dict[str, str] = field(default_factory=dict)
    suites: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)
    samples: dict[str, str] = field(default_factory=dict)
    # (model_id, suite, suite_version) -> own run ids, for the matrix and score rows
    cell_runs: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)  # "imported:epoch" -> method anchor

    def runs_of(self, row: dict[str, Any]) -> list[str]:
        key = (str(row.get("model_id")), str(row.get("suite")), str(row.get("suite_version")))
        return self.cell_runs.get(key, [])


def own_first(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r.get("source") != "own")


def matrix(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Model x suite overview: one cell per pair, linked to its run page.

    Built from own runs when there are any (imported leaderboards make it sparse), and left
    out when it would list more than MATRIX_MAX_MODELS models.
    """
    mine = [r for r in rows if r.get("source") == "own"] or rows
    n_models = len({str(r["model_id"]) for r in mine})
    if n_models > MATRIX_MAX_MODELS:
        return {"suites": [], "rows": [], "omitted": n_models}
    suites = sorted({str(r["suite"]) for r in mine})
    cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
    access: dict[str, Any] = {}
    for r in mine:
        cells.setdefault((str(r["model_id"]), str(r["suite"])), []).append(r)
        access.setdefault(str(r["model_id"]), r["access"])
    models = sorted(access, key=lambda m: (str(access[m] or ""), m))
    return {
        "omitted": 0,
        "suites": suites,
        "rows": [
            {"model_id": m, "access": access[m], "cells": [cells.get((m, s), []) for s in suites]}
            for m in models
        ],
    }


def _bars_table(rows: list[dict[str, Any]], scale_of: dict[str, str]) -> pd.DataFrame:
    """Score rows for a bar figure: fraction scale only, own runs first, best first."""
    keep = [r for r in rows if r.get("score") is not None and is_fraction(r, scale_of)]
    out: list[dict[str, Any]] = []
    for suite in dict.fromkeys(str(r["suite"]) for r in keep):
        part = [r for r in keep if str(r["suite"]) == suite]
        part.sort(key=lambda r: (r.get("source") != "own", -float(r["score"])))
        out.extend(part[:MAX_BARS])
    cols = ["suite", "model_id", "access", "source", "score", "ci_low", "ci_high", "null_baseline"]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in out], columns=cols)


def index_jobs(
    curve: pd.DataFrame,
    curve_title: str,
    ordered: dict[str, pd.DataFrame],
    rows: dict[str, list[dict[str, Any]]],
    scale_of: dict[str, str],
) -> dict[str, FigureJob]:
    """The index's figures by role; the verdict figure first (it is above the fold)."""
    jobs: dict[str, FigureJob] = {}
    if not curve.empty:
        jobs["verdict"] = FigureJob(
            "spec_curve", "figures/spec-curve.svg", curve, (("title", curve_title),)
        )
        jobs["understatement"] = FigureJob(
            "understatement", "figures/understatement.svg", ordered["understatement"]
        )
    else:
        jobs["verdict"] = FigureJob(
            "understatement", "figures/understatement.svg", ordered["understatement"]
        )
    jobs["gap_over_time"] = FigureJob(
        "gap_over_time", "figures/gap-over-time.svg", ordered["trend"]
    )
    jobs["horizon_minutes"] = FigureJob(
        "horizon_minutes", "figures/horizon-minutes.svg", ordered["published_horizons"]
    )
    # the answer's history: D once per Epoch hub snapshot (nothing drawn below two)
    jobs["history"] = FigureJob("d_history", "figures/d-history.svg", ordered["history"])
    own = [r for r in rows["scores"] if r.get("source") == "own"]
    own_suites = list(dict.fromkeys(str(r["suite"]) for r in own))[:MAX_PANELS]
    shown = [r for r in rows["scores"] if str(r["suite"]) in own_suites]
    jobs["your_runs"] = FigureJob(
        "score_bars", "figures/your-runs.svg", _bars_table(own_first(shown), scale_of)
    )
    ok_h = ordered["horizons"]
    if "status" in ok_h.columns:
        ok_h = ok_h[ok_h["status"].astype(str) != "insufficient"]
    jobs["horizon_steps"] = FigureJob("horizon_steps", "figures/horizon-steps.svg", ok_h)
    if not ordered["drift"].empty:
        jobs["drift"] = FigureJob("drift", "figures/drift.svg", ordered["drift"])
    return jobs


def suite_jobs(
    suite: str,
    stem: str,
    picked: dict[str, list[dict[str, Any]]],
    scale_of: dict[str, str],
) -> dict[str, FigureJob]:
    """A suite page's figures: its frontier and gap over time, and its scores as bars."""
    jobs: dict[str, FigureJob] = {}
    scale = scale_of.get(suite, "fraction")
    if picked["frontier"]:
        long: list[dict[str, Any]] = []
        for r in picked["scores"]:
            if r.get("score") is None or r.get("release_date") is None:
                continue
            long.append(
                {
                    "series": "own" if r.get("source") == "own" else "model",
                    "access": r.get("access"),
                    "date": r.get("release_date"),
                    "value": r.get("score"),
                    "model_id": r.get("model_id"),
                }
            )
        for r in picked["frontier"]:
            long.append(
                {
                    "series": "frontier",
                    "access": r.get("access"),
                    "date": r.get("date"),
                    "value": r.get("score"),
                    "model_id": r.get("model_id"),
                }
            )
        for r in picked["gaps"]:
            long.append(
                {"series": "gap", "access": None, "date": r.get("date"), "value": r.get("gap")}
            )
        for r in picked["lags"]:
            if r.get("used") is None or bool(r.get("used")):
                long.append(
                    {
                        "series": "lag",
                        "access": None,
                        "date": r.get("open_date"),
                        "value": r.get("lag_months"),
                    }
                )
        cols = ["series", "access", "date", "value", "model_id"]
        jobs["timeline"] = FigureJob(
            "suite_timeline",
            f"figures/suite-{stem}.svg",
            pd.DataFrame(long, columns=cols),
            (("title", suite), ("scale", scale)),
        )
    if picked["published_horizons"]:
        cols = ["benchmark", "model_id", "access", "release_date", "minutes", "frontier"]
        jobs["minutes"] = FigureJob(
            "horizon_minutes",
            f"figures/minutes-{stem}.svg",
            pd.DataFrame(
                [{c: r.get(c) for c in cols} for r in picked["published_horizons"]], columns=cols
            ),
        )
    has_own = any(r.get("source") == "own" for r in picked["scores"])
    if picked["scores"] and (has_own or not picked["frontier"]):
        jobs["bars"] = FigureJob(
            "score_bars",
            f"figures/scores-{stem}.svg",
            _bars_table(own_first(picked["scores"]), scale_of),
            (("title", f"Scores on {suite}"),),
        )
    return jobs


def model_card(scores: list[dict[str, Any]], horizons: list[dict[str, Any]]) -> dict[str, Any]:
    first = scores[:1] or horizons[:1]
    return first[0] if first else {}


def slug_pages(prefix: str, names: list[str]) -> dict[str, str]:
    return {n: f"{prefix}/{fmt.slug(n)}.html" for n in sorted(set(names))}
