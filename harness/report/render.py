"""Render a ReportInput into a self-contained static site: HTML, SVG figures, CSV data.

Layout of a rendered report (all links relative: the folder works from file:// and can be
published as is):

    index.html              the verdict first, then the gap over time, your runs, details
    method.html             definitions, options, versions, serving facts, data licences
    report.css              the only stylesheet
    figures/*.svg + *.csv   every figure, and the table it draws
    models/<slug>.html      one page per model
    suites/<slug>.html      one page per suite or benchmark
    runs/<slug>.html + .csv one page per own run: its samples
    samples/<key>.html      one page per sample shown: the full transcript
    raw/<run>/...           the engines' own logs of own runs (copied)
    data/<table>.csv        every analysis table exactly as analysis returned it

Everything taken from data goes through Jinja2 with autoescape on: model ids, suite names,
transcripts and messages are untrusted and may contain HTML. Before escaping, every value a
template prints passes `shown` (the environment's finalize, so every template is covered,
whoever writes it): bidirectional overrides, zero-width and control characters become
visible escapes (harness._text.visible), so "gnp\u202eexe.png" never displays as "exe.png".
Every CSV the report writes has its string cells neutralised for spreadsheets
(harness._text.csv_safe_frame). The only script is the small table sorter, allowed by its
hash in each page's Content-Security-Policy; nothing loads from outside the folder.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from harness._text import visible
from harness.analysis.tables import ReportTables
from harness.report import _format as fmt
from harness.report._atomic import atomic_dir
from harness.report.inputs import ReportInput

# stage, done, total: "figures", 3, 40
Progress = Callable[[str, int, int], None]


@cache
def sort_script() -> str:
    return resources.files("harness.report").joinpath("static", "sort.js").read_text("utf-8")


@cache
def content_security_policy() -> str:
    """Only local styles and images, and the one inline script by its hash; nothing else.

    file: is listed beside 'self' because a page opened from disk has an opaque origin in
    some browsers, where 'self' would match nothing.
    """
    digest = base64.b64encode(hashlib.sha256(sort_script().encode("utf-8")).digest()).decode()
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'self' file:; img-src 'self' file:; "
        "base-uri 'none'; form-action 'none'"
    )


def shown(value: object) -> object:
    """What a template prints for `value`: text with its invisible characters made visible.

    Markup (a macro's output, the sorter marked safe) was built from values that passed here
    already; numbers and None print as they are."""
    if isinstance(value, Markup) or value is None or isinstance(value, int | float):
        return value
    return visible(value if isinstance(value, str) else str(value))


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        finalize=shown,
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
        seconds=fmt.seconds,
        usd=fmt.usd,
        pretty_json=fmt.pretty_json,
        short=fmt.short,
        slug=fmt.slug,
    )
    env.globals.update(
        ci=fmt.ci,
        digits_for=fmt.digits_for,
        missing=fmt.is_missing,
        insufficient=lambda r: str(r.get("status") or "") == "insufficient",
        unused=lambda r: r.get("used") is not None and not bool(r.get("used")),
        sort_script=sort_script(),
        csp=content_security_policy(),
        json_dumps=json.dumps,
        window=fmt.window,
    )
    return env


def render_report(
    report: ReportInput | ReportTables,
    out_dir: Path,
    *,
    headline: list[str] | None = None,
    name: str | None = None,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Write the report into `out_dir` (replaced whole, atomically) and return its index.html.

    `report` is a ReportInput (everything a page shows) or, for callers that have only the
    analysis tables, a ReportTables. `cache_dir` keeps rendered figures by the hash of their
    table, so an unchanged figure is not drawn again; `progress` hears each stage.
    """
    from harness.report.site import Site

    if isinstance(report, ReportTables):
        report = ReportInput(tables=report, headline=tuple(headline or ()), name=name or "report")
    elif headline is not None or name is not None:
        from dataclasses import replace

        report = replace(
            report,
            headline=tuple(headline) if headline is not None else report.headline,
            name=name or report.name,
        )
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        Site(report, tmp, environment(), cache_dir=cache_dir, progress=progress).write()
    return out_dir.resolve() / "index.html"
