"""What the report is given: analysis tables and answer, own runs and samples, transcripts,
provenance and the "what is missing" hint. The report draws these; it computes nothing.

`harness.api.build_report` gathers them from the store, the registries and analysis; tests
build them by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from harness._types import Transcript
from harness.analysis.tables import ReportTables

# bulk transcript reader: sample keys -> the transcripts found (missing keys are left out)
TranscriptReader = Callable[[Sequence[str]], Mapping[str, Transcript]]


@dataclass(frozen=True)
class DataSource:
    """A source of imported results, with what its licence asks of anyone who shows it."""

    name: str  # as in the samples' source column: imported:<name>
    title: str
    url: str = ""
    licence: str = ""
    licence_url: str = ""
    attribution: str = ""
    rows: int = 0
    models: int = 0


@dataclass(frozen=True)
class SuiteFacts:
    name: str
    version: str
    kind: str
    engine: str
    licence: str = ""
    data_source: str = ""


@dataclass(frozen=True)
class Provenance:
    """Versions, serving facts and data sources behind the numbers (the method page)."""

    gapbench_version: str = ""
    libraries: tuple[tuple[str, str], ...] = ()  # (name, version)
    engines: tuple[tuple[str, str], ...] = ()  # (engine, version) of own runs
    suites: tuple[SuiteFacts, ...] = ()
    # one row per deployment of own runs: deployment_id, model_id, provider, server, ...
    deployments: pd.DataFrame = field(default_factory=pd.DataFrame)
    sources: tuple[DataSource, ...] = ()


@dataclass(frozen=True)
class AddClosedModel:
    """The "what is missing" box: what the data lack and the exact lines that add a model."""

    missing: tuple[str, ...]  # plain sentences
    sweep_yaml: str = ""  # the sweep file to write
    sweep_path: str = ""
    env_var: str | None = None  # the environment variable holding the API key
    command: str = ""


@dataclass(frozen=True)
class RawLog:
    """An engine log of an own run, copied into the report (or named, when too large).

    Only a regular file of a known raw type is copied (harness.store.rawpaths), under a name
    a browser shows as text or downloads; `render_report` checks again whatever it is given."""

    run_id: str
    path: Path
    label: str
    # the results folder the path was confined to: the copy opens the path again from here,
    # one component at a time without following a link (harness.store.rawpaths.open_below)
    root: Path | None = None


@dataclass(frozen=True)
class ReportInput:
    tables: ReportTables  # with analysis's Answer on tables.answer (None: not computed)
    headline: tuple[str, ...] = ()
    runs: pd.DataFrame = field(default_factory=pd.DataFrame)  # own runs, one row per run_id
    # own samples the run pages list (harness.report.collect reads at most
    # drill.per_run_limit per run); all of them when all_samples is None
    samples: pd.DataFrame = field(default_factory=pd.DataFrame)
    all_samples: pa.Table | None = None  # every own sample, for each run's CSV
    n_own_samples: int | None = None
    transcripts: TranscriptReader | None = None
    raw_logs: tuple[RawLog, ...] = ()
    provenance: Provenance = field(default_factory=Provenance)
    missing: AddClosedModel | None = None
    name: str = "report"
    # what collect() left out and why (raw paths leading outside the store, unknown raw
    # files), one line each; also printed as warnings
    warnings: tuple[str, ...] = ()
