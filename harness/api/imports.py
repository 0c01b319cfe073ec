"""Import results made elsewhere (Epoch AI hub dump, lm-eval output, inspect logs).

Model facts come from the registry when the model is in it: its card's access, release date
and organisation are recorded, and an --access or --release-date that contradicts the card
is refused with one line (exit 2). A model not in the registry needs --access (a log does
not say); its release date is optional. Nothing is stored unless the whole input reads and
checks: one atomic write per import.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from harness._types import Access, Kind
from harness.api.workspace import Workspace, workspace
from harness.errors import UserError

if TYPE_CHECKING:
    from harness.models import Registry
    from harness.store.importers import FactsOf, ImportSummary

SOURCES = ("epoch", "lm-eval", "inspect")


def registry_facts(
    registry: Registry,
    access: Access | None,
    release_date: str | date | None,
    organisation: str | None = None,
) -> FactsOf:
    """Facts per model id: the registry's card when there is one (what the user gave must
    agree with it), else what the user gave (access required)."""
    from harness.store.importers import ModelFacts, given_facts, release_date_of

    given = release_date_of(release_date)
    if access is not None and access not in ("open", "closed"):
        raise UserError(f"--access: '{access}' is not open or closed")
    fallback: FactsOf | None = None

    def facts_of(model_id: str) -> ModelFacts:
        nonlocal fallback
        try:
            card = registry.card(model_id)
        except KeyError:
            if fallback is None:
                if access is None:
                    raise UserError(
                        f"model '{model_id}' is not in {registry.path}: give --access open|closed "
                        "(and --release-date), or --model with a registry id"
                    ) from None
                fallback = given_facts(access, given, organisation)
            return fallback(model_id)
        if access is not None and access != card.access:
            raise UserError(
                f"--access {access} contradicts the model card of '{model_id}' in "
                f"{registry.path} (access: {card.access})"
            )
        if given is not None and given != card.release_date:
            raise UserError(
                f"--release-date {given} contradicts the model card of '{model_id}' in "
                f"{registry.path} (release_date: {card.release_date})"
            )
        return ModelFacts(card.access, card.release_date, card.organisation, from_card=True)

    return facts_of


def import_results(
    source: str,
    path: Path | str | None,
    *,
    ws: Workspace | None = None,
    access: Access | None = None,
    model_id: str | None = None,
    release_date: str | date | None = None,
    kind: Kind | None = None,
    suite: str | None = None,
    filter_name: str | None = None,
    metric: str | None = None,
    replace: bool = False,
) -> ImportSummary:
    """Import results made elsewhere into the workspace's store.

    source: 'epoch' (Epoch AI hub dump: a folder, a zip or an http(s) URL of the zip; `path`
    None downloads Epoch's public zip; online only for a URL, else OfflineError, exit 3; every
    dump is kept as a snapshot: harness.store.importers.epoch_snapshots), 'lm-eval'
    (results_*.json + samples_*.jsonl, a file or folder) or 'inspect' (.eval logs).
    access / release_date: for models not in the registry (a card's facts win, and a
    contradiction is refused). model_id: record the rows under this id (default: the name
    in the source). filter_name / metric: lm-eval only (default: every filter, first metric).
    suite: inspect only (default: the task name). replace: write every row again as its
    next attempt (it wins in reads): how an import with wrong facts is corrected.
    Raises UserError / ConfigError (one line, exit 2) on bad input; nothing is stored then.
    """
    from harness.store import importers

    if source not in SOURCES:
        raise UserError(f"unknown import source '{source}' (epoch, lm-eval, inspect)")
    ws = ws or workspace()
    if source == "epoch":
        for option, value in (
            ("--access", access),
            ("--release-date", release_date),
            ("--model", model_id),
        ):
            if value is not None:
                raise UserError(f"import epoch: {option} is not used (the dump says it per model)")
        return importers.import_epoch(path, ws.store, replace=replace)
    if path is None:
        raise UserError(f"import {source}: --from PATH is required")
    if not Path(path).exists():
        raise UserError(f"{path}: not found")
    facts = registry_facts(ws.registry, access, release_date)
    if source == "lm-eval":
        if suite is not None:
            raise UserError("import lm-eval: --suite is not used (suites are the task names)")
        out = importers.collect_lm_eval(
            Path(path), facts, kind or "standard", model_id, filter_name, metric
        )
    else:
        if filter_name is not None or metric is not None:
            raise UserError("import inspect: --filter and --metric are lm-eval options")
        from harness.runners.inspect_records import collect_inspect

        out = collect_inspect(Path(path), facts, kind or "agentic", model_id, suite)
    from harness.store.importers._common import store_collected

    return store_collected(out, path, ws.store, replace)
