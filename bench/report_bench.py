"""Report benchmark (not a test): `build_report` on a store of 1,000,000 own sample rows.

The store holds the Epoch AI dump (the published history) and N synthetic own sample rows:
models x suites x samples x epochs, half open and half closed, standard and agentic suites,
a few errors and limits, and a transcript for each sample a run page links. Measured:

  analysis   api.analyze (A's part: every table and the answer), seconds
  collect    reading own runs and samples for the drill-down (SQL, at most a few per run)
  render     figures + pages + run and sample pages, cold (no figure cache) and warm
  total      build_report end to end, cold and warm (the figure cache kept between them)

plus the page and figure counts and the largest SVG. Wall seconds and CPU seconds (this
process and its figure workers); on a shared machine the CPU figure is the steadier one.

    .venv/bin/python bench/report_bench.py [--rows 1000000] [--markdown]
    .venv/bin/python bench/report_bench.py --demo STORE   # time `build_report` on a store

Figures go to BENCHMARKS.md (report section).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from harness import api
from harness.config import BUNDLED_EPOCH_DUMP, load_settings

SUITES = [
    ("bench_std_a", "standard"),
    ("bench_std_b", "standard"),
    ("bench_std_c", "standard"),
    ("bench_std_d", "standard"),
    ("bench_agent_a", "agentic"),
    ("bench_agent_b", "agentic"),
    ("bench_agent_c", "agentic"),
    ("bench_agent_d", "agentic"),
]


def _cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


@dataclass
class Timing:
    wall: float = 0.0
    cpu: float = 0.0


@contextmanager
def timed(into: Timing) -> Iterator[None]:
    w, c = time.perf_counter(), _cpu()
    yield
    into.wall, into.cpu = time.perf_counter() - w, _cpu() - c


def synthetic_table(n_rows: int, seed: int = 0) -> tuple[pa.Table, pa.Table]:
    """(samples, transcripts for the first samples of each run): vectorised, no records."""
    rng = np.random.default_rng(seed)
    epochs, n_models = 5, 10
    per_run = max(1, n_rows // (n_models * len(SUITES) * epochs))
    models = [
        (f"bench-{'open' if m % 2 else 'closed'}-{m}", "open" if m % 2 else "closed")
        for m in range(n_models)
    ]
    cols: dict[str, list[np.ndarray]] = {
        k: []
        for k in (
            "run_id",
            "sample_key",
            "model_id",
            "access",
            "suite",
            "kind",
            "sample_id",
            "epoch",
            "status",
            "score",
            "release_date",
        )
    }
    t_keys, t_runs, t_suites = [], [], []
    for m, (model, access) in enumerate(models):
        released = date(2024, 1, 1) + timedelta(days=60 * m)
        for s, (suite, kind) in enumerate(SUITES):
            run = f"run-{m:02d}-{s:02d}"
            ids = np.repeat(np.arange(per_run), epochs)
            ep = np.tile(np.arange(1, epochs + 1), per_run)
            n = ids.size
            p = (
                0.2
                + 0.05 * m
                + (0.1 if access == "closed" else 0)
                - (0.1 if kind == "agentic" else 0)
            )
            score = (rng.random(n) < p).astype(float)
            status = np.where(
                rng.random(n) < 0.01, "error", np.where(rng.random(n) < 0.02, "limit", "scored")
            )
            score = np.where(status == "error", np.nan, score)
            keys = np.char.add(
                f"{run}-", np.char.add(ids.astype(str), np.char.add("-", ep.astype(str)))
            )
            cols["run_id"].append(np.full(n, run))
            cols["sample_key"].append(keys)
            cols["model_id"].append(np.full(n, model))
            cols["access"].append(np.full(n, access))
            cols["suite"].append(np.full(n, suite))
            cols["kind"].append(np.full(n, kind))
            cols["sample_id"].append(np.char.add("item-", ids.astype(str)))
            cols["epoch"].append(ep)
            cols["status"].append(status)
            cols["score"].append(score)
            cols["release_date"].append(np.full(n, np.datetime64(released)))
            t_keys += list(keys[:20])
            t_runs += [run] * 20
            t_suites += [suite] * 20
    flat = {k: np.concatenate(v) for k, v in cols.items()}
    n = flat["run_id"].size
    status = flat["status"]
    started = datetime(2026, 11, 1, tzinfo=UTC)
    table = pa.table(
        {
            **{k: pa.array(v) for k, v in flat.items() if k not in ("score", "release_date")},
            "score": pa.array(flat["score"], pa.float64(), from_pandas=True),
            "success": pa.array(np.where(status == "error", None, flat["score"] > 0.5), pa.bool_()),
            "error": pa.array(
                np.where(
                    status == "error",
                    "APIConnectionError: reset",
                    np.where(status == "limit", "message limit", None),
                )
            ),
            "release_date": pa.array(flat["release_date"]).cast(pa.date32()),
            "sweep_id": pa.array(np.full(n, "bench")),
            "suite_version": pa.array(np.full(n, "1")),
            "task": flat["suite"],
            "input_tokens": pa.array(rng.integers(100, 5000, n)),
            "output_tokens": pa.array(rng.integers(10, 500, n)),
            "cost_usd": pa.array(rng.random(n) / 1000),
            "latency_s": pa.array(rng.random(n) * 20),
            "steps": pa.array(rng.integers(1, 12, n)),
            "started_at": pa.array([started] * n, pa.timestamp("us", tz="UTC")),
            "engine": pa.array(np.full(n, "inspect")),
            "engine_version": pa.array(np.full(n, "0.3.285")),
            "harness_version": pa.array(np.full(n, "0.1.0")),
            "deployment_id": pa.array(np.char.add(flat["model_id"], "@bench")),
            "provider": pa.array(np.full(n, "openai-compatible")),
            "source": pa.array(np.full(n, "own")),
            "canary": pa.array(np.zeros(n, bool)),
            "attempt": pa.array(np.ones(n, np.int64)),
            "written_at": pa.array([started] * n, pa.timestamp("us", tz="UTC")),
            "schema_version": pa.array(np.full(n, 2)),
        }
    )
    messages = [
        [
            {
                "role": "user",
                "content": "Do the task.",
                "tool_calls": [],
                "tool_call_id": None,
                "function": None,
                "error": None,
            },
            {
                "role": "assistant",
                "content": "Done: " + "x" * 200,
                "tool_calls": [],
                "tool_call_id": None,
                "function": None,
                "error": None,
            },
        ]
    ] * len(t_keys)
    transcripts = pa.table(
        {
            "sample_key": t_keys,
            "run_id": t_runs,
            "suite": t_suites,
            "messages": messages,
            "explanation": ["ok"] * len(t_keys),
            "schema_version": [2] * len(t_keys),
        }
    )
    return table, transcripts


def workspace(root: Path) -> api.Workspace:
    settings = replace(
        load_settings(root),
        results_dir=root / "results",
        reports_dir=root / "reports",
        cache_dir=root / "cache",
    )
    return api.workspace(settings)


def build_store(root: Path, n_rows: int) -> int:
    ws = workspace(root)
    api.import_results("epoch", BUNDLED_EPOCH_DUMP, ws=ws)
    samples, transcripts = synthetic_table(n_rows)
    store = ws.store
    step = 200_000  # several files, as a real store of this size would have
    for i in range(0, samples.num_rows, step):
        part = samples.slice(i, step)
        keys = set(part["sample_key"].to_pylist())
        mask = [k in keys for k in transcripts["sample_key"].to_pylist()]
        store.append_table(part, transcripts=transcripts.filter(pa.array(mask)))
    return samples.num_rows


def run_report(root: Path, stages: dict[str, Timing]) -> Path:
    """build_report with its stages timed through the progress callback."""
    marks: dict[str, tuple[float, float]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = (time.perf_counter(), _cpu())
        marks.setdefault(f"{stage}:start", now)
        marks[f"{stage}:end"] = now

    total = Timing()
    with timed(total):
        index = api.build_report("bench", ws=workspace(root), progress=progress)
    end = (time.perf_counter(), _cpu())
    stages["total"] = total
    starts = [(k.split(":")[0], v) for k, v in marks.items() if k.endswith(":start")]
    for (name, start), nxt in zip(starts, [*starts[1:], ("", end)], strict=True):
        stages[name] = Timing(nxt[1][0] - start[0], nxt[1][1] - start[1])
    return index


def describe(site: Path) -> dict[str, object]:
    svgs = list(site.rglob("*.svg"))
    return {
        "pages": sum(1 for _ in site.rglob("*.html")),
        "sample pages": sum(1 for _ in (site / "samples").glob("*.html"))
        if (site / "samples").exists()
        else 0,
        "figures": len(svgs),
        "largest svg (KB)": round(max((p.stat().st_size for p in svgs), default=0) / 1024),
        "figures total (KB)": round(sum(p.stat().st_size for p in svgs) / 1024),
        "report size (MB)": round(
            sum(p.stat().st_size for p in site.rglob("*") if p.is_file()) / 2**20, 1
        ),
    }


def report(
    title: str, runs: list[tuple[str, dict[str, Timing]]], facts: dict[str, object], markdown: bool
) -> None:
    names = list(runs[0][1])
    if markdown:
        print(f"\n{title}\n")
        print(
            "| stage | " + " | ".join(f"{label} wall s | {label} CPU s" for label, _ in runs) + " |"
        )
        print("|---|" + "---|---|" * len(runs))
        for n in names:
            cells = " | ".join(f"{r[n].wall:.1f} | {r[n].cpu:.1f}" for _, r in runs if n in r)
            print(f"| {n} | {cells} |")
        print("\n" + ", ".join(f"{k}: {v}" for k, v in facts.items()))
    else:
        print(title)
        for label, r in runs:
            print(
                f"  {label}: "
                + ", ".join(f"{n} {t.wall:.1f}s wall / {t.cpu:.1f}s CPU" for n, t in r.items())
            )
        print("  " + ", ".join(f"{k}: {v}" for k, v in facts.items()))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--demo", type=Path, help="time build_report on this results folder instead")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument(
        "--keep", type=Path, help="build (or reuse) the store in this folder and keep it"
    )
    args = ap.parse_args(argv)
    root = args.keep or Path(tempfile.mkdtemp(prefix="report-bench-"))
    try:
        if args.keep and (root / "results").exists():
            title = f"build_report on the store kept in {root}"
        elif args.demo:
            shutil.copytree(args.demo, root / "results")
            title = f"build_report on {args.demo}"
        else:
            t = Timing()
            with timed(t):
                n = build_store(root, args.rows)
            title = f"build_report on {n:,} own sample rows + the Epoch dump (store built in {t.wall:.0f} s)"
        shutil.rmtree(root / "cache" / "report-figures", ignore_errors=True)  # a cold start
        cold: dict[str, Timing] = {}
        site = run_report(root, cold).parent
        warm: dict[str, Timing] = {}
        run_report(root, warm)
        facts = {
            **describe(site),
            "cores": os.cpu_count(),
            "load": round(os.getloadavg()[0], 1),
            "python": platform.python_version(),
        }
        report(title, [("cold", cold), ("warm", warm)], facts, args.markdown)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
