"""The static HTML gap report: draws what harness.analysis returns, computes nothing.

The only package allowed to import matplotlib and jinja2. Public API:

    render_report(report, out_dir, *, cache_dir=None, progress=None) -> Path  (index.html)

`report` is a ReportInput (analysis tables and answer, own runs and samples, a transcript
reader, provenance, the "what is missing" hint) or just ReportTables.
"""

from __future__ import annotations

from harness.report.inputs import (
    AddClosedModel,
    DataSource,
    Provenance,
    RawLog,
    ReportInput,
    SuiteFacts,
    TranscriptReader,
)
from harness.report.render import content_security_policy, render_report
from harness.report.tables import TABLE_NAMES

__all__ = [
    "TABLE_NAMES",
    "AddClosedModel",
    "DataSource",
    "Provenance",
    "RawLog",
    "ReportInput",
    "SuiteFacts",
    "TranscriptReader",
    "content_security_policy",
    "render_report",
]
