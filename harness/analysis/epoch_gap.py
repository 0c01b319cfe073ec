"""Regenerate docs/epoch-gap.md: the gap analysis run on the Epoch AI Benchmarking Hub dump.

    python -m harness.analysis.epoch_gap DUMP_FOLDER_OR_ZIP [OUT.md]

Imports the dump into a temporary store with the store's Epoch importer (the reviewable
standard/agentic mapping is harness/store/importers/epoch_benchmarks.yaml), then runs the
same `build_report_tables` a user's report runs, under a few stated variants.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from harness.analysis._common import extra_field
from harness.analysis.build import build_report_tables
from harness.analysis.tables import ReportTables
from harness.analysis.understatement import Window
from harness.store.importers.epoch import import_epoch
from harness.store.store import Store

N_BOOT = 4000
SEED = 0
VARIANTS: list[tuple[str, Window, bool]] = [
    ("all dates", None, True),
    ("open crossings since 2025-01-01", (date(2025, 1, 1), None), True),
    ("all dates, borderline kinds left out", None, False),
    ("since 2025-01-01, borderline kinds left out", (date(2025, 1, 1), None), False),
]
UNITS = {
    "lag_months": "months",
    "catchup_months": "months",
    "score_gap": "points",
    "score_gap_logit": "logits",
}


def load(dump: Path) -> tuple[pd.DataFrame, str]:
    with tempfile.TemporaryDirectory(prefix="gapbench-epoch-") as tmp:
        store = Store(Path(tmp))
        summary = import_epoch(dump, store)
        samples = store.samples()
    skipped = "; ".join(f"{why}: {n}" for why, n in summary.skipped)
    note = (
        f"{summary.rows_read} rows read, {summary.rows_written} imported "
        f"({summary.models} model versions, {summary.suites} benchmarks); skipped: {skipped}"
    )
    return samples, note


def _fmt(x: object, unit: str) -> str:
    v = float(x)  # type: ignore[arg-type]
    if v != v:
        return "-"
    return f"{100 * v:.1f}" if unit == "points" else f"{v:.2f}" if unit == "logits" else f"{v:.1f}"


def d_table(runs: list[tuple[str, ReportTables]]) -> list[str]:
    out = [
        "| variant | measure | agentic | standard | D | 95% CI | one-sided p | ratio | benchmarks (a/s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, t in runs:
        for _, r in t.understatement.iterrows():
            u = UNITS[str(r["measure"])]
            if r["status"] != "ok":
                out.append(f"| {label} | {r['measure']} | insufficient: {r['reason']} ||||||||")
                continue
            out.append(
                f"| {label} | {r['measure']} ({u}) | {_fmt(r['agentic'], u)} | {_fmt(r['standard'], u)} "
                f"| **{_fmt(r['d'], u)}** | {_fmt(r['ci_low'], u)} to {_fmt(r['ci_high'], u)} "
                f"| {r['p_value']:.3f} | {r['ratio']:.2f} | {r['n_agentic']}/{r['n_standard']} |"
            )
    return out


def bench_table(t: ReportTables, borderline: set[str]) -> list[str]:
    lags = t.lags[t.lags["used"].astype(bool)] if not t.lags.empty else t.lags
    per = lags.groupby("benchmark")["lag_months"].agg(["mean", "count", "min", "max"])
    cu = t.catchup.set_index("benchmark")
    last_gap = t.gaps.groupby("benchmark").tail(1).set_index("benchmark")
    flags = t.flags[t.flags["scope"] == "benchmark"].groupby("item")["reason"].agg("; ".join)
    out = [
        "| benchmark | kind | lag datapoints | mean lag (months) | range | catch-up (months) "
        "| latest gap | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(cu.index, key=lambda n: (str(cu.loc[n, "kind"]), n)):
        kind = str(cu.loc[name, "kind"]) + (" (borderline)" if name in borderline else "")
        if name in per.index:
            p = per.loc[name]
            lag = f"{int(p['count'])} | {p['mean']:.1f} | {p['min']:.1f} to {p['max']:.1f}"
        else:
            lag = "0 | - | -"
        c = cu.loc[name, "catchup_months"]
        gap = "-"
        if name in last_gap.index:
            g = last_gap.loc[name]
            gap = (
                f"{g['gap_logit']:.2f} doublings"
                if g["scale"] == "horizon"
                else f"{100 * g['gap']:.1f} pts ({g['date']})"
            )
        out.append(
            f"| {name} | {kind} | {lag} | {_fmt(c, 'months')} | {gap} | {flags.get(name, '')} |"
        )
    return out


def pooled_lags(t: ReportTables) -> list[str]:
    lags = t.lags[t.lags["used"].astype(bool)].copy()
    lags["year"] = pd.to_datetime(lags["open_date"]).dt.year
    out = [
        "| open crossing year | agentic: mean lag (n) | standard: mean lag (n) |",
        "|---|---|---|",
    ]
    for year, g in lags.groupby("year"):
        cells = []
        for kind in ("agentic", "standard"):
            k = g[g["kind"] == kind]["lag_months"]
            cells.append(f"{k.mean():.1f} ({k.size})" if k.size else "-")
        out.append(f"| {year} | {cells[0]} | {cells[1]} |")
    return out


def render(samples: pd.DataFrame, note: str, dump: Path) -> str:
    borderline = set(
        samples.loc[
            samples["extra"].map(lambda e: extra_field(e, "borderline_kind") == "true"), "suite"
        ]
    )
    runs = []
    for label, window, with_borderline in VARIANTS:
        s = samples if with_borderline else samples[~samples["suite"].isin(borderline)]
        runs.append((label, build_report_tables(s, window=window, n_boot=N_BOOT, seed=SEED)))
    main = runs[0][1]
    kinds = main.catchup.groupby("kind")["benchmark"].agg(lambda s: ", ".join(sorted(s)))
    lines = [
        "## Numbers (generated)",
        "",
        f"Generated by `python -m harness.analysis.epoch_gap {dump}` "
        f"({N_BOOT} bootstrap replicates, seed {SEED}). Import: {note}.",
        "",
        "### The understatement test, D = gap(agentic) - gap(standard)",
        "",
        *d_table(runs),
        "",
        "### Datapoint-weighted mean lag (Ihle's pooling: every counted threshold one point)",
        "",
        *pooled_lags(main),
        "",
        "### Per benchmark (all dates, borderline kinds included)",
        "",
        *bench_table(main, borderline),
        "",
        "### Mapping used (kind per benchmark, from harness/store/importers/epoch_benchmarks.yaml)",
        "",
        f"- agentic: {kinds.get('agentic', '')}",
        f"- standard: {kinds.get('standard', '')}",
        f"- borderline (reported with and without): {', '.join(sorted(borderline))}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    dump = Path(args[0])
    samples, note = load(dump)
    text = render(samples, note, dump)
    if len(args) > 1:
        out = Path(args[1])
        head = out.read_text().split("## Numbers (generated)")[0] if out.exists() else ""
        out.write_text(head + text)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
