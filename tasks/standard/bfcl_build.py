"""Derive the BFCL single-turn suites' data.jsonl files from the bfcl-eval wheel.

    .venv/bin/pip download --no-deps bfcl-eval==2026.3.23 -d /tmp/bfcl
    .venv/bin/python tasks/standard/bfcl_build.py /tmp/bfcl/bfcl_eval-2026.3.23-py3-none-any.whl

Reads (never installs) the wheel: bfcl_eval/data/BFCL_v4_{simple_python,multiple,parallel}.json,
their possible answers (bfcl_eval/data/possible_answer/), and BFCL's prompt templates
(bfcl_eval/constants/default_prompts.py). The prompt is BFCL's default prompting system prompt
(format "ret_fmt=python&tool_call_tag=False&func_doc_fmt=json&prompt_fmt=plaintext&style=classic",
function docs with BFCL's Python-language hint), folded into the single user turn before the
question, as BFCL does for models without a system role. Apache-2.0 (bfcl-eval).
"""

from __future__ import annotations

import copy
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CATEGORIES = {"bfcl_simple": ("simple_python", "simple"), "bfcl_multiple": ("multiple", "multiple"),
              "bfcl_parallel": ("parallel", "parallel")}  # fmt: skip
PY_HINT = " Note that the provided function is in Python 3 syntax."


def _prompts(wheel: zipfile.ZipFile) -> dict[str, Any]:
    source = wheel.read("bfcl_eval/constants/default_prompts.py").decode("utf-8")
    namespace: dict[str, Any] = {}
    exec(compile(source, "default_prompts.py", "exec"), namespace)  # plain constants only
    return namespace


def system_prompt(p: dict[str, Any], functions: list[dict[str, Any]]) -> str:
    """BFCL formulate_system_prompt() for the default format."""
    style = p["PROMPT_STYLE_TEMPLATES"]["classic"]
    return str(p["PROMPT_TEMPLATE_MAPPING"]["plaintext"]).format(
        persona=style["persona"],
        task=style["task"],
        tool_call_format=style["tool_call_no_tag"].format(
            output_format=p["OUTPUT_FORMAT_MAPPING"]["python"],
            param_types=p["PARAM_TYPE_MAPPING"]["python"],
        ),
        multiturn_behavior=style["multiturn_behavior"],
        available_tools=style["available_tools"].format(
            format="json", functions=json.dumps(functions, indent=4)
        ),
    )


def _first(allowed: list[Any]) -> Any:
    return next(v for v in allowed if v != "")


def _dict_value(allowed: dict[str, list[Any]]) -> dict[str, Any]:
    # Inside dict parameters every key maps to its own list of allowed values.
    return {k: _first(v) for k, v in allowed.items() if any(x != "" for x in v) and v[0] != ""}


def render_call(answer: dict[str, dict[str, list[Any]]], functions: list[dict[str, Any]]) -> str:
    """One ground-truth call as BFCL-style text: the first allowed value of each parameter,
    omitting optional ones ("" allowed first) unless the function requires them."""
    ((name, params),) = answer.items()
    doc = next(f for f in functions if f["name"] == name)["parameters"]
    required = set(doc.get("required", []))
    args = []
    for param, allowed in params.items():
        if not allowed or (allowed[0] == "" and param not in required):
            continue
        value = _first(allowed)
        ptype = doc["properties"].get(param, {})
        if ptype.get("type") == "dict" and isinstance(value, dict):
            value = _dict_value(value)
        elif ptype.get("type") == "array" and ptype.get("items", {}).get("type") == "dict":
            value = [_dict_value(v) for v in value]
        args.append(f"{param}={value!r}")
    return f"{name}({', '.join(args)})"


def build_rows(wheel_path: Path, bfcl_name: str, category: str) -> list[dict[str, Any]]:
    with zipfile.ZipFile(wheel_path) as wheel:
        prompts = _prompts(wheel)
        entries = [
            json.loads(x)
            for x in wheel.read(f"bfcl_eval/data/BFCL_v4_{bfcl_name}.json").splitlines()
            if x.strip()
        ]
        answers = {
            a["id"]: a["ground_truth"]
            for a in (json.loads(x) for x in wheel.read(f"bfcl_eval/data/possible_answer/BFCL_v4_{bfcl_name}.json").splitlines() if x.strip())
        }  # fmt: skip
    rows = []
    for entry in entries:
        functions = copy.deepcopy(entry["function"])
        for fn in functions:
            fn["description"] = fn["description"] + PY_HINT
        [turn] = entry["question"]  # single-turn categories: one turn
        question = "\n\n".join(m["content"] for m in turn if m["role"] == "user")
        truth = answers[entry["id"]]
        rows.append(
            {
                "id": entry["id"],
                "prompt": system_prompt(prompts, functions) + "\n\n" + question,
                "target": "[" + ", ".join(render_call(a, entry["function"]) for a in truth) + "]",
                "h": len(truth),
                "metadata": {
                    "category": category,
                    "functions": entry["function"],
                    "ground_truth": truth,
                },
            }
        )
    return rows


def main(wheel_path: Path) -> None:
    for suite, (bfcl_name, category) in CATEGORIES.items():
        rows = build_rows(wheel_path, bfcl_name, category)
        out = HERE / suite / "data.jsonl"
        out.parent.mkdir(exist_ok=True)
        out.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        print(f"{out}: {len(rows)} rows, {out.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
