"""`gapbench models` and `gapbench suites`: what can be run."""

from __future__ import annotations

import argparse

from rich.table import Table

from harness.cli._common import console, ws
from harness.errors import GapbenchError


def cmd_models(args: argparse.Namespace) -> int:
    w = ws(args)
    table = Table(title=f"models ({w.registry.path})")
    for col in ("id", "name", "organisation", "access", "released", "params", "deployments"):
        table.add_column(col)
    for card in w.registry.cards:
        deps = ", ".join(d.id.split("@", 1)[-1] for d in w.registry.deployments_of(card.id))
        params = f"{card.parameters / 1e9:.3g}B" if card.parameters else "?"
        table.add_row(
            card.id, card.name, card.organisation, card.access, str(card.release_date), params, deps
        )
    console.print(table)
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    from harness.runners import get_runner

    w = ws(args)
    table = Table(title=f"suites ({w.suites.tasks_dir})")
    for col in ("name", "kind", "engine", "size", "version", "smoke", "source"):
        table.add_column(col)
    for s in w.suites.suites:
        size = s.size
        if size is None:
            try:
                size = len(get_runner(s.engine).sample_ids(s))
            except GapbenchError:
                size = None
        table.add_row(
            s.name,
            s.kind,
            s.engine,
            "?" if size is None else str(size),
            s.version,
            str(len(s.smoke)),
            s.source,
        )
    console.print(table)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sub.add_parser(
        "models", parents=[common], help="list model cards and their deployments"
    ).set_defaults(func=cmd_models)
    sub.add_parser(
        "suites", parents=[common], help="list suites with kind, size, version and source"
    ).set_defaults(func=cmd_suites)
