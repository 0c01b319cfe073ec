"""The site writer: figures (cached, parallel), then every page, then the drill-down.

Every table is turned into records once, in display order; pages take their rows from these
lists (grouping keeps the order), which keeps a report with hundreds of models fast.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
import pyarrow.csv as pacsv

from harness._text import csv_safe_frame, csv_safe_table
from harness._types import Transcript
from harness.analysis.tables import empty
from harness.report import _format as fmt
from harness.report import answer as answer_view
from harness.report import drill, pages
from harness.report.figures import FigureJob, render_figures
from harness.report.inputs import ReportInput
from harness.report.tables import COLUMNS, TABLE_NAMES, normalised, ordered, records, scales

Progress = Callable[[str, int, int], None]


class Site:
    def __init__(
        self,
        report: ReportInput,
        root: Path,
        env: jinja2.Environment,
        *,
        cache_dir: Path | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.report = report
        self.root = root
        self.env = env
        self.cache_dir = cache_dir
        self.progress = progress
        self.t = normalised(report.tables)
        self.frames = ordered(self.t)
        self.rows = {name: records(df) for name, df in self.frames.items()}
        self.scale_of = scales(self.t)
        self.samples = drill.own_samples(report)
        self.runs = drill.run_table(report, self.samples)
        self.answer = answer_view.view(self.t.answer, report.headline, self._sources_text())
        self.links = self._links()
        self.run_rows = records(self.runs)
        self._groups: dict[tuple[str, tuple[str, ...]], dict[str, list[dict[str, Any]]]] = {}
        generated = self.t.generated_at or datetime.now(UTC)
        self.common: dict[str, Any] = {
            "report_name": report.name,
            "title": self.t.title,
            "generated": fmt.timestamp(generated),
            "links": self.links,
            "footer": self._footer(),
        }

    # -- links -----------------------------------------------------------------------------
    def _links(self) -> pages.Links:
        t = self.t
        model_ids = [
            *t.scores["model_id"],
            *t.horizons["model_id"],
            *t.passk["model_id"],
            *t.published_horizons["model_id"],
            *self.runs.get("model_id", []),
        ]
        suite_ids = [
            *t.scores["suite"],
            *t.frontier["benchmark"],
            *t.gaps["benchmark"],
            *t.lags["benchmark"],
            *t.catchup["benchmark"],
            *t.horizons["suite"],
            *t.passk["suite"],
            *t.published_horizons["benchmark"],
            *self.runs.get("suite", []),
        ]
        links = pages.Links(
            models=pages.slug_pages("models", [str(m) for m in model_ids if m is not None]),
            suites=pages.slug_pages("suites", [str(s) for s in suite_ids if s is not None]),
            runs=pages.slug_pages("runs", [str(r) for r in self.runs["run_id"]]),
            cell_runs=drill.cell_runs(self.runs),
        )
        for source in self.report.provenance.sources:
            links.sources[f"imported:{source.name}"] = f"method.html#source-{fmt.slug(source.name)}"
        return links

    def _sources_text(self) -> str:
        parts = [s.title for s in self.report.provenance.sources]
        n = len(self.runs)
        if n:
            parts.append(f"{n} run{'' if n == 1 else 's'} of your own")
        return " and ".join(parts)

    def _footer(self) -> dict[str, Any]:
        prov = self.report.provenance
        own = self.samples
        return {
            "version": prov.gapbench_version,
            "n_own_runs": len(self.runs),
            "n_own_samples": self.report.n_own_samples
            if self.report.n_own_samples is not None
            else len(own),
            "sources": prov.sources,
        }

    # -- output ----------------------------------------------------------------------------
    def write(self) -> None:
        css = resources.files("harness.report").joinpath("static", "report.css").read_text("utf-8")
        (self.root / "report.css").write_text(css, encoding="utf-8")
        data = self._write_data()
        index_jobs = pages.index_jobs(
            self.answer.sensitivity, self.answer.curve_title, self.frames, self.rows, self.scale_of
        )
        suite_jobs = {
            suite: pages.suite_jobs(suite, Path(rel).stem, self._suite_rows(suite), self.scale_of)
            for suite, rel in self.links.suites.items()
        }
        jobs: list[FigureJob] = [*index_jobs.values()]
        for js in suite_jobs.values():
            jobs.extend(js.values())
        figs = render_figures(
            jobs, self.root, cache_dir=self.cache_dir, progress=self._stage("figures")
        )
        n_pages = 2 + len(self.links.models) + len(self.links.suites)
        tick = self._stage("pages")
        done = 0
        self._page(
            "index.html",
            "index.html",
            "",
            data=data,
            fig={k: figs.get(j.rel) for k, j in index_jobs.items()},
            **self._index(),
        )
        self._page("method.html", "method.html", "", **self._method())
        done += 2
        for model_id, rel in self.links.models.items():
            self._page(rel, "model.html", "../", **self._model(model_id))
            done += 1
            if tick and done % 100 == 0:
                tick(done, n_pages)
        for suite, rel in self.links.suites.items():
            fig = {k: figs.get(j.rel) for k, j in suite_jobs[suite].items()}
            self._page(rel, "suite.html", "../", fig=fig, **self._suite(suite))
            done += 1
        if tick:
            tick(n_pages, n_pages)
        self._drill()

    def _stage(self, name: str) -> Callable[[int, int], None] | None:
        progress = self.progress
        if progress is None:
            return None
        return lambda done, total: progress(name, done, total)

    def _page(self, rel: str, template: str, root: str, **context: Any) -> None:
        html = self.env.get_template(template).render(**self.common, root=root, **context)
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")

    def _write_data(self) -> list[dict[str, Any]]:
        (self.root / "data").mkdir()
        files = []
        for table in TABLE_NAMES:
            # the data files hold the tables as analysis returned them (strings that a
            # spreadsheet would run as formulas are prefixed with ')
            df: pd.DataFrame | None = getattr(self.report.tables, table)
            if df is None:
                df = empty(COLUMNS.get(table, []))
            rel = f"data/{table}.csv"
            csv_safe_frame(df).to_csv(self.root / rel, index=False)
            files.append({"name": table, "path": rel, "rows": len(df)})
        extra = {
            "sensitivity": self.answer.sensitivity,
            "substitutes": self.answer.substitutes,
            "coverage": self.answer.coverage,
            "crosschecks": self.answer.crosschecks,
            "influence": self.answer.influence,
            "next_evaluations": self.answer.next_evaluations,
        }
        for name, df in extra.items():
            if not df.empty:
                rel = f"data/{name}.csv"
                csv_safe_frame(df).to_csv(self.root / rel, index=False)
                files.append({"name": name, "path": rel, "rows": len(df)})
        if self.answer.json:
            (self.root / "data" / "answer.json").write_text(self.answer.json, "utf-8")
            files.append({"name": "answer", "path": "data/answer.json", "rows": 1})
        return files

    # -- page contexts ---------------------------------------------------------------------
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

    def _suite_rows(self, suite: str) -> dict[str, list[dict[str, Any]]]:
        return {
            # "benchmark" too: own runs of a hub suite are placed on the published benchmark
            "scores": self._pick("scores", suite, "suite", "benchmark"),
            "frontier": self._pick("frontier", suite, "benchmark"),
            "gaps": self._pick("gaps", suite, "benchmark"),
            "lags": self._pick("lags", suite, "benchmark"),
            "published_horizons": self._pick("published_horizons", suite, "benchmark"),
        }

    def _index(self) -> dict[str, Any]:
        scores = pages.own_first(self.rows["scores"])
        return {
            **self.rows,
            "answer": self.answer,
            "headline": list(self.report.headline),
            "missing": self.report.missing,
            "scores": scores,
            "scores_limit": pages.INDEX_SCORES_LIMIT,
            "row_limit": pages.INDEX_ROW_LIMIT,
            "matrix": pages.matrix(self.rows["scores"]),
            "substitutes": records(self.answer.substitutes),
            "crosschecks": records(self.answer.crosschecks),
            "own_runs": self.run_rows,
            "has_own": any(r.get("source") == "own" for r in scores),
        }

    def _method(self) -> dict[str, Any]:
        prov = self.report.provenance
        return {
            "prov": prov,
            "answer": self.answer,
            "options": self.answer.options,
            "deployments": records(prov.deployments),
            "deployment_columns": [str(c) for c in prov.deployments.columns],
        }

    def _model(self, model_id: str) -> dict[str, Any]:
        scores = self._pick("scores", model_id, "model_id")
        horizons = self._pick("horizons", model_id, "model_id")
        runs = [r for r in self.run_rows if str(r.get("model_id")) == model_id]
        return {
            "model_id": model_id,
            "card": pages.model_card(scores, horizons),
            "scores": scores,
            "horizons": horizons,
            "runs": runs,
            "passk": self._pick("passk", model_id, "model_id"),
            "ladder": self._pick("ladder", model_id, "closed_model", "open_model"),
            "frontier": self._pick("frontier", model_id, "model_id"),
            "drift": self._pick("drift", model_id, "model_id"),
            "minutes": self._pick("published_horizons", model_id, "model_id"),
        }

    def _suite(self, suite: str) -> dict[str, Any]:
        picked = self._suite_rows(suite)
        kinds = sorted(
            {
                str(r["kind"])
                for r in [*picked["scores"], *picked["frontier"]]
                if r.get("kind") is not None
            }
        )
        return {
            "suite": suite,
            "kinds": kinds,
            "scale": self.scale_of.get(suite, "fraction"),
            "scores": pages.own_first(picked["scores"]),
            "frontier": picked["frontier"],
            "gaps": picked["gaps"],
            "lags": picked["lags"],
            "minutes": picked["published_horizons"],
            "horizons": self._pick("horizons", suite, "suite"),
            "passk": self._pick("passk", suite, "suite"),
            "catchup": self._pick("catchup", suite, "benchmark"),
            "horizon_gap": self._pick("horizon_gap", suite, "suite"),
            "flags": self._pick("flags", suite, "item"),
            "runs": [r for r in self.run_rows if str(r.get("suite")) == suite],
        }

    # -- drill-down ------------------------------------------------------------------------
    def _drill(self) -> None:
        if self.runs.empty:
            return
        raw = drill.copy_raw_logs(self.report.raw_logs, self.root, self.links.runs)
        shown = drill.shown_samples(self.samples)
        limit = drill.per_run_limit(len(self.run_rows))
        every = drill.split_by_run(self.report.all_samples)
        keys_of = {
            run_id: [str(k) for k in part["sample_key"].head(limit)]
            for run_id, part in shown.items()
        }
        for keys in keys_of.values():
            for key in keys:
                self.links.samples[key] = f"samples/{fmt.slug(key)}.html"
        # one read for every transcript a page shows (not one per run)
        reader = self.report.transcripts
        wanted = [k for keys in keys_of.values() for k in keys]
        transcripts = reader(wanted) if reader is not None and wanted else {}
        tick = self._stage("runs")
        (self.root / "runs").mkdir(exist_ok=True)
        for i, run in enumerate(self.run_rows):
            run_id = str(run["run_id"])
            part = shown.get(run_id, self.samples.iloc[0:0])
            keys = keys_of.get(run_id, [])
            run_rel = self.links.runs[run_id]
            csv_rel = run_rel.removesuffix(".html") + ".csv"
            whole = every.get(run_id)
            n_samples = whole.num_rows if whole is not None else len(part)
            ctx = drill.run_context(run, part, limit, n_samples)
            self._page(run_rel, "run.html", "../", raw=raw.get(run_id, []), csv=csv_rel, **ctx)
            if whole is not None:
                pacsv.write_csv(csv_safe_table(drill.clip_errors(whole)), self.root / csv_rel)
            else:
                shown_part = part
                if "error" in part.columns:
                    clipped = part["error"].map(lambda e: drill.clip_text(e, drill.CSV_TEXT_MAX))
                    shown_part = part.assign(error=clipped)
                csv_safe_frame(shown_part).to_csv(self.root / csv_rel, index=False)
            self._samples(run, part.head(limit), keys, transcripts)
            if tick:
                tick(i + 1, len(self.run_rows))

    def _samples(
        self,
        run: dict[str, Any],
        part: pd.DataFrame,
        keys: list[str],
        transcripts: Mapping[str, Transcript],
    ) -> None:
        if not keys:
            return
        by_key = {str(r["sample_key"]): r for r in records(part)}
        for key, prev, nxt in drill.neighbours(keys):
            sample = dict(by_key[key])
            sample["error"] = drill.clip_text(sample.get("error"), drill.MESSAGE_MAX)
            transcript = drill.page_transcript(transcripts.get(key))
            self._page(
                self.links.samples[key],
                "sample.html",
                "../",
                run=run,
                sample=sample,
                transcript=transcript,
                messages=drill.shown_messages(transcript),
                long_text=drill.long_text,
                prev=prev,
                next=nxt,
            )
