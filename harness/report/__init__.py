"""The static HTML gap report: draws what harness.analysis returns, computes nothing.

The only package allowed to import matplotlib and jinja2. Public API:

    render_report(tables, out_dir, *, headline=None, name="report") -> Path   (index.html)
"""

from __future__ import annotations

from harness.report.render import TABLE_NAMES, render_report

__all__ = ["TABLE_NAMES", "render_report"]
