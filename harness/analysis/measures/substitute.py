"""The substitute finder: for a closed model X, how close the best open model has come.

Per benchmark where X has a score (optionally one suite, or one kind): the best open model
at each open release date and its gap to X (points on fraction scales, doublings on horizon
scales), and the first date an evaluated open model matched X's score, or "not yet". A kind
row summarises: the date by which open models had matched X on every such benchmark.

Models are grouped by measures.identity: X may be named by a reasoning-budget variant
(`claude-3-7-sonnet-20250219_64K`) and is found under its base model; `variant` says which
variant's score each row uses (the best on that benchmark), `variants` (kind rows) which
variants' scores were used across the kind's benchmarks. A match dated
before X's release reads "already available at release" (months_after_release < 0); a kind
with one benchmark says "its only benchmark", not "every benchmark".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.analysis._common import DAYS_PER_MONTH, from_days, to_days
from harness.analysis.columns import (
    SUBSTITUTE_COLUMNS,
    SUBSTITUTE_KIND_COLUMNS,
    SUBSTITUTE_TIMELINE_COLUMNS,
    empty,
)
from harness.analysis.measures.frontier import Bench
from harness.analysis.measures.identity import parse, variants_of
from harness.errors import UserError

AT_RELEASE = "already available at release"


def matched_status(n_benchmarks: int, months: float) -> str:
    """A kind row's status once open models matched X on all its benchmarks."""
    scope = "its only benchmark" if n_benchmarks == 1 else f"every benchmark ({n_benchmarks})"
    if months < 0:
        return f"{AT_RELEASE}: matched on {scope} before X was released"
    return f"matched on {scope}"


def _gap(b: Bench, closed: float, open_best: np.ndarray) -> np.ndarray:
    if b.scale == "horizon":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log2(closed / open_best)
    return 100.0 * (closed - open_best)  # points, as every score gap


def substitutes(
    bench_list: list[Bench],
    model: str,
    *,
    suite: str | None = None,
    kind: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(summary per benchmark plus a kind row, timeline of the best open model per date).

    Raises UserError naming --substitute / --suite / --kind when the model is unknown or
    open, or the suite or kind has no score of that model.
    """
    known_closed = {m for b in bench_list for m in b.closed.models}
    known_open = {m for b in bench_list for m in b.open.models}
    if model not in known_closed:  # a variant's or a provider copy's id names its group
        key = parse(model).key
        model = next((m for m in sorted(known_closed) if parse(m).key == key), model)
    if model in known_open and model not in known_closed:
        raise UserError(f"--substitute: {model!r} is an open model; name a closed one")
    if model not in known_closed:
        near = sorted(m for m in known_closed if model.lower() in m.lower())[:5]
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        raise UserError(f"--substitute: no closed model {model!r} with a dated score{hint}")
    chosen = [b for b in bench_list if model in b.closed.models]
    if suite is not None:
        chosen = [b for b in chosen if b.name == suite or b.name.split("@")[0] == suite]
        if not chosen:
            raise UserError(f"--suite: {model!r} has no score on {suite!r}")
    if kind is not None:
        chosen = [b for b in chosen if b.kind == kind]
        if not chosen:
            raise UserError(f"--kind: {model!r} has no score on a {kind} benchmark")
    rows, timeline = [], []
    for b in sorted(chosen, key=lambda x: (x.kind, x.name)):
        i = b.closed.models.index(model)
        score, released = float(b.closed.scores[i]), float(b.closed.days[i])
        unit = "minutes" if b.scale == "horizon" else "fraction"
        gap_unit = "doublings" if b.scale == "horizon" else "points"
        best = b.open.best
        row: dict[str, object] = {
            "closed_model": model,
            "variant": b.closed.variant(i),
            "benchmark": b.name,
            "kind": b.kind,
            "unit": unit,
            "closed_score": score,
            "closed_release": from_days(released),
            "best_open_model": None,
            "best_open_score": np.nan,
            "gap": np.nan,
            "matched_by": None,
            "matched_on": None,
            "months_after_release": np.nan,
            "status": "no open model evaluated",
        }
        if best.size:
            top = int(np.argmax(b.open.scores))
            row.update(
                best_open_model=b.open.models[top],
                best_open_score=float(b.open.scores[top]),
                gap=float(_gap(b, score, np.array([best[-1]]))[0]),
                status="not yet",
            )
            hit = np.flatnonzero(best >= score - 1e-12)
            if hit.size:
                j = int(hit[0])
                months = (b.open.days[j] - released) / DAYS_PER_MONTH
                row.update(
                    matched_by=b.open.models[j],
                    matched_on=from_days(b.open.days[j]),
                    months_after_release=months,
                    status=AT_RELEASE if months < 0 else "matched",
                )
            prev = -np.inf
            for d, s, m, bb in zip(b.open.days, b.open.scores, b.open.models, best, strict=True):
                if s > prev:  # a new best open model
                    timeline.append(
                        {
                            "closed_model": model,
                            "benchmark": b.name,
                            "unit": gap_unit,
                            "date": from_days(d),
                            "open_model": m,
                            "open_best": float(bb),
                            "gap": float(_gap(b, score, np.array([bb]))[0]),
                        }
                    )
                    prev = s
        rows.append(row)
    for k in sorted({str(r["kind"]) for r in rows}):
        rows.append(_kind_row(model, k, [r for r in rows if r["kind"] == k]))
    summary = pd.DataFrame(rows, columns=SUBSTITUTE_COLUMNS) if rows else empty(SUBSTITUTE_COLUMNS)
    tl = (
        pd.DataFrame(timeline, columns=SUBSTITUTE_TIMELINE_COLUMNS)
        if timeline
        else empty(SUBSTITUTE_TIMELINE_COLUMNS)
    )
    return summary, tl


def substitutes_by_kind(bench_list: list[Bench]) -> pd.DataFrame:
    """Every closed model's substitute per kind (SUBSTITUTE_KIND_COLUMNS), by model then
    kind: the kind rows `substitutes(bench_list, model)` gives, for every closed model with a
    dated score, in one pass over the benchmarks. `benchmarks` counts the kind's benchmarks
    the closed model has a score on."""
    # (model, kind) -> per benchmark: (closed release, first open match day or NaN, by whom)
    seen: dict[tuple[str, str], list[tuple[float, float, str | None]]] = {}
    variants: dict[tuple[str, str], list[str]] = {}
    for b in sorted(bench_list, key=lambda x: (x.kind, x.name)):
        best = b.open.best
        first: dict[str, int] = {}
        for i, m in enumerate(b.closed.models):
            first.setdefault(m, i)
            variants.setdefault((m, b.kind), []).append(b.closed.variant(i))
        idx = np.array(list(first.values()), dtype=int)
        hit = np.searchsorted(best, b.closed.scores[idx] - 1e-12, side="left")
        for m, i, j in zip(first, idx, hit, strict=True):
            matched = j < best.size
            seen.setdefault((m, b.kind), []).append(
                (
                    float(b.closed.days[i]),
                    float(b.open.days[j]) if matched else np.nan,
                    b.open.models[j] if matched else None,
                )
            )
    rows = []
    for (model, kind), marks in sorted(seen.items()):
        released = min(r for r, _, _ in marks)
        n_matched = sum(by is not None for _, _, by in marks)
        row: dict[str, object] = {
            "closed_model": model,
            "variants": variants_of(model, variants.get((model, kind), [])),
            "kind": kind,
            "benchmarks": len(marks),
            "closed_release": from_days(released),
            "matched_by": None,
            "matched_on": None,
            "months_after_release": np.nan,
            "status": f"not yet ({n_matched} of {len(marks)} benchmarks matched)",
        }
        if n_matched == len(marks):
            _, day, by = max(marks, key=lambda r: str(from_days(r[1])))  # the last match
            months = (day - released) / DAYS_PER_MONTH
            row.update(
                matched_by=by,
                matched_on=from_days(day),
                months_after_release=months,
                status=matched_status(len(marks), months),
            )
        rows.append(row)
    if not rows:
        return empty(SUBSTITUTE_KIND_COLUMNS)
    return pd.DataFrame(rows, columns=SUBSTITUTE_KIND_COLUMNS)


def _kind_row(model: str, kind: str, rows: list[dict[str, object]]) -> dict[str, object]:
    matched = [r for r in rows if r["status"] in ("matched", AT_RELEASE)]
    out: dict[str, object] = dict.fromkeys(SUBSTITUTE_COLUMNS)
    out.update(
        closed_model=model,
        variant=", ".join(dict.fromkeys(str(r["variant"]) for r in rows)),
        benchmark=f"all {kind} benchmarks ({len(rows)})",
        kind=kind,
        unit="",
        closed_score=np.nan,
        best_open_score=np.nan,
        gap=np.nan,
        months_after_release=np.nan,
    )
    released = min(to_days(pd.Series([r["closed_release"] for r in rows])))
    out["closed_release"] = from_days(released)
    if len(matched) == len(rows):
        last = max(matched, key=lambda r: str(r["matched_on"]))
        day = float(to_days(pd.Series([last["matched_on"]]))[0])
        months = (day - released) / DAYS_PER_MONTH
        out.update(
            matched_by=last["matched_by"],
            matched_on=last["matched_on"],
            months_after_release=months,
            status=matched_status(len(rows), months),
        )
    else:
        out["status"] = f"not yet ({len(matched)} of {len(rows)} benchmarks matched)"
    return out
