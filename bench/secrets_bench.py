"""Key masking on a large engine log: the anchor test against the one-regex test it replaced.

A tau2 run's inspect log holds about a gigabyte of JSON; every member is checked for keys
before the log is kept. Baseline (in the same run): the former test, one regex with every
shape as an alternative (harness.secrets.ANY_SHAPE, Python's re, case-insensitive). Then the
anchor test (`_shapes_in`) and the whole mask (`mask_bytes`) on the same text.

    .venv/bin/python bench/secrets_bench.py [--mb 10] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections.abc import Callable

from harness.secrets import ANY_SHAPE, _peek, _shapes_in, mask_bytes


def log_like(mb: float, seed: int = 1) -> bytes:
    """JSON shaped like an inspect sample: messages, tool calls, database state, URLs."""
    rng = random.Random(seed)
    words = ["reservation", "flight", "user_id", "status", "amount", "https://example.com/a",
             "input_tokens", "monkey", "keyboard", "payment", "cabin", "baggage"]  # fmt: skip
    parts: list[str] = []
    size = 0
    while size < mb * 1e6:
        item = {
            "role": rng.choice(["user", "assistant", "tool"]),
            "content": " ".join(rng.choice(words) for _ in range(40)),
            "state": {f"k{i}": rng.random() for i in range(8)},
        }
        text = json.dumps(item)
        parts.append(text)
        size += len(text)
    return ("[" + ",".join(parts) + "]").encode()


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    data = log_like(args.mb)
    former = re.compile(ANY_SHAPE, re.IGNORECASE)
    base = best(lambda: former.search(_peek(data)), args.repeat)
    anchors = best(lambda: _shapes_in(_peek(data)), args.repeat)
    whole = best(lambda: mask_bytes(data, ()), args.repeat)
    print(f"| step ({len(data) / 1e6:.0f} MB of log-like JSON) | s | ratio |")
    print("|---|---|---|")
    print(f"| baseline: one regex of every shape (the former test) | {base:.3f} | 1.0x |")
    print(f"| anchor test (`_shapes_in`) | {anchors:.3f} | {anchors / base:.2f}x |")
    print(f"| whole mask (`mask_bytes`, anchors hit: '://') | {whole:.3f} | {whole / base:.2f}x |")


if __name__ == "__main__":
    main()
