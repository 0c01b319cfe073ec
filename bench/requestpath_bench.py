"""Throughput benchmark (not a test): gapbench against the raw engines it wraps (issue 14).

P1  N one-turn samples at concurrency C against a fake OpenAI-compatible endpoint with a
    fixed latency L (bench/fake_endpoint.py, its own process), each path in its own process:
      openai-sdk       the openai SDK, bare asyncio (AsyncOpenAI + a semaphore)
      lm-eval          lm-eval's local-chat-completions model on the ladder's standard form
      ...+proxy        the same, through gapbench's request path (cold cache): its cost per call
      gapbench-std     `gapbench run` of the ladder's standard form (lm-eval inside)
      inspect          inspect-ai eval() of the ladder's agentic task, direct
      gapbench-agent   `gapbench run` of the ladder's agentic form (inspect inside)
    Ideal = N x L / C. Wall = process start to exit (imports included for every path). The
    figures: wall, efficiency (ideal / wall), gapbench / raw engine, the requests in flight
    (time-weighted mean, seen by the endpoint) and when the first request arrived.
P2  rerun of a finished sweep: upstream calls and wall of the first run, of a rerun (nothing
    to do) and of a run on a fresh results folder that shares the first run's call cache.

Each figure is the median of --repeat runs, with the range. Ratios are taken within one
sitting; the machine is shared, so read ratios rather than seconds.

    .venv/bin/python bench/requestpath_bench.py p1 --n 2000 --latency 0.1 --repeat 2
    .venv/bin/python bench/requestpath_bench.py p1 --n 500 --latency 1.0
    .venv/bin/python bench/requestpath_bench.py p2 --n 500
    (--paths openai-sdk,lm-eval,... to run a subset; --shards K for gapbench's sharding)

The code under test is whatever `harness` resolves to: PYTHONPATH=<a checkout> measures
another version with the same script (how BENCHMARKS.md's "before" figures were taken).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sk-bench-not-a-secret"
ALL_PATHS = (
    "openai-sdk", "openai-sdk+proxy", "lm-eval", "lm-eval+proxy", "gapbench-std", "inspect",
    "gapbench-agent",
)  # fmt: skip
ENGINE_OF = {
    "gapbench-std": "lm-eval", "gapbench-agent": "inspect", "openai-sdk+proxy": "openai-sdk",
    "lm-eval+proxy": "lm-eval",
}  # fmt: skip


# --- the workspace: N ladder items at h = 1, a models.yaml aimed at the fake endpoint --------


def make_workspace(root: Path, n: int, base_url: str, concurrency: int, shards: int | None) -> None:
    from harness.suites import ladder

    items = [ladder.make_item(1, i) for i in range(n)]
    data = root / "tasks" / "ladder" / "data"
    data.mkdir(parents=True)
    (data / "standard.jsonl").write_text(
        "".join(json.dumps(ladder.standard_row(it)) + "\n" for it in items)
    )
    (data / "agentic.jsonl").write_text(
        "".join(json.dumps(ladder.agentic_row(it)) + "\n" for it in items)
    )
    for form, kind, engine in (
        ("standard", "standard", "lm_eval"),
        ("agentic", "agentic", "inspect"),
    ):
        d = root / "tasks" / "ladder" / form
        d.mkdir()
        extra = "scorer: ladder_answer\n" if form == "standard" else ""
        limits = "  message_limit: 140\n  time_limit_s: 300\n" if form == "agentic" else ""
        (d / "suite.yaml").write_text(
            f"name: ladder_{form}\nversion: '1'\nkind: {kind}\nengine: {engine}\n"
            f"description: bench ladder ({form} form)\n"
            f"task: ladder_{form}\nsource: bench\nlicence: Apache-2.0\nsize: {n}\n"
            f"data: ../data/{form}.jsonl\n{extra}smoke: [{items[0].id}]\n"
            f"limits:\n  max_tokens: 64\n  temperature: 0.0\n{limits}"
        )
    (root / "models.yaml").write_text(
        "models:\n"
        "  - {id: fake-gpt, name: fake-gpt, organisation: Bench, access: closed,\n"
        "     release_date: 2026-01-15, licence: proprietary, source: http://example.invalid}\n"
        "deployments:\n"
        f"  - {{id: fake-gpt@bench, model: fake-gpt, provider: openai, api_model: fake-gpt,\n"
        f"     base_url: '{base_url}', api_key_env: BENCH_API_KEY,\n"
        f"     max_connections: {concurrency}, timeout_s: 60,\n"
        "     pricing: {input_per_m: 1.0, output_per_m: 2.0}}\n"
    )
    for form in ("standard", "agentic"):
        shard_line = f"shards: {shards or 1}\n"  # 1: the engine as one process, like the raw paths
        (root / f"sweep-{form}.yaml").write_text(
            f"name: bench-{form}\nmodels: [fake-gpt]\nsuites: [ladder_{form}]\nepochs: 1\n"
            f"concurrency: {concurrency}\n{shard_line}"
        )


def env_for(root: Path, cache: str = "cache", results: str = "results") -> dict[str, str]:
    return {
        **os.environ,
        "BENCH_API_KEY": KEY,
        "GAPBENCH_TASKS_DIR": str(root / "tasks"),
        "GAPBENCH_REGISTRY": str(root / "models.yaml"),
        "GAPBENCH_RESULTS_DIR": str(root / results),
        "GAPBENCH_CACHE_DIR": str(root / cache),
        "GAPBENCH_REPORTS_DIR": str(root / "reports"),
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "INSPECT_LOG_DIR": str(root / "inspect-logs"),
    }


# --- the direct paths, each run as `python requestpath_bench.py child <path> ...` ------------


def child_openai(base_url: str, n: int, concurrency: int) -> None:
    import openai

    async def go() -> None:
        client = openai.AsyncOpenAI(base_url=base_url, api_key=KEY, max_retries=0)
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await client.chat.completions.create(
                    model="fake-gpt",
                    messages=[{"role": "user", "content": f"question {i}"}],
                    max_tokens=64,
                )

        await asyncio.gather(*(one(i) for i in range(n)))
        await client.close()

    asyncio.run(go())


def child_lm_eval(base_url: str, n: int, concurrency: int, root: Path) -> None:
    from lm_eval.api.task import ConfigurableTask
    from lm_eval.evaluator import evaluate
    from lm_eval.models.openai_completions import LocalChatCompletion

    lm = LocalChatCompletion(
        model="fake-gpt",
        base_url=base_url + "/chat/completions",
        tokenizer_backend=None,
        tokenized_requests=False,
        num_concurrent=concurrency,
        max_gen_toks=64,
        timeout=60,
    )
    config = {
        "task": "ladder_standard_direct",
        "dataset_path": "json",
        "dataset_kwargs": {
            "data_files": {"test": str(root / "tasks/ladder/data/standard.jsonl")},
            "cache_dir": str(root / "datasets"),
        },
        "test_split": "test",
        "output_type": "generate_until",
        "doc_to_text": "prompt",
        "doc_to_target": "target",
        "generation_kwargs": {"until": [], "max_gen_toks": 64, "temperature": 0.0},
        "process_results": lambda doc, results: {"acc": float(doc["target"] in results[0])},
        "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        "num_fewshot": 0,
        "metadata": {"version": 1},
    }
    task = ConfigurableTask(config=config)
    evaluate(
        lm=lm,
        task_dict={"tasks": {"ladder_standard_direct": task}, "groups": {}},
        bootstrap_iters=0,
        apply_chat_template=True,
    )


def child_inspect(base_url: str, n: int, concurrency: int, root: Path) -> None:
    from inspect_ai import eval as inspect_eval
    from inspect_ai.model import GenerateConfig, get_model

    from harness.offline import ensure_tiktoken_offline
    from harness.runners.inspect_tasks.ladder import ladder_task, load_samples

    ensure_tiktoken_offline(root / "cache")
    task = ladder_task(load_samples(root / "tasks/ladder/data/agentic.jsonl"))
    model = get_model(
        "openai-api/bench/fake-gpt",
        base_url=base_url,
        api_key=KEY,
        config=GenerateConfig(max_connections=concurrency, max_tokens=64, temperature=0.0),
        memoize=False,
    )
    inspect_eval(
        task,
        model=model,
        max_samples=concurrency,
        display="none",
        log_dir=str(root / "inspect-logs"),
        log_level="warning",
        score_display=False,
    )


# --- the parent: endpoint, processes, figures -------------------------------------------------


class Endpoint:
    def __init__(self, latency_s: float) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "fake_endpoint.py"), "--latency", str(latency_s)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        self.url = f"http://127.0.0.1:{int(line[1])}"

    def call(self, path: str, method: str = "GET") -> dict[str, Any]:
        req = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return dict(json.loads(r.read()))

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@dataclass
class Sample:
    wall_s: float
    first_s: float | None  # first request after process start
    phase_s: float  # first request in to last answer out, at the endpoint
    calls: int
    mean_in_flight: float
    rc: int


def run_process(cmd: list[str], env: dict[str, str], cwd: Path, ep: Endpoint) -> Sample:
    ep.call("/reset", "POST")
    t0 = time.time()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.time() - t0
    stats = ep.call("/stats")
    if proc.returncode != 0:
        print(f"  ! {' '.join(cmd[-3:])} exited {proc.returncode}: {proc.stderr[-800:]}",
              file=sys.stderr)  # fmt: skip
    first = stats["first_at"] - t0 if stats["first_at"] else None
    phase = stats["last_at"] - stats["first_at"] if stats["first_at"] else 0.0
    sample = Sample(wall, first, phase, int(stats["n"]), float(stats["mean_in_flight"]),
                    proc.returncode)  # fmt: skip
    if proc.returncode != 0 and os.environ.get("BENCH_STRICT"):
        raise SystemExit(1)
    return sample


def path_command(path: str, root: Path, ep: Endpoint, n: int, concurrency: int) -> list[str]:
    if path.startswith("gapbench"):
        form = "standard" if path == "gapbench-std" else "agentic"
        return [sys.executable, "-m", "harness.cli", "run", str(root / f"sweep-{form}.yaml")]
    return [sys.executable, str(Path(__file__).resolve()), "child", path, ep.url + "/v1",
            str(n), str(concurrency), str(root)]  # fmt: skip


def fresh(root: Path) -> None:
    for name in ("results", "cache", "inspect-logs", "datasets", "reports"):
        shutil.rmtree(root / name, ignore_errors=True)


def med(xs: list[float]) -> str:
    m = statistics.median(xs)
    return f"{m:.2f}" if len(xs) == 1 else f"{m:.2f} ({min(xs):.2f}-{max(xs):.2f})"


def header(args: argparse.Namespace) -> str:
    import harness

    versions = ", ".join(
        f"{p} {metadata.version(p)}" for p in ("inspect-ai", "lm-eval", "openai", "aiohttp")
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, "
        f"load {load:.1f} at start, Python {platform.python_version()}, {versions}; "
        f"harness from {Path(harness.__file__).parent.parent}"
    )


def p1(args: argparse.Namespace) -> None:
    paths = args.paths.split(",") if args.paths else list(ALL_PATHS)
    ep = Endpoint(args.latency)
    results: dict[str, list[Sample]] = {p: [] for p in paths}
    try:
        with tempfile.TemporaryDirectory(prefix="gapbench-p1-") as tmp:
            root = Path(tmp)
            make_workspace(root, args.n, ep.url + "/v1", args.concurrency, args.shards)
            for r in range(args.repeat):  # interleaved, so that load drifts hit every path
                for path in paths:
                    fresh(root)
                    s = run_process(path_command(path, root, ep, args.n, args.concurrency),
                                    env_for(root), root, ep)  # fmt: skip
                    results[path].append(s)
                    print(f"  {path} #{r + 1}: {s.wall_s:.2f} s, {s.calls} calls, "
                          f"{s.mean_in_flight:.1f} in flight", file=sys.stderr)  # fmt: skip
    finally:
        ep.close()
    ideal = args.n * args.latency / args.concurrency
    print(f"\nP1: N={args.n}, concurrency {args.concurrency}, latency {args.latency} s, "
          f"ideal {ideal:.2f} s, median of {args.repeat} (range)"
          + (f", gapbench with shards: {args.shards}" if args.shards else ""))  # fmt: skip
    print(header(args))
    print("\n| path | wall (s) | efficiency | gapbench / raw engine | request phase (s) | "
          "phase / raw | in flight (mean) | first request after (s) | calls |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    phases = {p: statistics.median(s.phase_s for s in v) for p, v in results.items() if v}
    walls = {p: statistics.median(s.wall_s for s in v) for p, v in results.items() if v}
    for path, samples in results.items():
        w = [s.wall_s for s in samples]
        eff = [ideal / x for x in w]
        raw = ENGINE_OF.get(path)
        ratio = f"{walls[path] / walls[raw]:.2f}" if raw in walls else ""
        pratio = f"{phases[path] / phases[raw]:.2f}" if raw in phases else ""
        firsts = [s.first_s for s in samples if s.first_s is not None]
        bad = "" if all(s.rc == 0 for s in samples) else " (exit != 0)"
        print(f"| {path}{bad} | {med(w)} | {med(eff)} | {ratio} | "
              f"{med([s.phase_s for s in samples])} | {pratio} | "
              f"{med([s.mean_in_flight for s in samples])} | {med(firsts) if firsts else '-'} | "
              f"{statistics.median(s.calls for s in samples):.0f} |")  # fmt: skip


def p2(args: argparse.Namespace) -> None:
    ep = Endpoint(args.latency)
    rows: dict[str, dict[str, list[Sample]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="gapbench-p2-") as tmp:
            root = Path(tmp)
            make_workspace(root, args.n, ep.url + "/v1", args.concurrency, args.shards)
            for form in ("standard", "agentic"):
                runs: dict[str, list[Sample]] = {"first": [], "rerun": [], "fresh results": []}
                for r in range(args.repeat):
                    fresh(root)
                    shutil.rmtree(root / "results-2", ignore_errors=True)
                    cmd = [
                        sys.executable,
                        "-m",
                        "harness.cli",
                        "run",
                        str(root / f"sweep-{form}.yaml"),
                    ]
                    runs["first"].append(run_process(cmd, env_for(root), root, ep))
                    runs["rerun"].append(run_process(cmd, env_for(root), root, ep))
                    runs["fresh results"].append(
                        run_process(cmd, env_for(root, results="results-2"), root, ep)
                    )
                    print(f"  {form} #{r + 1}: " + ", ".join(
                        f"{k} {v[-1].wall_s:.2f} s / {v[-1].calls} calls" for k, v in runs.items()
                    ), file=sys.stderr)  # fmt: skip
                rows[form] = runs
    finally:
        ep.close()
    print(f"\nP2: N={args.n}, concurrency {args.concurrency}, latency {args.latency} s, "
          f"median of {args.repeat} (range)")  # fmt: skip
    print(header(args))
    print("\n| suite | run | wall (s) | upstream calls | first / this |")
    print("|---|---|---|---|---|")
    for form, runs in rows.items():
        first = statistics.median(s.wall_s for s in runs["first"])
        for name, samples in runs.items():
            w = [s.wall_s for s in samples]
            ratio = "" if name == "first" else f"{first / statistics.median(w):.1f}x"
            print(f"| ladder_{form} | {name} | {med(w)} | "
                  f"{statistics.median(s.calls for s in samples):.0f} | {ratio} |")  # fmt: skip


def child(path: str, url: str, n: int, c: int, root: Path) -> None:
    if path.endswith("+proxy"):  # the request path in front, as gapbench puts it
        from harness.models import Deployment
        from harness.serve.proxy import Ledger, request_path
        from harness.serve.remote import remote_endpoint
        from tests.fakeapi.registry import fake_card

        dep = Deployment(id="fake-gpt@bench", model="fake-gpt", provider="openai-compatible",
                         base_url=url, max_connections=c, timeout_s=60)  # fmt: skip
        ledger = Ledger()
        with request_path(remote_endpoint(dep, fake_card()), deployment=dep,
                          cache_dir=root / "cache", ledger=ledger) as ep:  # fmt: skip
            child(path.removesuffix("+proxy"), str(ep.base_url), n, c, root)
        assert ledger.n_upstream_calls == n, ledger.n_upstream_calls
    elif path == "openai-sdk":
        child_openai(url, n, c)
    elif path == "lm-eval":
        child_lm_eval(url, n, c, root)
    elif path == "inspect":
        child_inspect(url, n, c, root)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        sys.path.insert(0, str(HERE.parent))  # tests.fakeapi
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), Path(sys.argv[6]))
        return 0
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("which", choices=["p1", "p2"])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--paths", help=f"comma-separated subset of {','.join(ALL_PATHS)}")
    ap.add_argument("--shards", type=int, help="worker processes per gapbench run (default 1)")
    args = ap.parse_args()
    {"p1": p1, "p2": p2}[args.which](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
