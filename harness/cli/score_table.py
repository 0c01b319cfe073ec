"""The table `gapbench run` (and nightly) ends with: per (model, suite), the score with its
interval (the method named under the table), errors, limits and cost; then the spend line."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from harness.api.scoretable import ScoreTable


def _num(x: float | None, fmt: str = "{:.3f}") -> str:
    return "-" if x is None else fmt.format(x)


def print_score_table(console: Console, table: ScoreTable, *, title: str) -> None:
    """Scores on 0-1. 'n' counts samples with a score (epochs averaged per sample); errors and
    limits count rows (sample x epoch); cost is that of the stored rows ('?': no price)."""
    if not table.rows:
        return
    baselines = any(r.null_baseline is not None for r in table.rows)
    t = Table(title=title, caption=f"CI: {table.interval_method}", caption_justify="left")
    cols = ["model", "suite", "status", "n", "score", "95% CI", "errors", "limits", "cost"]
    if baselines:
        cols.append("null agent")
    for col in cols:
        t.add_column(col, justify="left" if col in ("model", "suite", "status") else "right")
    for r in table.rows:
        ci = "-" if r.ci_low is None else f"{r.ci_low:.3f}-{r.ci_high:.3f}"
        row = [
            escape(r.model_id),
            escape(r.suite),
            escape(r.status),
            str(r.n_scored),
            _num(r.score),
            ci,
            f"{r.n_error}/{r.n_rows}",
            str(r.n_limit),
            "?" if r.cost_usd is None else f"${r.cost_usd:.4f}",
        ]
        if baselines:
            row.append(_num(r.null_baseline, "{:.2f}"))
        t.add_row(*row)
    console.print(t)
