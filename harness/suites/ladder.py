"""The paired horizon ladder: one elementary skill (following a chain of lookups) at
h = 1, 2, 4, 8, 16, 32 required steps, each item in two forms with the same answer.

An item is a lookup table of `key -> result` entries. Starting from a given key, each lookup
gives either another key or a final code; the chain from the start key needs exactly h
lookups to reach its code. The table also holds distractor chains (other keys leading to
other codes), so an answer cannot be picked without following the chain.

- standard form: the whole table is in the prompt; one answer, no tools.
- agentic form: the same table sits behind a `lookup(key)` tool; h tool calls are needed.

Both forms carry the same distractor entries and the same target, so a score difference
between them on the same model is the cost of doing the work as an agent, not of the facts.

Pure python and deterministic from SEED: `python -m harness.suites.ladder [OUT_DIR]` rewrites
tasks/ladder/data/{standard,agentic}.jsonl byte for byte.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from harness.config import REPO_ROOT

SEED = 20261122
HORIZONS: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
# 30 items per rung (180 in all; version 1 had 10): the size at which the paired test finds a
# planted agentic-only decay (closed p = 0.95 and open p = 0.90 per step, equal standard
# accuracy) in at least 80% of replicates; at 10 it mostly missed it (docs/fidelity.md, from
# bench/fidelity/ladder.py). Items 0-9 of every rung are version 1's, first in the files.
ITEMS_PER_H = 30
DATA_DIR = REPO_ROOT / "tasks" / "ladder" / "data"

# Keys are lowercase pronounceable words (no digits); codes are two capitals, a dash and four
# digits. The two never look alike, so a result is unambiguously "next key" or "final code".
_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"
CODE_PATTERN = r"[A-Z]{2}-\d{4}"
_KEY_RE = re.compile(r"^[a-z]+$")

_RESULT_HELP = (
    "A result is either another key (a lowercase word) or a final code "
    "(two capital letters, a dash and four digits, like QT-5820)."
)
_ANSWER_HELP = "Give the final code on the last line of your reply, as: ANSWER: <code>"


@dataclass(frozen=True)
class LadderItem:
    id: str
    h: int
    start: str
    chain: tuple[str, ...]  # the h keys looked up, in order (chain[0] == start)
    target: str  # the final code
    entries: tuple[tuple[str, str], ...]  # the whole table (chain + distractors), shuffled

    @property
    def table(self) -> dict[str, str]:
        return dict(self.entries)


def item_id(h: int, index: int) -> str:
    return f"ladder-h{h:02d}-{index:03d}"


def _key(rng: random.Random) -> str:
    return "".join(rng.choice(_CONSONANTS) + rng.choice(_VOWELS) for _ in range(3))


def _code(rng: random.Random) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
    return f"{letters}-{rng.randrange(10000):04d}"


def make_item(h: int, index: int, seed: int = SEED) -> LadderItem:
    # A string seed is hashed with sha512 by `random`, so it is stable across processes
    # and Python versions (unlike hash()).
    rng = random.Random(f"gapbench-ladder:{seed}:{h}:{index}")
    n_distractor = max(6, h)  # the table is at least twice the chain: the facts are not the answer
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < h + n_distractor:
        k = _key(rng)
        if k not in seen:
            seen.add(k)
            keys.append(k)
    codes: list[str] = []
    while len(codes) < 4:
        c = _code(rng)
        if c not in codes:
            codes.append(c)

    chain = keys[:h]
    entries = [(chain[i], chain[i + 1]) for i in range(h - 1)] + [(chain[-1], codes[0])]
    # Three distractor chains share the remaining keys and end in the other codes; their
    # lengths vary so that chain length gives nothing away.
    rest = keys[h:]
    cuts = sorted(rng.sample(range(1, len(rest)), 2))
    for part, code in zip(
        (rest[: cuts[0]], rest[cuts[0] : cuts[1]], rest[cuts[1] :]), codes[1:], strict=True
    ):
        entries += [(part[i], part[i + 1]) for i in range(len(part) - 1)] + [(part[-1], code)]
    rng.shuffle(entries)
    return LadderItem(
        id=item_id(h, index),
        h=h,
        start=chain[0],
        chain=tuple(chain),
        target=codes[0],
        entries=tuple(entries),
    )


def make_items(seed: int = SEED, per_h: int = ITEMS_PER_H) -> list[LadderItem]:
    """Every item, index-major (h01-000, h02-000, ..., h32-000, h01-001, ...) so that any
    prefix of the suite (a sweep's `limit`) covers every horizon."""
    return [make_item(h, i, seed) for i in range(per_h) for h in HORIZONS]


def follow(table: dict[str, str], start: str) -> tuple[list[str], str]:
    """The reference solver: (keys looked up, final code). Used by tests and as documentation."""
    looked: list[str] = []
    key = start
    while True:
        looked.append(key)
        result = table[key]
        if not _KEY_RE.match(result):
            return looked, result
        key = result


def normalise_key(raw: str) -> str:
    """Lenient key parsing for the tool (same for every model): trim spaces, quotes, case."""
    return raw.strip().strip("`'\"").strip().lower()


def lookup(table: dict[str, str], key: str) -> str:
    """What the agentic form's `lookup` tool returns for `key`."""
    k = normalise_key(key)
    if k in table:
        return table[k]
    return f"no entry for key '{k}'"


def standard_prompt(item: LadderItem) -> str:
    table = "\n".join(f"{k} -> {v}" for k, v in item.entries)
    return (
        "Below is a lookup table. Each line has the form `key -> result`. "
        f"{_RESULT_HELP}\n\n"
        f"Table:\n{table}\n\n"
        f"Start with the key `{item.start}`. Look it up, then look up its result, and so on, "
        "until a lookup gives a final code.\n"
        f"{_ANSWER_HELP}"
    )


def agentic_prompt(item: LadderItem) -> str:
    return (
        "You have a tool `lookup(key)` that returns the result stored for a key in a hidden "
        f"lookup table. {_RESULT_HELP}\n\n"
        f"Start with the key `{item.start}`. Look it up with the tool, then look up its result, "
        "and so on, until a lookup gives a final code. Make one lookup per tool call.\n"
        f"{_ANSWER_HELP}"
    )


SYSTEM_PROMPT = (
    "You are a careful assistant. Use the tools you are given to find facts; "
    "never guess a result you have not looked up."
)


def _metadata(item: LadderItem) -> dict[str, object]:
    return {"start": item.start, "chain": list(item.chain), "n_entries": len(item.entries)}


def standard_row(item: LadderItem) -> dict[str, object]:
    """A StandardDoc row (harness.suites.scorers.load_docs)."""
    return {
        "id": item.id,
        "prompt": standard_prompt(item),
        "target": item.target,
        "h": item.h,
        "metadata": _metadata(item),
    }


def agentic_row(item: LadderItem) -> dict[str, object]:
    """What the inspect task needs: the prompt, the hidden table, the answer, h."""
    return {
        "id": item.id,
        "prompt": agentic_prompt(item),
        "target": item.target,
        "h": item.h,
        "table": [[k, v] for k, v in item.entries],
        "metadata": _metadata(item),
    }


def _jsonl(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=True) + "\n" for r in rows)


def render(seed: int = SEED, per_h: int = ITEMS_PER_H) -> dict[str, str]:
    """File name -> exact file text."""
    items = make_items(seed, per_h)
    return {
        "standard.jsonl": _jsonl([standard_row(it) for it in items]),
        "agentic.jsonl": _jsonl([agentic_row(it) for it in items]),
    }


def write(out_dir: Path = DATA_DIR, seed: int = SEED, per_h: int = ITEMS_PER_H) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in render(seed, per_h).items():
        path = out_dir / name
        path.write_bytes(text.encode("ascii"))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate the horizon ladder data files.")
    parser.add_argument("out_dir", nargs="?", type=Path, default=DATA_DIR)
    args = parser.parse_args(argv)
    for path in write(args.out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
