"""Own runs on the published timeline, as the API wires them: the links the analysis needs
from the suite and model registries, and the answer's history over the kept Epoch snapshots.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from harness.api.workspace import Workspace

if TYPE_CHECKING:
    from harness.analysis.answer import Answer
    from harness.analysis.measures.hub_links import HubLinks
    from harness.analysis.spec import AnalysisSpec
    from harness.analysis.tables import ReportTables


def hub_links(ws: Workspace) -> HubLinks:
    """Which suites measure a published benchmark (suite.yaml `hub_benchmark` and
    `protocol`), and the names each registry model is published under (its card's
    `published_names`)."""
    from harness.analysis.measures.hub_links import HubLinks, HubSuite

    suites = {
        s.name: HubSuite(
            suite=s.name,
            benchmark=s.hub_benchmark,
            items=s.protocol.items,
            prompt=s.protocol.prompt,
            attempts=s.protocol.attempts,
            scorer=s.protocol.scorer,
        )
        for s in ws.suites.suites
        if s.hub_benchmark is not None and s.protocol is not None
    }
    names = {c.id: tuple(c.published_names) for c in ws.registry.cards if c.published_names}
    return HubLinks(suites=suites, published_names=names)


def history(
    ws: Workspace,
    rows: pd.DataFrame,
    spec: AnalysisSpec,
    *,
    null_baselines: dict[str, float] | None = None,
) -> pd.DataFrame:
    """D(lag) once per kept Epoch hub snapshot under `spec` (harness.analysis.history):
    each snapshot's rows with the stored rows from elsewhere (own runs, other imports)."""
    from harness.analysis.history import d_history

    return d_history(ws.store.root, rows, spec, hub=hub_links(ws), null_baselines=null_baselines)


def answer_with_history(ans: Answer, ws: Workspace, rows: pd.DataFrame, **kw: object) -> Answer:
    """The answer with its history (`Answer.history`, the JSON's "history")."""
    return replace(ans, history=history(ws, rows, ans.spec, **kw))  # type: ignore[arg-type]


def tables_with_history(
    tables: ReportTables, ws: Workspace, rows: pd.DataFrame, **kw: object
) -> ReportTables:
    """The report's tables with the answer's history (ReportTables.history, and on the answer)."""
    if tables.answer is None:
        return tables
    ans = answer_with_history(tables.answer, ws, rows, **kw)
    assert ans.history is not None
    return replace(tables, answer=ans, history=ans.history)
