"""Request-path benchmark (not a test): what the caching, accounting proxy costs per call.

Sends N chat-completion requests with the official openai SDK to the local fake server:
  baseline  straight to the fake server
  proxy     through request_path (cold cache: every call goes upstream, is accounted, cached)
  replay    the same requests again through a new proxy session (answered from the cache)
and reports seconds per call and the ratio to the baseline taken in the same run.

    .venv/bin/python bench/proxy_bench.py [--calls 300] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import openai

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.serve.proxy import request_path
from harness.serve.proxy.ledger import Ledger
from tests.fakeapi import FakeAPI
from tests.fakeapi.registry import fake_deployment, fake_endpoint

KEY = "sk-bench"


def send(base_url: str, n: int, tag: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)
    for i in range(n):
        client.chat.completions.create(
            model="fake-gpt",
            messages=[{"role": "user", "content": f"{tag} question {i}"}],
            max_tokens=16,
        )


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows: dict[str, list[float]] = {"baseline": [], "proxy": [], "replay": []}
    with FakeAPI(api_key=KEY) as fake:
        dep = fake_deployment("openai", fake.openai_base_url)
        endpoint = fake_endpoint(dep)
        for r in range(args.repeat):
            rows["baseline"].append(timed(partial(send, fake.openai_base_url, args.calls, f"b{r}")))
            with tempfile.TemporaryDirectory() as cache:
                ledger = Ledger()
                with request_path(
                    endpoint, deployment=dep, cache_dir=Path(cache), ledger=ledger
                ) as ep:
                    assert ep.base_url is not None
                    rows["proxy"].append(timed(partial(send, ep.base_url, args.calls, f"p{r}")))
                assert ledger.n_upstream_calls == args.calls
                before = fake.n_requests
                with request_path(
                    endpoint, deployment=dep, cache_dir=Path(cache), ledger=ledger
                ) as ep:
                    assert ep.base_url is not None
                    rows["replay"].append(timed(partial(send, ep.base_url, args.calls, f"p{r}")))
                assert fake.n_requests == before, "replay went upstream"
    base = statistics.median(rows["baseline"])
    print(f"| path | ms per call (median of {args.repeat} x {args.calls}) | ratio |")
    print("|---|---|---|")
    for name, label in (
        ("baseline", "SDK straight to the server"),
        ("proxy", "through the proxy, cold cache"),
        ("replay", "through the proxy, answered from cache"),
    ):
        t = statistics.median(rows[name])
        print(f"| {label} | {1000 * t / args.calls:.2f} | {t / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
