"""BFCL's official scoring of given model outputs. Runs in .venv-fidelity (bfcl-eval installed
--no-deps; see requirements-bfcl.txt), never in gapbench's environment:

    .venv-fidelity/bin/python -I bench/fidelity/bfcl_official.py < items.json > scores.json

Input: {"items": [{"key", "category", "id", "result"}]}, where category is a BFCL test
category ("simple_python", "multiple", "parallel", "multi_turn_base"), id a BFCL entry id, and
result what the model produced, in the form BFCL's own inference writes to its result files:
- single-turn (a prompting model, BFCL's default prompt): the reply text;
- multi-turn (a function-calling model): per user turn, per step, either the step's tool calls
  as [{name: arguments JSON string}] or the step's text reply.
Output: {"version", "entry", "scores": {key: {"valid": bool, "error_type": str|null,
"error": str|null}}}.

Scoring is BFCL's own per-entry code: bfcl_eval.eval_checker.eval_runner's
_evaluate_single_ast_entry / _evaluate_single_multi_turn_entry (decode with the handler, the
format check, ast_checker / multi_turn_checker), with BFCL's own dataset entries and possible
answers from the installed package (not gapbench's copies). The handler is BFCL's
OpenAICompletionsHandler: prompt mode (is_fc_model=False, default_decode_ast_prompting) for the
single-turn categories, function-calling mode (convert_to_function_call) for multi-turn, as
gapbench prompts the former in BFCL's default text format and runs the latter with native tool
calls. bfcl_eval.constants.model_config, a registry that imports every vendor SDK at import
time, is replaced by a module holding that one handler's entry (underscore_to_dot=False, as
for every prompting model; the multi-turn category does not use the flag).
"""

from __future__ import annotations

import json
import os
import sys
import types
from dataclasses import dataclass
from importlib import metadata
from typing import Any

MODEL_NAME = "gapbench-replay"


@dataclass
class _ModelConfig:  # the fields of bfcl_eval.constants.model_config.ModelConfig it reads
    model_name: str
    display_name: str
    url: str
    org: str
    license: str
    model_handler: Any
    input_price: float | None = None
    output_price: float | None = None
    is_fc_model: bool = False
    underscore_to_dot: bool = False


def _install_model_config(fc: bool) -> Any:
    module = types.ModuleType("bfcl_eval.constants.model_config")
    module.ModelConfig = _ModelConfig  # type: ignore[attr-defined]
    module.MODEL_CONFIG_MAPPING = {}  # type: ignore[attr-defined]
    sys.modules["bfcl_eval.constants.model_config"] = module
    os.environ.setdefault("OPENAI_API_KEY", "unused-no-call-is-made")
    from bfcl_eval.model_handler.api_inference.openai_completion import OpenAICompletionsHandler

    config = _ModelConfig(MODEL_NAME, MODEL_NAME, "", "", "", OpenAICompletionsHandler)
    module.MODEL_CONFIG_MAPPING[MODEL_NAME] = config  # type: ignore[attr-defined]
    return OpenAICompletionsHandler(
        model_name=MODEL_NAME, temperature=0, registry_name=MODEL_NAME, is_fc_model=fc
    )


def _by_id(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in entries}


def main() -> None:
    request = json.load(sys.stdin)
    stdout = sys.stdout
    sys.stdout = sys.stderr  # the backends print; only the result goes to stdout
    try:
        result = score(request["items"])
    finally:
        sys.stdout = stdout
    json.dump(result, sys.stdout)


def score(items: list[dict[str, Any]]) -> dict[str, Any]:
    handlers = {fc: _install_model_config(fc) for fc in (False, True)}
    from bfcl_eval.eval_checker import eval_runner
    from bfcl_eval.utils import load_dataset_entry, load_ground_truth_entry

    prompts: dict[str, dict[str, dict[str, Any]]] = {}
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    scores: dict[str, dict[str, Any]] = {}
    for item in items:
        category = item["category"]
        if category not in prompts:
            prompts[category] = _by_id(
                load_dataset_entry(
                    category, include_prereq=False, include_language_specific_hint=False
                )
            )
            answers[category] = _by_id(load_ground_truth_entry(category))
        entry = json.loads(json.dumps(prompts[category][item["id"]]))  # the runner mutates it
        truth = answers[category][item["id"]]["ground_truth"]
        try:
            scores[item["key"]] = _score_one(eval_runner, handlers, item, entry, truth, len(scores))
        except Exception as exc:  # BFCL's own runner would stop here: no official score
            scores[item["key"]] = {
                "valid": False,
                "error_type": "official-crash",
                "error": f"{type(exc).__name__}: {exc}"[:600],
            }
    return {
        "version": metadata.version("bfcl-eval"),
        "entry": "bfcl_eval.eval_checker.eval_runner._evaluate_single_ast_entry / "
        "_evaluate_single_multi_turn_entry",
        "scores": scores,
    }


def _score_one(
    eval_runner: Any,
    handlers: dict[bool, Any],
    item: dict[str, Any],
    entry: dict[str, Any],
    truth: Any,
    index: int,
) -> dict[str, Any]:
    from bfcl_eval.constants.enums import Language, ReturnFormat

    category = item["category"]
    if category.startswith("multi_turn"):
        # BFCL keeps backend instances in module globals named after (model, entry): each
        # trajectory gets a model name of its own so none sees another's state.
        out = eval_runner._evaluate_single_multi_turn_entry(
            handlers[True], item["id"], item["result"], truth, entry, f"{MODEL_NAME}_{index}",
            category,
        )  # fmt: skip
    else:
        out = eval_runner._evaluate_single_ast_entry(
            handlers[False],
            item["id"],
            item["result"],
            truth,
            entry,
            MODEL_NAME,
            category,
            language=Language.PYTHON,
            return_format=ReturnFormat.PYTHON,
            has_tool_call_tag=False,
        )
    error = out.get("error")
    error_type = out.get("error_type")
    if isinstance(error, dict):  # multi-turn: {"error_message", "error_type", ...}
        error_type = error.get("error_type")
        error = error.get("error_message")
    return {
        "valid": bool(out["valid"]),
        "error_type": error_type,
        "error": None if error is None else json.dumps(error, default=str)[:600],
    }


if __name__ == "__main__":
    main()
