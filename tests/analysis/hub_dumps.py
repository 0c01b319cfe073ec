"""Small Epoch hub dumps in Epoch's own format for the timeline's tests: four standard and four
agentic benchmarks where every lag is computed by hand (tests/analysis/hub_synth.py)."""

from __future__ import annotations

from datetime import date, timedelta

from harness.store.importers.epoch import load_mapping
from tests.analysis.hub_synth import AGENTIC_LAG_DAYS, CLOSED_DAY, STANDARD_LAG_DAYS
from tests.store.epoch_dumps import INDEX_COLUMNS, _csv

# Four standard and four agentic benchmark files of the hub, each a 0-1 score without a
# variant column, taken from the shipped mapping (their file and score column names).
PLAIN = [
    b
    for b in load_mapping().benchmarks
    if b.include and b.scale == "fraction" and b.variant is None and not b.borderline
]
STANDARD = [b for b in PLAIN if b.kind == "standard"][:4]
AGENTIC = [b for b in PLAIN if b.kind == "agentic"][:4]
NEW_OPEN_DAY = CLOSED_DAY + timedelta(days=90)


def dump(
    month: int,
    started: str,
    *,
    new_open: bool,
    extra: tuple[tuple[str, date, str, float], ...] = (),
) -> dict[str, bytes]:
    """A hub dump: per benchmark one closed model (2025-01-01) and one open model 181
    (standard) or 273 (agentic) days later, all at 0.50; dump 2 adds an open model released
    2025-04-01 that reaches 0.50 on the first standard benchmark (its lag: 90 days).
    extra: more (model, release date, accessibility, score) rows on that benchmark."""
    models: dict[str, tuple[date, str]] = {}
    files: dict[str, bytes] = {}
    for benches, lag in ((STANDARD, STANDARD_LAG_DAYS), (AGENTIC, AGENTIC_LAG_DAYS)):
        for b in benches:
            rows = [("c-" + b.suite, CLOSED_DAY, "API access", 0.5)]
            rows.append(("o-" + b.suite, CLOSED_DAY + timedelta(days=lag), "Open weights", 0.5))
            if b is STANDARD[0]:
                if new_open:
                    rows.append(("o-new", NEW_OPEN_DAY, "Open weights (restricted use)", 0.5))
                rows.extend(extra)
            cols = ["Model version", b.score, "Release date", "Started at", "id"]
            cols += [b.stderr] if b.stderr else []
            files[b.file] = _csv(
                cols,
                [
                    {"Model version": m, b.score: s, "Release date": d.isoformat(),
                     "Started at": started, "id": f"{b.suite}-{m}",
                     **({b.stderr: 0.03} if b.stderr else {})}
                    for m, d, _, s in rows
                ],
            )  # fmt: skip
            models.update({m: (d, a) for m, d, a, _ in rows})
    index = [
        {"Model version": m, "Release date": d.isoformat(), "Organization": "Lab",
         "Country": "X", "Model accessibility": a, "Model name": m, "Display name": m}
        for m, (d, a) in models.items()
    ]  # fmt: skip
    files["epoch_capabilities_index.csv"] = _csv(INDEX_COLUMNS, index)
    files["README.md"] = (
        f"# Epoch AI Benchmarking Hub\n@misc{{hub,\n  year = {{2026}},\n  month = {{{month}}},\n}}\n"
    ).encode()
    return files
