"""Import results made elsewhere."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from harness._types import Access, Kind
from harness.api.workspace import Workspace, workspace
from harness.errors import UserError

if TYPE_CHECKING:
    from harness.store.importers import ImportSummary


def import_results(
    source: str,
    path: Path | None,
    *,
    ws: Workspace | None = None,
    access: Access | None = None,
    model_id: str | None = None,
    release_date: str | None = None,
    kind: Kind | None = None,
) -> ImportSummary:
    """Import results made elsewhere: 'epoch' (Epoch AI hub dump), 'lm-eval' or 'inspect'."""
    from harness.store import importers

    ws = ws or workspace()
    if source == "epoch":
        return importers.import_epoch(path, ws.store)
    if path is None:
        raise UserError(f"import {source}: --from PATH is required")
    if access is None:
        raise UserError(f"import {source}: --access open|closed is required (a log does not say)")
    if source == "lm-eval":
        return importers.import_lm_eval(
            path,
            ws.store,
            access=access,
            kind=kind or "standard",
            model_id=model_id,
            release_date=release_date,
        )
    if source == "inspect":
        return importers.import_inspect(
            path,
            ws.store,
            access=access,
            kind=kind or "agentic",
            model_id=model_id,
            release_date=release_date,
        )
    raise UserError(f"unknown import source '{source}' (epoch, lm-eval, inspect)")
