"""BFCL's multi-turn checker, as bfcl-eval runs it, over the messages of an inspect sample.

inspect_evals 0.26's `bfcl_scorer` re-implements BFCL's multi-turn check with different rules:
it compares the backends' state once, after the last turn, and never checks that a turn with
ground-truth calls got any call. BFCL (bfcl_eval/eval_checker/multi_turn_eval/
multi_turn_checker.py, 2026.3.23) checks after EVERY turn: the turn must have at least one
decodable step when its ground truth has calls; the backends' state must equal the ground
truth's; the ground truth's results so far must all appear among the model's results so far.
A call made one turn late (or early) therefore fails BFCL and passed inspect_evals'. This
module ports BFCL's rules (bench/fidelity/bfcl_multi_turn.py checks it against bfcl-eval
itself, trajectory by trajectory):

- the model's steps are its assistant messages in each user turn; a step's tool calls are
  decoded as BFCL's FC handler decodes them, from the arguments string the API sent (kept by
  record_raw_arguments): one call whose arguments are not a JSON object drops the whole
  step, as json.loads raising does in BFCL (inspect itself recovers some: trailing quotes,
  bare values);
- each call runs on the turn's backend instances as BFCL's eval() of `name(k=repr(v), ...)`
  would: unknown names and BFCL's refused names (kill, exit, remove, ...) give BFCL's error
  text, arguments are deep copies (no aliasing between calls);
- results are compared as BFCL compares them: strings as they are, dicts as json.dumps,
  anything else as str(); states attribute by attribute (public attributes).

Model output is never eval()ed: calls are made on bound methods with the decoded arguments.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from inspect_ai.model import ChatMessageAssistant, ChatMessageUser
from inspect_ai.scorer import Score, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_evals.bfcl.backends import build_tool_mapping, create_instances

# bfcl_eval/constants/default_prompts.py: BFCL's inference stops a turn after this many steps
# (more than it: the whole conversation, when other turns remain)
MAXIMUM_STEP_LIMIT = 20
# bfcl_eval/eval_checker/multi_turn_eval/multi_turn_utils.py: execute_multi_turn_func_call
REFUSED = ("kill", "exit", "quit", "remove", "unlink", "popen", "Popen", "run")


@dataclass(frozen=True)
class Call:
    name: str
    arguments: dict[str, Any]
    positional: tuple[Any, ...] = ()  # ground-truth strings use them (`cd('archives')`)


Step = list[Call]


_RAW: OrderedDict[str, str] = OrderedDict()  # tool call id -> arguments as the API sent them
_RAW_LIMIT = 200_000


def record_raw_arguments() -> None:
    """Keep each tool call's arguments string as the OpenAI-protocol API sent it, by call id.

    inspect parses it leniently (a complete object followed by stray quotes, a bare value
    mapped to the first parameter) and keeps only the parsed dict; its model events keep the
    raw response for the first 5 calls of a sample only. BFCL json.loads the string, so the
    checker needs it. Wraps the parser inspect's OpenAI chat and responses code call;
    idempotent."""
    import importlib

    for name in ("inspect_ai.model._openai", "inspect_ai.model._openai_responses"):
        try:
            module = importlib.import_module(name)
        except ImportError:  # another inspect layout: arguments then decode as inspect parsed
            continue
        original = getattr(module, "parse_tool_call", None)
        if original is None or getattr(original, "_gapbench_raw", False):
            continue

        def recording(id: str, function: str, arguments: str | None, *args: Any,
                      _original: Any = original, **kwargs: Any) -> Any:  # fmt: skip
            if isinstance(arguments, str):
                _RAW[str(id)] = arguments
                while len(_RAW) > _RAW_LIMIT:
                    _RAW.popitem(last=False)
            return _original(id, function, arguments, *args, **kwargs)

        recording._gapbench_raw = True  # type: ignore[attr-defined]
        module.parse_tool_call = recording  # type: ignore[attr-defined]


def raw_arguments(state: TaskState) -> dict[str, str]:
    """tool call id -> arguments string as sent, for this sample's calls (those recorded)."""
    ids = {
        c.id
        for m in state.messages
        if isinstance(m, ChatMessageAssistant)
        for c in m.tool_calls or []
    }
    return {i: _RAW[i] for i in ids if i in _RAW}


def _decoded(arguments: Any, raw: str | None) -> dict[str, Any] | None:
    """A call's arguments as BFCL's convert_to_function_call decodes them: json.loads of the
    string the API sent, which must give an object (inspect recovers more: trailing quotes,
    bare YAML values mapped to the first parameter; BFCL drops those steps)."""
    if raw is None:
        return arguments if isinstance(arguments, dict) else None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def step_decodes(message: ChatMessageAssistant) -> bool:
    """Whether BFCL's FC inference would take this assistant message as a step of calls and
    go on (base_handler.inference_multi_turn_FC): it has tool calls and every call's arguments
    decode (json.loads of the string the API sent, an object). A text reply or one call that
    does not decode ends BFCL's turn there."""
    calls = message.tool_calls or []
    return bool(calls) and all(
        not c.parse_error and _decoded(c.arguments, _RAW.get(c.id)) is not None for c in calls
    )


FORCE_QUIT = "bfcl_force_quit"  # metadata key: the turn after which BFCL's inference stopped


def model_steps(state: TaskState, raw: dict[str, str] | None = None) -> list[list[Step]]:
    """Per user turn, the model's decodable steps (BFCL's decode_execute for FC models).
    raw: tool call id -> arguments string as sent (see raw_arguments)."""
    raw = raw or {}
    turns: list[list[Step]] = []
    previous_user = False
    for message in state.messages:
        if isinstance(message, ChatMessageUser):
            if not previous_user:
                turns.append([])
            previous_user = True
            continue
        previous_user = False
        if not isinstance(message, ChatMessageAssistant) or not turns:
            continue
        calls = message.tool_calls or []
        if not calls:
            continue  # a text reply: BFCL's decoder fails on it and skips the step
        decoded = [None if c.parse_error else _decoded(c.arguments, raw.get(c.id)) for c in calls]
        if any(d is None for d in decoded):
            continue  # one undecodable call: json.loads raises, the whole step is skipped
        turns[-1].append(
            [Call(c.function, dict(d or {})) for c, d in zip(calls, decoded, strict=True)]
        )
    return turns


def _as_bfcl_result(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        try:
            return json.dumps(value)
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def _execute(call: Call, methods: dict[str, Any]) -> str:
    try:
        if call.positional:  # a ground-truth call, parsed from BFCL's own source text
            method, kwargs = methods.get(call.name), call.arguments
            if method is None:
                raise NameError(f"name '{call.name}' is not defined")
        else:
            method, kwargs = _as_bfcl_runs_it(call, methods)
        args = copy.deepcopy(call.positional)
        return _as_bfcl_result(method(*args, **copy.deepcopy(kwargs)))
    except Exception as exc:
        return f"Error during execution: {exc}"


# bfcl_eval/eval_checker/multi_turn_eval/multi_turn_utils.py, _process_method_calls
_METHOD_NAME = re.compile(r"\b([a-zA-Z_]\w*)\s*(?=\()")
_INSTANCE = "_bfcl_instance"


def _as_bfcl_runs_it(call: Call, methods: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The method and keyword arguments BFCL's eval() would call for a model's call, found
    without eval(). BFCL builds the source `name(k1=repr(v1),k2=repr(v2))` (its
    convert_to_function_call), puts the instance before every `identifier(` that names a
    method (its _process_method_calls: inside string values too), refuses kill, exit, ...
    by the text before the first "(", and eval()s the rest. So, as there: a name or keyword
    with spaces around it (`cd `), or in another Unicode form of the same identifier (Python
    normalises identifiers, NFKC), is the method or parameter; a float that is not finite
    (repr `nan`, `inf`) is an unknown name. Source that is anything but one such call
    (code in a name or keyword: `mkdir(dir_name='x') or cd`) raises here, where BFCL would
    run it: an upstream defect, not copied."""
    if _INSTANCE in call.name:
        raise NameError(f"name '{call.name}' is not defined")
    source = f"{call.name}({','.join(f'{k}={v!r}' for k, v in call.arguments.items())})"
    source = _METHOD_NAME.sub(
        lambda m: f"{_INSTANCE}.{m.group(1)}" if m.group(1) in methods else m.group(1), source
    )
    head = source.split("(")[0]
    if "." in head:
        head = head.split(".")[1]
    if head in REFUSED:
        raise Exception(f"Function call {head} is not allowed.")
    try:
        node = ast.parse(source.lstrip(" \t"), mode="eval").body  # eval() strips those
    except SyntaxError as exc:
        raise SyntaxError(f"invalid syntax: {exc.msg}") from None
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == _INSTANCE
        and not node.args
        and all(k.arg for k in node.keywords)
    ):
        func = node.func if isinstance(node, ast.Call) else node
        name = func.id if isinstance(func, ast.Name) else ast.unparse(node)[:60]
        raise NameError(f"name '{name}' is not defined")
    kwargs = {}
    for keyword in node.keywords:
        try:
            kwargs[str(keyword.arg)] = ast.literal_eval(keyword.value)
        except ValueError:  # repr(nan) is `nan`: a name BFCL cannot resolve
            raise NameError(f"name '{ast.unparse(keyword.value)}' is not defined") from None
    return methods[node.func.attr], kwargs


def parse_call(text: str) -> Call:
    """A ground-truth call string (`cd(folder='x')`), its arguments as literals."""
    node = ast.parse(text.strip(), mode="eval").body
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise ValueError(f"not a call: {text!r}")
    return Call(
        node.func.id,
        {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg},
        tuple(ast.literal_eval(a) for a in node.args),
    )


def _state_differences(model: dict[str, Any], truth: dict[str, Any]) -> list[str]:
    out = []
    for class_name, gt in truth.items():
        got = model[class_name]
        for attr in vars(gt):
            if not attr.startswith("_") and getattr(got, attr) != getattr(gt, attr):
                out.append(f"{class_name}.{attr}")
    return out


def _missing(truth: list[str], model: list[str]) -> list[str]:
    pool = list(model)
    missing = []
    for item in truth:
        try:
            pool.remove(item)
        except ValueError:
            missing.append(item)
    return missing


def check(metadata: dict[str, Any], steps: list[list[Step]]) -> tuple[bool, str]:
    """(valid, explanation): BFCL's multi_turn_checker on these steps."""
    truth: list[list[str]] = metadata.get("raw_ground_truth") or []
    if metadata.get(FORCE_QUIT) is not None:  # BFCL's inference ran no further turn
        return False, f"force-terminated: {MAXIMUM_STEP_LIMIT} steps in turn {metadata[FORCE_QUIT]}"
    if len(steps) != len(truth):
        return False, f"force-terminated: {len(steps)} turns for {len(truth)}"
    classes = list(metadata["involved_classes"])
    config = metadata.get("initial_config") or {}
    long_context = bool(metadata.get("long_context", False))
    model = create_instances(classes, copy.deepcopy(config), long_context)
    gold = create_instances(classes, copy.deepcopy(config), long_context)
    model_methods, gold_methods = build_tool_mapping(model), build_tool_mapping(gold)
    all_model_results: list[str] = []
    for turn, (turn_steps, turn_truth) in enumerate(zip(steps, truth, strict=True)):
        for step in turn_steps:
            all_model_results.extend(_execute(c, model_methods) for c in step)
        gold_results = [_execute(parse_call(c), gold_methods) for c in turn_truth]
        if not turn_truth:
            continue
        if not turn_steps:
            return False, f"turn {turn}: no function call"
        differences = _state_differences(model, gold)
        if differences:
            return False, f"turn {turn}: state differs ({', '.join(differences[:5])})"
        missing = _missing(gold_results, all_model_results)
        if missing:
            return False, f"turn {turn}: missing results {[m[:80] for m in missing[:3]]}"
    return True, "Correct"


@scorer(metrics=[accuracy(), stderr()])
def bfcl_multi_turn_scorer() -> Any:
    """BFCL's multi-turn check (per-turn state, response and non-empty-turn checks)."""

    async def score(state: TaskState, target: Target) -> Score:
        steps = model_steps(state, raw_arguments(state))
        valid, why = check(dict(state.metadata or {}), steps)
        answer = str([[[f"{c.name}({c.arguments})" for c in s] for s in t] for t in steps])
        return Score(value=1 if valid else 0, answer=answer[:4000], explanation=why)

    return score
