"""`bfcl_ast`: BFCL single-turn function calling (simple, multiple, parallel), checked the way
BFCL's AST checker checks a prompting (text-only) model.

Ported from the Berkeley Function Calling Leaderboard, bfcl-eval 2026.3.23
(bfcl_eval/model_handler/utils.py: default_decode_ast_prompting, ast_parse, resolve_ast_*;
bfcl_eval/eval_checker/ast_eval/ast_checker.py: Python paths of ast_checker and its helpers),
Apache-2.0, https://github.com/ShishirPatil/gorilla (berkeley-function-call-leaderboard).
Importing bfcl_eval itself would pull torch and pin numpy, hence the port.

Decoding follows BFCL node type by node type (checked against bfcl-eval itself, trajectory by
trajectory: bench/fidelity/bfcl.py), with these differences:
- BFCL evaluates a binary operation with eval(ast.unparse(node)). Here its value is computed
  by bfcl_values.literal, which gives what eval() gives for pure expressions (literals,
  operators, comparisons, conditionals, subscripts, f-strings, calls of pure builtins and of
  non-mutating str/list/dict methods: `int('10') + 0`, `'NY'.lower() + ''`) with bounded
  sizes, and refuses the rest (names, other attributes, lambdas, comprehensions: BFCL would
  run them in its own module, where os, json, re ... are bound): model output is never
  executed. Where eval() would raise (an unknown name, a type error, 1/0) the reply does not
  decode, as in BFCL. (Before 1.2, any call or attribute in an operation made the reply not
  decode.)
- Unary operations are evaluated (+5 is 5, ~5 is -6, not True is False, -(-5) is 5). BFCL
  decodes every unary operation as minus its operand's constant (`-value.operand.value`):
  +5 becomes -5, ~5 -5, not True -1, and -(-5) fails to decode. That is a defect upstream,
  listed with its evidence in bench/fidelity/results/bfcl_*.json, not copied.
- Only the Python language paths (the Java/JavaScript categories are not used).

Doc metadata: category ("simple" | "multiple" | "parallel"), functions (BFCL function docs),
ground_truth (BFCL possible answers: [{func: {param: [allowed values]}}]).
"""

from __future__ import annotations

import ast
import re
from typing import Any

from harness.suites.scorers import Score, StandardDoc
from harness.suites.scorers.bfcl_values import literal as _literal

PYTHON_TYPE_MAPPING: dict[str, type[Any]] = {
    "string": str,
    "integer": int,
    "float": float,
    "boolean": bool,
    "array": list,
    "tuple": list,
    "dict": dict,
    "any": str,
}
PYTHON_NESTED_TYPE_CHECK_LIST = ("array", "tuple")

Result = dict[str, Any]


# -- decoding the model's text (BFCL default_decode_ast_prompting) ---------------------------


def decode_calls(text: str) -> list[dict[str, dict[str, Any]]]:
    """'[f(a=1), g(b="x")]' -> [{'f': {'a': 1}}, {'g': {'b': 'x'}}]; raises on bad syntax."""
    text = text.strip("`\n ")
    if not text.startswith("["):
        text = "[" + text
    if not text.endswith("]"):
        text = text + "]"
    parsed = ast.parse(text.strip().strip("'"), mode="eval")
    if isinstance(parsed.body, ast.Call):
        return [_resolve_call(parsed.body)]
    if not isinstance(parsed.body, ast.List | ast.Tuple):
        raise ValueError("not a list of function calls")
    calls = []
    for elem in parsed.body.elts:
        if not isinstance(elem, ast.Call):
            raise ValueError("not a function call: " + ast.unparse(elem))
        calls.append(_resolve_call(elem))
    return calls


def _resolve_call(elem: ast.Call) -> dict[str, dict[str, Any]]:
    parts: list[str] = []
    func: ast.expr = elem.func
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    name = ".".join(reversed(parts))
    # `**kwargs` keeps its None key, as in BFCL: it then fails as an unexpected parameter.
    return {name: {kw.arg: _resolve_value(kw.value) for kw in elem.keywords}}  # type: ignore[misc]


def _resolve_value(value: ast.expr) -> Any:
    if isinstance(value, ast.Constant):
        return "..." if value.value is Ellipsis else value.value
    if isinstance(value, ast.UnaryOp):
        return _literal(value)
    if isinstance(value, ast.List):
        return [_resolve_value(v) for v in value.elts]
    if isinstance(value, ast.Dict):
        if any(k is None for k in value.keys):  # {**x}: BFCL cannot resolve the None key
            raise ValueError("dict unpacking")
        return {
            _resolve_value(k): _resolve_value(v)  # type: ignore[arg-type]
            for k, v in zip(value.keys, value.values, strict=True)
        }
    if isinstance(value, ast.BinOp):
        return _literal(value)  # BFCL: eval(); model output is never executed here
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Call):
        return ast.unparse(value) if not value.keywords else _resolve_call(value)
    if isinstance(value, ast.Tuple):
        return tuple(_resolve_value(v) for v in value.elts)
    if isinstance(value, ast.Subscript):  # BFCL's own rendering of it (its fallback branch)
        return ast.unparse(value.value) + "[" + ast.unparse(value.slice) + "]"
    # Lambda: BFCL's branch raises (it indexes the lambda's body); sets, comparisons, boolean
    # operations, f-strings, comprehensions...: BFCL has no branch. The reply does not decode.
    raise ValueError(f"unsupported AST type: {type(value).__name__}")


def _is_call_list(decoded: Any) -> bool:
    return isinstance(decoded, list) and all(
        isinstance(item, dict) and len(item) == 1 and isinstance(next(iter(item.values())), dict)
        for item in decoded
    )


# -- checking (BFCL ast_checker, Python) ---------------------------------------------------


def _standardize(text: str) -> str:
    return re.sub(r"[ \,\.\/\-\_\*\^]", "", text).lower().replace("'", '"')


def _answer_type(possible: list[Any]) -> type | None:
    for answer in possible:
        if answer != "":
            return type(answer)
    return None


def _type_check(param: str, value: Any, possible: list[Any], expected: str,
                expected_type: type[Any], nested_type: type[Any] | None) -> Result:  # fmt: skip
    result: Result = {"valid": True, "error": [], "is_variable": False}
    is_variable = False
    possible_type = _answer_type(possible)
    if possible_type is not None and possible_type != expected_type:
        is_variable = True
    if type(value) is expected_type:
        if nested_type is None:
            result["is_variable"] = is_variable
            return result
        for item in possible:
            ok = True
            if type(item) is list:
                for value_item in value:
                    sub = _type_check(param, value_item, item, str(nested_type), nested_type, None)
                    if not sub["valid"]:
                        ok = False
                        break
            if ok:
                return {"valid": True, "error": [], "is_variable": is_variable}
        result["valid"] = False
        result["error"] = [f"nested type check failed for {param!r}"]
    if possible_type is not None and type(value) is possible_type:
        result["is_variable"] = True  # as BFCL: keeps a failed nested check's verdict
        return result
    result["valid"] = False
    result["error"].append(
        f"wrong type for {param!r}: expected {expected}, got {type(value).__name__}"
    )
    return result


def _string_check(param: str, value: str, possible: list[Any]) -> Result:
    allowed = [_standardize(p) for p in possible if type(p) is str]
    if _standardize(value) not in allowed:
        return {"valid": False, "error": [f"invalid value for {param!r}: {value!r}"]}
    return {"valid": True, "error": []}


def _list_check(param: str, value: list[Any], possible: list[Any]) -> Result:
    got = [_standardize(v) if type(v) is str else v for v in value]
    allowed = [[_standardize(v) if type(v) is str else v for v in p] for p in possible]
    if got not in allowed:
        return {"valid": False, "error": [f"invalid value for {param!r}: {value!r}"]}
    return {"valid": True, "error": []}


def _dict_check(param: str, value: dict[Any, Any], possible: list[Any]) -> Result:
    result: Result = {"valid": False, "error": [f"invalid dict for {param!r}"]}
    for answer in possible:
        if answer == "":
            continue
        ok = True
        for key, item in value.items():
            if key not in answer:
                ok = False
                break
            got = _standardize(item) if type(item) is str else item
            allowed = [_standardize(a) if type(a) is str else a for a in answer[key]]
            if got not in allowed:
                ok = False
                break
        for key, allowed_values in answer.items():
            if key not in value and "" not in allowed_values:
                ok = False
                break
        if ok:
            return {"valid": True, "error": []}
    return result


def _list_dict_check(param: str, value: list[Any], possible: list[Any]) -> Result:
    result: Result = {"valid": False, "error": [f"invalid list of dicts for {param!r}"]}
    for answer in possible:
        if len(value) != len(answer):
            continue
        if all(_dict_check(param, v, [a])["valid"] for v, a in zip(value, answer, strict=True)):
            return {"valid": True, "error": []}
    return result


def simple_function_check(
    doc_fn: dict[str, Any], call: dict[str, Any], answer: dict[str, Any]
) -> Result:
    possible = next(iter(answer.values()))
    name = doc_fn["name"]
    details = doc_fn["parameters"]["properties"]
    required = doc_fn["parameters"].get("required", [])
    if name not in call:
        return {"valid": False, "error": [f"function {name!r} not called"]}
    params = call[name]
    for param in required:
        if param not in params:
            return {"valid": False, "error": [f"missing required parameter {param!r}"]}
    for param, value in params.items():
        if param not in details or param not in possible:
            return {"valid": False, "error": [f"unexpected parameter {param!r}"]}
        expected = details[param]["type"]
        expected_type = PYTHON_TYPE_MAPPING[expected]
        nested_type = None
        if expected in PYTHON_NESTED_TYPE_CHECK_LIST:
            nested_type = PYTHON_TYPE_MAPPING[details[param]["items"]["type"]]
        if expected == "tuple" and type(value) is tuple:
            value = list(value)
        if expected == "float" and type(value) is int:
            value = float(value)
        checked = _type_check(param, value, possible[param], expected, expected_type, nested_type)
        if not checked["valid"]:
            return checked
        if not checked["is_variable"]:
            if expected_type is dict:
                sub = _dict_check(param, value, possible[param])
            elif expected_type is list and nested_type is dict:
                sub = _list_dict_check(param, value, possible[param])
            elif expected_type is str:
                sub = _string_check(param, value, possible[param])
            elif expected_type is list:
                sub = _list_check(param, value, possible[param])
            else:
                sub = None
            if sub is not None:
                if not sub["valid"]:
                    return sub
                continue
        if value not in possible[param]:
            return {"valid": False, "error": [f"invalid value for {param!r}: {value!r}"]}
    for param, allowed in possible.items():
        if param not in params and "" not in allowed:
            return {"valid": False, "error": [f"parameter {param!r} missing (not optional)"]}
    return {"valid": True, "error": []}


def _find_doc(functions: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((f for f in functions if f["name"] == name), None)


def check_calls(category: str, functions: list[dict[str, Any]], calls: list[dict[str, Any]],
                answers: list[dict[str, Any]]) -> Result:  # fmt: skip
    if len(calls) != len(answers):
        return {
            "valid": False,
            "error": [f"wrong number of calls ({len(calls)} for {len(answers)})"],
        }
    if category == "parallel":  # order-insensitive: each answer matches a distinct call
        matched: set[int] = set()
        for answer in answers:
            doc_fn = _find_doc(functions, next(iter(answer)))
            hit = None
            for index, call in enumerate(calls):
                if (
                    index not in matched
                    and doc_fn is not None
                    and simple_function_check(doc_fn, call, answer)["valid"]
                ):
                    hit = index
                    break
            if hit is None:
                return {"valid": False, "error": [f"no call matches {next(iter(answer))!r}"]}
            matched.add(hit)
        return {"valid": True, "error": []}
    doc_fn = (
        _find_doc(functions, next(iter(answers[0]))) if category == "multiple" else functions[0]
    )
    if doc_fn is None:
        return {"valid": False, "error": ["expected function missing from the docs"]}
    return simple_function_check(doc_fn, calls[0], answers[0])


def score_calls(output: str, doc: StandardDoc) -> Score:
    meta = doc.metadata
    try:
        calls = decode_calls(output)
    except (Exception, RecursionError) as exc:  # BFCL: any decoding exception fails the reply
        return Score(0.0, False, f"not a function-call list ({type(exc).__name__})")
    if not _is_call_list(calls):
        return Score(0.0, False, "not a function-call list")
    result = check_calls(str(meta["category"]), meta["functions"], calls, meta["ground_truth"])
    if result["valid"]:
        return Score(1.0, True)
    return Score(0.0, False, "; ".join(str(e) for e in result["error"])[:300])
