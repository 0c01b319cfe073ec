"""Results-store benchmark (not a test): 1,000,000 synthetic sample rows.

Measures, each as absolute seconds and as a ratio to a baseline taken in the same run:
  ingest   Store.append_samples(1M records)  and  Store.append_table(1M-row Arrow table)
           vs. pyarrow.parquet.write_table of the same table to one file (no checks, no dedup)
  query    the gap-table query (best score per access / benchmark / release date, i.e. the
           open and closed frontiers) through Store.query (file checks + dedup view)
           vs. the same SQL with DuckDB straight over the baseline file
  load     Store.samples() -> pandas (1M rows), Store.done_keys(run) (resume check)
  small    the same query over 1,000 small files (one per chunk) before and after compact()

    .venv/bin/python bench/store_bench.py [--rows 1000000] [--repeat 3] [--markdown]

Timings are the median of --repeat runs. Machine load changes absolute figures; ratios
are more stable. Figures go to BENCHMARKS.md (store section).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from harness._types import DeploymentFacts, SampleRecord
from harness.store import Store
from harness.store.keys import sample_key, stable_hash
from harness.store.rows import samples_table

GAP_SQL = """
WITH per_model AS (
    SELECT suite, kind, access, model_id, release_date, avg(score) AS score
    FROM {src} WHERE status = 'scored'
    GROUP BY suite, kind, access, model_id, release_date
)
SELECT suite, kind, access, release_date, model_id, score,
       max(score) OVER (PARTITION BY suite, access ORDER BY release_date
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS frontier
FROM per_model ORDER BY suite, access, release_date
"""


def synthetic_records(n_rows: int, seed: int = 0) -> list[SampleRecord]:
    """Models x suites x samples; success odds rise with release date, closed a bit ahead."""
    rng = random.Random(seed)
    n_suites, n_samples = 20, 250
    n_models = max(1, n_rows // (n_suites * n_samples))
    facts = DeploymentFacts(deployment_id="bench", provider="openai-compatible")
    started = datetime(2026, 11, 1, tzinfo=UTC)
    out: list[SampleRecord] = []
    for m in range(n_models):
        access = "closed" if m % 2 else "open"
        released = date(2023, 1, 1) + timedelta(days=(m * 1200) // n_models)
        model_id = f"model-{m:03d}"
        for s in range(n_suites):
            suite = f"suite-{s:02d}"
            kind = "agentic" if s % 2 else "standard"
            run_id = stable_hash({"m": model_id, "s": suite})
            p = min(
                0.95,
                0.2
                + (released - date(2023, 1, 1)).days / 1600
                + (0.05 if access == "closed" else 0),
            )
            for i in range(n_samples):
                ok = rng.random() < p
                sid = f"{suite}-{i}"
                out.append(
                    SampleRecord(
                        run_id=run_id,
                        sample_key=sample_key(run_id, sid, 1),
                        sweep_id="bench",
                        model_id=model_id,
                        access=access,
                        release_date=released,
                        suite=suite,
                        suite_version="1",
                        kind=kind,
                        task=suite,
                        sample_id=sid,
                        epoch=1,
                        status="scored",
                        engine="inspect",
                        engine_version="0.3",
                        harness_version="bench",
                        facts=facts,
                        score=1.0 if ok else 0.0,
                        success=ok,
                        input_tokens=500,
                        output_tokens=50,
                        latency_s=1.5,
                        started_at=started,
                    )
                )
                if len(out) >= n_rows:
                    return out
    return out


def timed(fn: Callable[[], object], repeat: int, setup: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(repeat):
        if setup:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _v2_section(store: Store, records: list[SampleRecord], repeat: int) -> dict[str, float]:
    """Schema v2 (store owner C): retries, sweep membership and transcripts at scale."""
    import dataclasses

    from harness._types import Transcript, TranscriptMessage

    r: dict[str, float] = {}
    errored = [
        dataclasses.replace(rec, run_id="retry-run", sample_key=f"retry-{i}", status="error",
                            score=None, success=None, error="HTTP 500")
        for i, rec in enumerate(records[:10_000])
    ]  # fmt: skip
    store.append_samples(errored)
    healed = [dataclasses.replace(rec, status="scored", score=1.0, error=None) for rec in errored]
    t0 = time.perf_counter()
    assert store.append_samples(healed) == len(healed)
    r["retry_append"] = time.perf_counter() - t0
    r["gap_query_retried"] = timed(lambda: store.query(GAP_SQL.format(src="samples")), repeat)
    t0 = time.perf_counter()
    store.add_sweep_members("second-sweep", (rec.sample_key for rec in records))
    r["membership_add"] = time.perf_counter() - t0
    r["sweep_samples"] = timed(lambda: store.samples(sweep_id="second-sweep"), repeat)
    talk = (
        TranscriptMessage(role="user", content="What is the code at the end of the chain? " * 5),
        TranscriptMessage(role="assistant", content="Following the table.\nANSWER: k42 " * 3),
    )
    with_t = [
        dataclasses.replace(rec, run_id="t-run", sample_key=f"t-{i}",
                            transcript=Transcript(messages=talk, prompt=talk[0].content,
                                                  output=talk[1].content, target="k42"))
        for i, rec in enumerate(records[:100_000])
    ]  # fmt: skip
    t0 = time.perf_counter()
    store.append_samples(with_t)
    r["transcripts_append"] = time.perf_counter() - t0
    keys = [rec.sample_key for rec in with_t[::1000]]
    r["transcripts_lookup"] = timed(lambda: store.transcripts(keys), repeat)
    r["gap_query_after_transcripts"] = timed(
        lambda: store.query(GAP_SQL.format(src="samples")), repeat
    )
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small-files", type=int, default=1000)
    ap.add_argument("--markdown", action="store_true", help="print a BENCHMARKS.md table")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="gapbench-store-bench-"))
    try:
        t0 = time.perf_counter()
        gc.disable()  # a million live records: the cyclic GC would dominate generation
        records = synthetic_records(args.rows)
        gc.enable()
        t_gen = time.perf_counter() - t0
        table = samples_table(records)
        base_file = work / "baseline.parquet"
        store_dir = work / "store"

        def reset() -> None:
            shutil.rmtree(store_dir, ignore_errors=True)

        r: dict[str, float] = {}
        r["baseline_write"] = timed(
            lambda: pq.write_table(table, base_file, compression="zstd"), args.repeat
        )
        r["append_samples"] = timed(
            lambda: Store(store_dir).append_samples(records), args.repeat, reset
        )
        r["append_table"] = timed(lambda: Store(store_dir).append_table(table), args.repeat, reset)
        store = Store(store_dir)  # holds the last ingest (20 files, one per suite)
        assert len(store.all_keys()) == len(records)

        con = duckdb.connect()
        src = f"read_parquet('{base_file}')"
        r["baseline_query"] = timed(
            lambda: con.sql(GAP_SQL.format(src=src)).fetchall(), args.repeat
        )
        # cold: a new Store (footers checked, duplicate keys looked for); warm: cached
        r["gap_query_cold"] = timed(
            lambda: Store(store_dir).query(GAP_SQL.format(src="samples")), args.repeat
        )
        r["gap_query"] = timed(lambda: store.query(GAP_SQL.format(src="samples")), args.repeat)
        r["samples_df"] = timed(store.samples, args.repeat)
        r["done_keys"] = timed(lambda: store.done_keys(records[0].run_id), args.repeat)
        r["reingest_noop"] = timed(lambda: store.append_samples(records[:1000]), args.repeat)

        # Many small files: one file per chunk, as a sweep writes them (chunks within a suite).
        small = Store(work / "small")
        chunk = max(1, len(records) // args.small_files)
        by_suite = table.sort_by("suite")
        t0 = time.perf_counter()
        for i in range(0, len(records), chunk):
            small.append_table(by_suite.slice(i, chunk))
        r["small_ingest"] = time.perf_counter() - t0
        r["small_files"] = len(small.files("samples"))
        r["small_query_cold"] = timed(
            lambda: Store(small.root).query(GAP_SQL.format(src="samples")), args.repeat
        )
        r["small_query"] = timed(lambda: small.query(GAP_SQL.format(src="samples")), args.repeat)
        t0 = time.perf_counter()
        small.compact()
        r["compact"] = time.perf_counter() - t0
        small = Store(small.root)
        r["compacted_files"] = len(small.files("samples"))
        r["compacted_query"] = timed(
            lambda: small.query(GAP_SQL.format(src="samples")), args.repeat
        )
        if hasattr(store, "add_sweep_members"):  # schema v2 (C): run on v2 stores only
            r.update(_v2_section(store, records, args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    n = len(records)
    host = f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    rows = [
        (f"generate {n:,} SampleRecords (not part of ingest)", t_gen, None),
        ("baseline: pyarrow write_table, 1 file", r["baseline_write"], 1.0),
        (
            "Store.append_samples(records)",
            r["append_samples"],
            r["append_samples"] / r["baseline_write"],
        ),
        (
            "Store.append_table(arrow table)",
            r["append_table"],
            r["append_table"] / r["baseline_write"],
        ),
        ("baseline: gap query, DuckDB on the 1 file", r["baseline_query"], 1.0),
        (
            "gap query, new Store (checks + dedup)",
            r["gap_query_cold"],
            r["gap_query_cold"] / r["baseline_query"],
        ),
        ("gap query, same Store (cached)", r["gap_query"], r["gap_query"] / r["baseline_query"]),
        ("Store.samples() -> pandas, all rows", r["samples_df"], None),
        ("Store.done_keys(run)", r["done_keys"], None),
        ("append 1,000 already-stored records (no-op)", r["reingest_noop"], None),
        (f"ingest as {int(r['small_files'])} small files", r["small_ingest"], None),
        (
            f"gap query over {int(r['small_files'])} small files, new Store",
            r["small_query_cold"],
            r["small_query_cold"] / r["baseline_query"],
        ),
        (
            f"gap query over {int(r['small_files'])} small files, same Store",
            r["small_query"],
            r["small_query"] / r["baseline_query"],
        ),
        ("Store.compact()", r["compact"], None),
        (
            f"gap query after compact ({int(r['compacted_files'])} files)",
            r["compacted_query"],
            r["compacted_query"] / r["baseline_query"],
        ),
    ]
    if "retry_append" in r:
        rows += [
            ("v2: append 10,000 retries of errored samples (attempt 2)", r["retry_append"], None),
            (
                "v2: gap query with 10,000 keys holding two attempts",
                r["gap_query_retried"],
                r["gap_query_retried"] / r["baseline_query"],
            ),
            ("v2: add_sweep_members(all keys) for a second sweep", r["membership_add"], None),
            ("v2: Store.samples(sweep_id=second sweep) -> pandas", r["sweep_samples"], None),
            ("v2: append 100,000 records with transcripts", r["transcripts_append"], None),
            ("v2: Store.transcripts(100 keys)", r["transcripts_lookup"], None),
            (
                "v2: gap query after transcripts (they stay out of samples)",
                r["gap_query_after_transcripts"],
                r["gap_query_after_transcripts"] / r["baseline_query"],
            ),
        ]
    if args.markdown:
        print(f"{n:,} rows; {host}; median of {args.repeat}\n")
        print("| step | seconds | ratio to baseline |\n|---|---|---|")
        for name, sec, ratio in rows:
            print(f"| {name} | {sec:.2f} | {'' if ratio is None else f'{ratio:.1f}x'} |")
    else:
        print(f"{n:,} rows; {host}; median of {args.repeat}")
        for name, sec, ratio in rows:
            print(f"  {name:55s} {sec:8.2f} s  {'' if ratio is None else f'{ratio:6.1f}x'}")


if __name__ == "__main__":
    main()
