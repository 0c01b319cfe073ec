"""lm-eval's own gsm8k task scoring given responses: its filters ("strict-match",
"flexible-extract") and its exact_match metric, applied by the task object itself.

Runs in gapbench's environment (.venv: lm-eval is a runtime dependency at the same version,
so nothing is installed for it), but as its own process that imports lm_eval only, never
gapbench:

    .venv/bin/python -I bench/fidelity/gsm8k_official.py < items.json > scores.json

Input: {"items": [{"key", "doc_id", "response"}], "hf_datasets_cache": path}: the task's data
is read from that Hugging Face datasets cache (offline), as gapbench's run reads it.
Output: {"version", "entry", "scores": {key: {"strict-match": 0|1, "flexible-extract": 0|1,
"filtered": {filter: text}}}}.

What it does is what lm_eval.evaluator.evaluate does per request: an Instance per response
(the task's own request for the doc, its response set to the given text), Task.apply_filters(),
then Task.process_results(doc, [filtered response]) for each filter.
"""

from __future__ import annotations

import json
import os
import sys
from importlib import metadata
from pathlib import Path


def main() -> None:
    request = json.load(sys.stdin)
    os.environ["HF_DATASETS_CACHE"] = request["hf_datasets_cache"]
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    stdout = sys.stdout
    sys.stdout = sys.stderr  # lm-eval logs; only the result goes to stdout
    try:
        import lm_eval.tasks
        from lm_eval.api.instance import Instance
        from lm_eval.tasks import TaskManager

        # lm-eval's own gsm8k folder only (indexing every task folder takes ~10 s).
        folder = Path(lm_eval.tasks.__file__).parent / "gsm8k"
        manager = TaskManager(include_defaults=False, include_path=str(folder))
        task = manager.load(["gsm8k"])["tasks"]["gsm8k"]
        docs = list(task.test_docs())
        items = request["items"]
        instances = []
        for i, item in enumerate(items):
            doc = docs[int(item["doc_id"])]
            inst = Instance(
                request_type="generate_until",
                doc=doc,
                arguments=(task.doc_to_text(doc), task.config.generation_kwargs),
                idx=0,
                metadata=("gsm8k", int(item["doc_id"]), 1),
            )
            inst.resps = [item["response"]]
            inst.index = i
            instances.append(inst)
        task._instances = instances
        task.apply_filters()
        scores = {}
        for item, inst in zip(items, instances, strict=True):
            doc = docs[int(item["doc_id"])]
            row: dict[str, object] = {"filtered": {}}
            for name, filtered in inst.filtered_resps.items():
                value = task.process_results(doc, [filtered])["exact_match"]
                row[name] = float(value)
                row["filtered"][name] = str(filtered)[:200]  # type: ignore[index]
            scores[item["key"]] = row
    finally:
        sys.stdout = stdout
    json.dump(
        {
            "version": metadata.version("lm_eval"),
            "entry": "lm_eval gsm8k task: Task.apply_filters + Task.process_results "
            "(exact_match, strict-match filter)",
            "scores": scores,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
