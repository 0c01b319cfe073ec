"""Executor benchmark (not a test): runs side by side (issue 14, "2 deployments x 2 suites take
about as long as the longest run, not the sum").

Two API deployments (bench-a, bench-b) at one fake OpenAI-compatible endpoint with a fixed
latency (bench/fake_endpoint.py, its own process), each with its own concurrency limit C;
suites ladder_standard (lm-eval) and ladder_agentic (inspect), N samples each. Every sample is
one model call (the fake never calls a tool). Measured, each in a fresh process and results
folder, the wall of execute() (imports and planning excluded):
  single   each of the four runs alone
  2x2      the four runs in one sweep
and the ratios 2x2 / longest single and 2x2 / sum of singles. Medians of --repeat.

    .venv/bin/python bench/executor_side_by_side.py --n 60 --latency 0.5 --concurrency 4
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-not-a-secret"
RUNS = [(m, s) for m in ("bench-a", "bench-b") for s in ("ladder_standard", "ladder_agentic")]


def _registry(base_url: str, concurrency: int) -> str:
    import yaml

    cards, deps = [], []
    for name in ("bench-a", "bench-b"):
        cards.append({"id": name, "name": name, "organisation": "bench", "access": "closed",
                      "release_date": "2026-01-01", "licence": "x", "source": "x"})  # fmt: skip
        deps.append({"id": f"{name}@fake", "model": name, "provider": "openai-compatible",
                     "api_model": "fake-gpt", "base_url": base_url, "api_key_env": "BENCH_KEY",
                     "max_connections": concurrency, "max_retries": 0, "timeout_s": 60})  # fmt: skip
    return yaml.safe_dump({"models": cards, "deployments": deps}, sort_keys=False)


def one(root: Path, models: list[str], suites: list[str], n: int) -> float:
    """Plan and execute one sweep in this process; the wall of execute() in seconds."""
    from dataclasses import replace

    from harness import api
    from harness.config import load_settings
    from harness.sweep.execute import execute

    settings = replace(load_settings(root), registry_path=root / "models.yaml",
                       results_dir=root / "results", cache_dir=root / "cache")  # fmt: skip
    sweep = root / "sweep.yaml"
    sweep.write_text(json.dumps({"name": "bench", "models": models, "suites": suites, "limit": n}))
    plan = api.plan(sweep, ws=api.workspace(settings))
    t0 = time.monotonic()
    out = execute(plan, settings)
    wall = time.monotonic() - t0
    assert out.exit_code == 0, out.summary_lines()
    return wall


def _measure(
    base_url: str, concurrency: int, models: list[str], suites: list[str], n: int
) -> float:
    with tempfile.TemporaryDirectory(prefix="gapbench-exec-bench-") as tmp:
        root = Path(tmp)
        (root / "models.yaml").write_text(_registry(base_url, concurrency))
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "one",
                str(root),
                ",".join(models),
                ",".join(suites),
                str(n),
            ],
            env={**os.environ, "BENCH_KEY": KEY, "GAPBENCH_CACHE_DIR": str(root / "cache")},
            capture_output=True,
            text=True,
            check=True,
        )
        return float(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "one":
        _, _, root, models, suites, n = sys.argv
        print(one(Path(root), models.split(","), suites.split(","), int(n)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=60, help="samples per run (ladder: at most 60)")
    ap.add_argument("--latency", type=float, default=0.5)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    endpoint = subprocess.Popen(
        [sys.executable, str(HERE / "fake_endpoint.py"), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert endpoint.stdout is not None
        port = int(endpoint.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}/v1"
        singles: dict[str, list[float]] = {f"{m} x {s}": [] for m, s in RUNS}
        both: list[float] = []
        for _ in range(args.repeat):
            for m, s in RUNS:
                singles[f"{m} x {s}"].append(_measure(base, args.concurrency, [m], [s], args.n))
            both.append(
                _measure(base, args.concurrency, ["bench-a", "bench-b"],
                         ["ladder_standard", "ladder_agentic"], args.n)
            )  # fmt: skip
    finally:
        endpoint.kill()
    med = {k: statistics.median(v) for k, v in singles.items()}
    wall = statistics.median(both)
    ideal = args.n * args.latency / args.concurrency
    print(f"# executor side by side, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"N={args.n} per run, L={args.latency}s, C={args.concurrency} per deployment, "
          f"ideal per run N*L/C={ideal:.1f}s, repeat {args.repeat}")  # fmt: skip
    for k, v in med.items():
        print(f"single {k}: {v:.1f}s (range {min(singles[k]):.1f}-{max(singles[k]):.1f})")
    print(f"2x2 in one sweep: {wall:.1f}s (range {min(both):.1f}-{max(both):.1f})")
    print(f"2x2 / longest single = {wall / max(med.values()):.2f}; "
          f"2x2 / sum of singles = {wall / sum(med.values()):.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
