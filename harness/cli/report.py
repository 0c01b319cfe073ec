"""`gapbench report`: render the static HTML gap report from the store, with a progress line."""

from __future__ import annotations

import argparse
import time
from types import TracebackType

from rich.console import Console
from rich.status import Status

from harness.cli._common import console, epilog, ws
from harness.cli.analyze import add_spec_arguments, spec_from_args

STAGES = {
    "analysis": "analysing the store",
    "collect": "reading your runs",
    "figures": "drawing figures",
    "pages": "writing pages",
    "runs": "writing run and sample pages",
}


class ReportProgress:
    """One progress line for `build_report(progress=...)`: live on a terminal, else a line
    per stage (CI logs stay short)."""

    def __init__(self, out: Console) -> None:
        self.out = out
        self.live: Status | None = None
        self.stage = ""
        self.started = time.perf_counter()

    def __enter__(self) -> ReportProgress:
        if self.out.is_terminal:
            self.live = self.out.status("report: starting")
            self.live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()

    def __call__(self, stage: str, done: int, total: int) -> None:
        words = STAGES.get(stage, stage)
        elapsed = time.perf_counter() - self.started
        line = f"report: {words} {done}/{total} ({elapsed:.1f} s)"
        if self.live is not None:
            self.live.update(line)
        elif stage != self.stage:
            self.out.print(line, highlight=False)
        self.stage = stage


def cmd_report(args: argparse.Namespace) -> int:
    from harness import api

    spec = spec_from_args(args)  # a bad option: one line, exit 2, before any work
    w = ws(args)
    with ReportProgress(console) as progress:
        path = api.build_report(
            args.name,
            ws=w,
            sweep=args.sweep,
            spec=spec,
            substitute=args.substitute,
            progress=progress,
        )
    console.print(
        f"report: {path} ({time.perf_counter() - progress.started:.1f} s)", highlight=False
    )
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    rep = sub.add_parser(
        "report",
        parents=[common],
        help="render the HTML gap report from the store",
        description=(
            "Render reports/NAME/index.html from the store: the verdict first, the gap over "
            "time, your runs down to each sample's transcript, and where every number came "
            "from. The folder works from file:// and can be published as is. Figures are "
            "cached by the hash of their data under $GAPBENCH_CACHE_DIR/report-figures."
        ),
        epilog=epilog(
            "gapbench report --name demo",
            "gapbench report --since '' --censoring both   # all dates, first crossings dropped",
            "gapbench report --substitute gpt-5            # + the best open model per kind",
            "gapbench report --results-dir /data/results --reports-dir /srv/www",
            notes="Open reports/NAME/index.html in a browser; nothing in it loads from outside.",
        ),
    )
    rep.add_argument("--name", default="latest", help="reports/NAME/index.html (default latest)")
    rep.add_argument("--sweep", help="only rows from this sweep")
    rep.add_argument(
        "--substitute",
        metavar="CLOSED_MODEL",
        help="add the substitute finder for this closed model (best open model per benchmark "
        "and kind, and since when)",
    )
    add_spec_arguments(rep)
    rep.set_defaults(func=cmd_report)
