"""Render ReportTables into a self-contained static site: HTML, SVG figures, CSV data.

Layout of a rendered report (all links relative, so the folder can be published as is):

    index.html            headline, scores, understatement D, frontier, gap/lag, horizons, pass^k
    report.css            the only stylesheet (no CDN, no JavaScript)
    figures/*.svg         matplotlib figures
    models/<slug>.html    one page per model in scores / horizons / pass^k
    suites/<slug>.html    one page per suite or benchmark
    data/<table>.csv      every table of ReportTables, exactly as analysis returned it

Everything taken from data goes through Jinja2 with autoescape on: model ids, suite names and
messages are untrusted and may contain HTML.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from harness.analysis.tables import ReportTables, empty
from harness.report import _format as fmt
from harness.report import figures as figs
from harness.report._atomic import atomic_dir


def _table_fields() -> dict[str, list[str]]:
    """Each DataFrame field of ReportTables with its documented columns (from its default).

    Read from the dataclass itself so that a table analysis adds is written to data/ without
    a change here.
    """
    out: dict[str, list[str]] = {}
    for f in dataclasses.fields(ReportTables):
        if f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
            if isinstance(default, pd.DataFrame):
                out[f.name] = [str(c) for c in default.columns]
    return out


_COLUMNS = _table_fields()
TABLE_NAMES: tuple[str, ...] = tuple(_COLUMNS)
# Long tables (frontier, gaps, lags, catch-up) are cut on the index and shown whole on the
# suite pages and in data/.
INDEX_ROW_LIMIT = 50
# Imported leaderboards bring hundreds of models: the index then shows own runs first and
# leaves the full lists to the suite pages and data/scores.csv.
INDEX_SCORES_LIMIT = 200
MATRIX_MAX_MODELS = 60


def render_report(
    tables: ReportTables, out_dir: Path, *, headline: list[str] | None = None, name: str = "report"
) -> Path:
    """Write the report into `out_dir` (replaced whole, atomically) and return its index.html."""
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        _Site(tables, tmp, headline or [], name).write()
    return out_dir.resolve() / "index.html"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("harness.report", "templates"),
        autoescape=True,  # every template, whatever its extension: data is untrusted
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt.num,
        signed=fmt.signed,
        pct=fmt.pct,
        integer=fmt.integer,
        pvalue=fmt.pvalue,
        months=fmt.months,
        day=fmt.day,
        text=fmt.text,
    )
    env.globals.update(
        ci=fmt.ci,
        digits_for=fmt.digits_for,
        missing=fmt.is_missing,
        insufficient=_insufficient,
        unused=_unused,
    )
    return env


def _insufficient(row: dict[str, Any]) -> bool:
    return str(row.get("status") or "") == "insufficient"


def _unused(row: dict[str, Any]) -> bool:
    """A row analysis computed but left out of an estimate (optional `used` column)."""
    used = row.get("used")
    return used is not None and not bool(used)


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value (NaN, NA, NaT) turned into None."""
    return [
        {k: (None if fmt.is_missing(v) else v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


def _sorted(df: pd.DataFrame, by: list[str], ascending: list[bool] | bool = True) -> pd.DataFrame:
    cols = [c for c in by if c in df.columns]
    if df.empty or not cols:
        return df
    asc = (
        ascending
        if isinstance(ascending, bool)
        else [a for c, a in zip(by, ascending, strict=True) if c in cols]
    )
    keyed = df.copy()
    for c in cols:  # object columns of numbers sort as numbers; anything else as text
        if pd.api.types.is_numeric_dtype(keyed[c]):
            continue
        as_num = pd.to_numeric(keyed[c], errors="coerce")
        if as_num.notna().sum() == keyed[c].notna().sum():
            keyed[c] = as_num
        else:  # mixed types (str ids, dates, NaN) must not make sorting raise
            keyed[c] = keyed[c].map(lambda v: "" if fmt.is_missing(v) else str(v))
    order = keyed.sort_values(cols, ascending=asc, na_position="last", kind="stable").index
    return df.loc[order]


def _where(df: pd.DataFrame, column: str, value: str) -> pd.DataFrame:
    if df.empty or column not in df.columns:
        return df.iloc[0:0]
    return df[df[column].astype(str) == value]


def _normalised(tables: ReportTables) -> ReportTables:
    """Each table with at least its documented columns (missing ones filled with None)."""
    fixed = {}
    for name, columns in _COLUMNS.items():
        df: pd.DataFrame = getattr(tables, name)
        if df is None:
            df = empty(columns)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            df = df.assign(**{c: None for c in missing})
        fixed[name] = df.reset_index(drop=True)
    return dataclasses.replace(tables, **fixed)


class _Site:
    def __init__(self, tables: ReportTables, root: Path, headline: list[str], name: str) -> None:
        self.original = tables
        self.t = tables = _normalised(tables)
        self.root = root
        self.env = _environment()
        generated = tables.generated_at or datetime.now(UTC)
        self.common: dict[str, Any] = {
            "report_name": name,
            "title": tables.title,
            "generated": fmt.timestamp(generated),
            "headline": [str(h) for h in headline],
            "row_limit": INDEX_ROW_LIMIT,
        }
        scores = _sorted(tables.scores, ["suite", "score", "model_id"], [True, False, True])
        self.scores = scores
        model_ids = [
            *tables.scores.get("model_id", []),
            *tables.horizons.get("model_id", []),
            *tables.passk.get("model_id", []),
        ]
        suite_ids = [
            *tables.scores.get("suite", []),
            *tables.frontier.get("benchmark", []),
            *tables.gaps.get("benchmark", []),
            *tables.lags.get("benchmark", []),
            *tables.catchup.get("benchmark", []),
            *tables.horizons.get("suite", []),
            *tables.passk.get("suite", []),
        ]
        self.model_pages = {
            m: f"models/{fmt.slug(m)}.html" for m in sorted({str(m) for m in model_ids})
        }
        self.suite_pages = {
            s: f"suites/{fmt.slug(s)}.html" for s in sorted({str(s) for s in suite_ids})
        }
        self.rows = self._records()
        self._groups: dict[tuple[str, tuple[str, ...]], dict[str, list[dict[str, Any]]]] = {}

    # -- output -----------------------------------------------------------------------------
    def write(self) -> None:
        css = resources.files("harness.report").joinpath("static", "report.css").read_text("utf-8")
        (self.root / "report.css").write_text(css, encoding="utf-8")
        data = self._write_data()
        self._page("index.html", "index.html", "", data=data, **self._index())
        for model_id, rel in self.model_pages.items():
            self._page(rel, "model.html", "../", **self._model(model_id))
        for suite, rel in self.suite_pages.items():
            self._page(rel, "suite.html", "../", **self._suite(suite, rel))

    def _page(self, rel: str, template: str, root: str, **context: Any) -> None:
        html = self.env.get_template(template).render(
            **self.common,
            root=root,
            model_pages=self.model_pages,
            suite_pages=self.suite_pages,
            **context,
        )
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")

    def _write_data(self) -> list[dict[str, Any]]:
        (self.root / "data").mkdir()
        files = []
        for table in TABLE_NAMES:
            # the data files hold the tables exactly as analysis returned them
            df: pd.DataFrame = getattr(self.original, table)
            if df is None:
                df = empty(_COLUMNS.get(table, []))
            rel = f"data/{table}.csv"
            df.to_csv(self.root / rel, index=False)
            files.append({"name": table, "path": rel, "rows": len(df)})
        return files

    # -- page contexts ---------------------------------------------------------------------
    # Every table is turned into records once, in display order; pages take their rows from
    # these lists (filtering keeps the order), which keeps a report with hundreds of models
    # to a few seconds.
    def _records(self) -> dict[str, list[dict[str, Any]]]:
        t = self.t
        order: dict[str, tuple[list[str], list[bool] | bool]] = {
            "understatement": (["measure", "window_start"], True),
            "frontier": (["kind", "benchmark", "access", "date"], True),
            "gaps": (["kind", "benchmark", "date"], True),
            "lags": (["kind", "benchmark", "threshold"], True),
            "horizons": (["suite", "h50"], [True, False]),
            "passk": (["suite", "model_id", "k"], True),
            "ladder": (["closed_model", "open_model", "h"], True),
            "catchup": (["kind", "benchmark", "scale", "level_low"], True),
            "horizon_gap": (["suite", "closed_model", "open_model"], True),
            "flags": (["scope", "item"], True),
        }
        out = {"scores": records(self.scores)}
        for name in _COLUMNS:
            if name != "scores":
                by, asc = order.get(name, ([], True))
                out[name] = records(_sorted(getattr(t, name), by, asc))
        return out

    def _index(self) -> dict[str, Any]:
        t = self.t
        own_first = sorted(self.rows["scores"], key=lambda r: r.get("source") != "own")
        return {
            **self.rows,
            "scores": own_first,
            "scores_limit": INDEX_SCORES_LIMIT,
            "matrix": self._matrix(),
            "fig": {
                "scores": figs.scores_figure(t.scores, self.root, "figures/scores.svg"),
                "understatement": figs.understatement_figure(
                    t.understatement, self.root, "figures/understatement.svg"
                ),
                "frontier": figs.frontier_figure(t.frontier, self.root, "figures/frontier.svg"),
                "gaps": figs.gaps_figure(t.gaps, self.root, "figures/gaps.svg"),
                "lags": figs.lags_figure(t.lags, self.root, "figures/lags.svg"),
                "horizons": figs.horizons_figure(t.horizons, self.root, "figures/horizons.svg"),
            },
        }

    def _matrix(self) -> dict[str, Any]:
        """Model x suite overview: one cell per pair; pairs with several rows say so.

        Built from own runs when there are any (imported leaderboards make it sparse), and
        left out when it would list more than MATRIX_MAX_MODELS models.
        """
        rows = [r for r in self.rows["scores"] if r.get("source") == "own"] or self.rows["scores"]
        n_models = len({str(r["model_id"]) for r in rows})
        if n_models > MATRIX_MAX_MODELS:
            return {"suites": [], "rows": [], "omitted": n_models}
        suites = sorted({str(r["suite"]) for r in rows})
        cells: dict[tuple[str, str], list[dict[str, Any]]] = {}
        access: dict[str, Any] = {}
        for r in rows:
            cells.setdefault((str(r["model_id"]), str(r["suite"])), []).append(r)
            access.setdefault(str(r["model_id"]), r["access"])
        models = sorted(access, key=lambda m: (str(access[m] or ""), m))
        return {
            "omitted": 0,
            "suites": suites,
            "rows": [
                {
                    "model_id": m,
                    "access": access[m],
                    "cells": [cells.get((m, s), []) for s in suites],
                }
                for m in models
            ],
        }

    def _pick(self, table: str, value: str, *columns: str) -> list[dict[str, Any]]:
        """Rows of `table` where any of `columns` equals `value` (as text)."""
        key = (table, columns)
        if key not in self._groups:
            groups: dict[str, list[dict[str, Any]]] = {}
            for r in self.rows[table]:
                for v in {str(r[c]) for c in columns if r.get(c) is not None}:
                    groups.setdefault(v, []).append(r)
            self._groups[key] = groups
        return self._groups[key].get(value, [])

    def _model(self, model_id: str) -> dict[str, Any]:
        scores = self._pick("scores", model_id, "model_id")
        horizons = self._pick("horizons", model_id, "model_id")
        first = scores[:1] or horizons[:1]
        return {
            "model_id": model_id,
            "card": first[0] if first else {},
            "scores": scores,
            "horizons": horizons,
            "passk": self._pick("passk", model_id, "model_id"),
            "ladder": self._pick("ladder", model_id, "closed_model", "open_model"),
            "frontier": self._pick("frontier", model_id, "model_id"),
        }

    def _suite(self, suite: str, rel: str) -> dict[str, Any]:
        scores = self._pick("scores", suite, "suite")
        frontier = self._pick("frontier", suite, "benchmark")
        kinds = sorted({str(r["kind"]) for r in [*scores, *frontier] if r.get("kind") is not None})
        fig = None
        if scores:
            fig_rel = f"figures/suite-{Path(rel).stem}.svg"
            fig = figs.scores_figure(_where(self.scores, "suite", suite), self.root, fig_rel)
        return {
            "suite": suite,
            "kinds": kinds,
            "scores": scores,
            "fig": fig,
            "frontier": frontier,
            "gaps": self._pick("gaps", suite, "benchmark"),
            "lags": self._pick("lags", suite, "benchmark"),
            "horizons": self._pick("horizons", suite, "suite"),
            "passk": self._pick("passk", suite, "suite"),
            "catchup": self._pick("catchup", suite, "benchmark"),
            "horizon_gap": self._pick("horizon_gap", suite, "suite"),
            "flags": self._pick("flags", suite, "item"),
        }
