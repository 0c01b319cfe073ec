"""Model replies for BFCL's single-turn categories (simple, multiple, parallel): gold from the
possible answers, null, and gold with mistakes injected.

A reply is the text a prompting model sends back for BFCL's default prompt, e.g.
`[spotify.play(artist='Taylor Swift', duration=20)]`. Each generator takes the sample's
BFCL function docs and possible answers (gapbench's copy in tasks/standard/bfcl_*/data.jsonl;
the official side reads its own) and a random source; it returns (reply, detail) or None when
it does not apply to the sample (e.g. no optional parameter to omit).
"""

from __future__ import annotations

import copy
import json
import random
import string
from collections.abc import Callable
from typing import Any

Call = tuple[str, dict[str, Any]]  # (function name, {param: value})
Doc = dict[str, Any]
Answer = dict[str, dict[str, list[Any]]]  # {func: {param: [allowed values]}}
Made = tuple[str, str] | None  # (reply text, what was done) or not applicable


def _allowed(values: list[Any]) -> list[Any]:
    return [v for v in values if v != ""]


def _doc(functions: list[Doc], name: str) -> Doc:
    return next((f for f in functions if f["name"] == name), functions[0])


def _inner(allowed: Any) -> Any:
    """A value for a dict parameter's answer ({key: [allowed]}) or a plain value."""
    if isinstance(allowed, dict):
        return {k: _allowed(v)[0] for k, v in allowed.items() if _allowed(v) and v[0] != ""}
    return allowed


def gold_calls(functions: list[Doc], answers: list[Answer], rng: random.Random | None,
               *, optional: str = "first") -> list[Call]:  # fmt: skip
    """One correct set of calls. rng: pick any allowed value (else the first); optional:
    "first" (omit when "" is listed first, as BFCL's examples), "omit" or "include" (when an
    allowed value exists) or "random"."""
    calls: list[Call] = []
    for answer in answers:
        ((name, params),) = answer.items()
        required = set(_doc(functions, name)["parameters"].get("required", []))
        args: dict[str, Any] = {}
        for param, values in params.items():
            choices = _allowed(values)
            optional_here = "" in values and param not in required
            if not choices:
                continue
            mode = (
                optional if optional != "random" or rng is None else rng.choice(["omit", "include"])
            )
            if optional_here and (mode == "omit" or (mode == "first" and values[0] == "")):
                continue
            value = rng.choice(choices) if rng else choices[0]
            args[param] = (
                _inner(value) if not isinstance(value, list) else [_inner(v) for v in value]
            )
        calls.append((name, args))
    return calls


def render(calls: list[Call], *, positional: bool = False) -> str:
    parts = []
    for name, args in calls:
        if positional:
            inner = ", ".join(repr(v) for v in args.values())
        else:
            inner = ", ".join(f"{k}={v!r}" for k, v in args.items())
        parts.append(f"{name}({inner})")
    return "[" + ", ".join(parts) + "]"


# -- value mutations ---------------------------------------------------------------------------


def _wrong_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([1, -1, 7, 100])
    if isinstance(value, float):
        return round(value * 1.5 + 0.25, 3)
    if isinstance(value, str):
        return rng.choice(["unknown", value + " extra", value[::-1] or "x", "zzz"])
    if isinstance(value, list):
        return value[:-1] if len(value) > 1 else [*value, copy.deepcopy(value[0]) if value else 1]
    if isinstance(value, dict):
        if not value:
            return {"x": 1}
        key = rng.choice(sorted(value))
        return {**value, key: _wrong_value(value[key], rng)}
    return "wrong"


def _wrong_type(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return rng.choice([str(value).lower(), int(value)])
    if isinstance(value, int):
        return rng.choice([str(value), [value]])
    if isinstance(value, float):
        return str(value)
    if isinstance(value, str):
        return [value] if rng.random() < 0.5 else {"value": value}
    if isinstance(value, list):
        return rng.choice([", ".join(map(str, value)), tuple(value)])
    if isinstance(value, dict):
        return json.dumps(value)
    return 0


def _number_form(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return rng.choice([round(value, 1), value + 1e-9])
    return None


def _string_form(value: Any, rng: random.Random) -> Any:
    if not isinstance(value, str) or not value:
        return None
    forms = [
        value.upper(),
        value.lower(),
        value.replace(" ", ""),
        value.replace(" ", "_"),
        value.replace(" ", "-"),
        value + ".",
        " " + value + " ",
        value.replace(",", ""),
        value.title(),
        value.replace("'", '"'),
    ]
    return rng.choice(forms)


def _nested_change(value: Any, rng: random.Random) -> Any:
    if isinstance(value, list) and value:
        i = rng.randrange(len(value))
        item = value[i]
        new = _string_form(item, rng) if isinstance(item, str) else _wrong_value(item, rng)
        return [*value[:i], new, *value[i + 1 :]]
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value))
        item = value[key]
        new = _string_form(item, rng) if isinstance(item, str) else _number_form(item, rng)
        return {**value, key: new if new is not None else _wrong_value(item, rng)}
    return None


def _mutate_one(calls: list[Call], rng: random.Random, fn: Callable[[Any, random.Random], Any],
                want: Callable[[Any], bool] = lambda v: True) -> tuple[list[Call], str] | None:  # fmt: skip
    spots = [(i, k) for i, (_, args) in enumerate(calls) for k, v in args.items() if want(v)]
    if not spots:
        return None
    i, key = rng.choice(spots)
    name, args = calls[i]
    new = fn(args[key], rng)
    if new is None:
        return None
    out = list(calls)
    out[i] = (name, {**args, key: new})
    return out, f"{name}.{key}: {args[key]!r} -> {new!r}"


# -- generators ----------------------------------------------------------------------------------

Gen = Callable[[list[Doc], list[Answer], random.Random], Made]


def _with_calls(fn: Callable[[list[Call], random.Random], tuple[list[Call], str] | None]) -> Gen:
    def gen(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
        done = fn(gold_calls(functions, answers, rng, optional="random"), rng)
        return None if done is None else (render(done[0]), done[1])

    return gen


def gold(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    return render(gold_calls(functions, answers, None)), "first allowed values"


def gold_any(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    return render(calls), "random allowed values, optional parameters at random"


def gold_all_optional(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    return render(gold_calls(functions, answers, rng, optional="include")), "all optional given"


def omit_optional(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    if not any("" in v for a in answers for p in a.values() for v in p.values()):
        return None
    return render(gold_calls(functions, answers, rng, optional="omit")), "optional omitted"


def null(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    return rng.choice(
        ["", "[]", "I cannot help with that.", "None of the functions apply."]
    ), "null"


def _drop_param(required_only: bool) -> Gen:
    def gen(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
        calls = gold_calls(functions, answers, rng, optional="include")
        spots = []
        for i, (name, args) in enumerate(calls):
            required = set(_doc(functions, name)["parameters"].get("required", []))
            spots += [(i, k) for k in args if (k in required) == required_only]
        if not spots:
            return None
        i, key = rng.choice(spots)
        name, args = calls[i]
        calls[i] = (name, {k: v for k, v in args.items() if k != key})
        return render(calls), f"dropped {name}.{key}"

    return gen


def extra_arg(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    i = rng.randrange(len(calls))
    name, args = calls[i]
    extra = rng.choice(["verbose", "units", "mode", "debug"])
    calls[i] = (name, {**args, extra: rng.choice([True, "fast", 3])})
    return render(calls), f"extra {name}.{extra}"


def documented_unanswered_arg(
    functions: list[Doc], answers: list[Answer], rng: random.Random
) -> Made:
    """A parameter the docs have but the possible answer does not list."""
    calls = gold_calls(functions, answers, rng, optional="random")
    for i, (name, args) in enumerate(calls):
        props = _doc(functions, name)["parameters"]["properties"]
        ((_, params),) = answers[i].items()
        free = [p for p in props if p not in params]
        if free:
            p = rng.choice(free)
            calls[i] = (name, {**args, p: "x" if props[p]["type"] == "string" else 1})
            return render(calls), f"undocumented-in-answer {name}.{p}"
    return None


def wrong_name(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng)
    i = rng.randrange(len(calls))
    name, args = calls[i]
    others = [f["name"] for f in functions if f["name"] != name]
    new = rng.choice(
        [*others, name + "_v2", name.replace(".", "_"), name.upper(), name.split(".")[-1]]
    )
    if new == name:
        return None
    calls[i] = (new, args)
    return render(calls), f"{name} -> {new}"


def positional(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    return render(gold_calls(functions, answers, rng), positional=True), "positional arguments"


def reorder(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng)
    if len(calls) < 2:
        return None
    shuffled = calls[:]
    while shuffled == calls:
        rng.shuffle(shuffled)
    return render(shuffled), "calls reordered"


def missing_call(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng)
    if len(calls) < 2:
        return None
    i = rng.randrange(len(calls))
    return render(calls[:i] + calls[i + 1 :]), f"dropped call {i}"


def extra_call(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng)
    i = rng.randrange(len(calls))
    other = rng.choice(functions)
    extra = rng.choice([calls[i], (other["name"], {})])
    calls.insert(rng.randrange(len(calls) + 1), extra)
    return render(calls), f"extra call {extra[0]}"


def _text(fn: Callable[[str, random.Random], tuple[str, str]]) -> Gen:
    def gen(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
        return fn(render(gold_calls(functions, answers, rng, optional="random")), rng)

    return gen


def _malformed(text: str, rng: random.Random) -> tuple[str, str]:
    cut = rng.randrange(2, max(3, len(text) - 1))
    forms = [
        (text[:cut], f"truncated at {cut}"),
        (text.replace("(", "(", 1).replace(")", "", 1), "unbalanced parenthesis"),
        (text.replace("=", ": ", 1), "colon instead of ="),
        (text.replace("'", "", 2), "unquoted string"),
        (text + ")", "extra closing parenthesis"),
        (text.replace(", ", " ", 1), "missing comma"),
    ]
    return rng.choice(forms)


def _wrapped(text: str, rng: random.Random) -> tuple[str, str]:
    forms = [
        (f"```python\n{text}\n```", "python fence"),
        (f"```\n{text}\n```", "bare fence"),
        (f"`{text}`", "backticks"),
        (text[1:-1], "no brackets"),
        (f"  {text}\n\n", "whitespace"),
        (f"Sure! {text}", "leading prose"),
        (f"{text}\nThese calls answer the question.", "trailing prose"),
        (f"'{text}'", "quoted"),
        (f"[{text}]", "double brackets"),
        (f"<tool_call>{text}</tool_call>", "tool_call tags"),
    ]
    return rng.choice(forms)


def json_format(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng)
    shape = rng.choice(["openai", "name-args"])
    if shape == "openai":
        payload = [{"name": n, "arguments": a} for n, a in calls]
    else:
        payload = [{n: a} for n, a in calls]
    return json.dumps(payload), f"JSON ({shape})"


def _expression_forms(value: Any) -> list[str]:
    """Source text that is not a plain literal but stands for `value` (or nearly): how BFCL's
    decoder (eval() of binary operations, its unary-minus shortcut, lambdas, subscripts) and
    gapbench's treat each AST node type is what this exercises."""
    forms: list[str] = []
    if type(value) in (int, float):
        forms += [f"{value!r}*1", f"{value!r}+0", f"({value!r})", f"-(-{value!r})", f"+{value!r}"]
        forms += [f"{value!r}/1", f"{value!r}**1", f"~{value!r}"]
        if type(value) is int:
            forms += [
                f"{value - 1}+1",
                f"{value}<<0",
                f"{value}|0",
                f"{value}//1",
                f"{value}%(1<<40)",
            ]
        else:
            forms.append(f"{value!r}e0" if "e" not in repr(value) else f"{value!r}")
    elif isinstance(value, bool):
        forms += [f"not {not value}", f"{value}&True", f"{value} and True", f"bool({int(value)})"]
    elif isinstance(value, str) and value:
        k = max(1, len(value) // 2)
        forms += [
            f"{value[:k]!r} + {value[k:]!r}",
            f"{value!r}*1",
            f"f{value!r}",
            f"{value!r}.upper()",
        ]
        forms += [f"{value!r}[:]", f"str({value!r})", f"{value!r} + ''"]
    elif isinstance(value, list):
        forms += [f"{value!r} + []", f"[] + {value!r}", f"list({value!r})", f"{value!r}[:]"]
        if value:
            forms.append(f"{value[:1]!r} * {len(value)}")
    elif isinstance(value, dict):
        forms += [f"{{**{value!r}}}", f"dict({value!r})", f"{value!r} | {{}}"]
    return forms


def expression_arg(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    spots = [
        (i, k, v) for i, (_, a) in enumerate(calls) for k, v in a.items() if _expression_forms(v)
    ]
    if not spots:
        return None
    i, key, value = rng.choice(spots)
    name = calls[i][0]
    form = rng.choice(_expression_forms(value))
    text = render(calls)
    rendered = f"{key}={value!r}"
    if rendered not in text:
        return None
    return text.replace(rendered, f"{key}={form}", 1), f"{name}.{key} as {form}"


def python_literals(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    i = rng.randrange(len(calls))
    name, args = calls[i]
    if not args:
        return None
    key = rng.choice(sorted(args))
    replacement = rng.choice(
        [
            "None",
            "True",
            "lambda x: x",
            "data[0]",
            "a[1, 2]",
            "x",
            "{'a', 'b'}",
            "x.y",
            "...",
            "(1, 2)",
            "f(1)",
            "g(a=1)",
            "1 < 2",
            "b'x'",
            "1j",
            "[*x]",
            "x if y else z",
        ]
    )
    text = render(calls)
    rendered = f"{key}={args[key]!r}"
    if rendered not in text:
        return None
    return text.replace(rendered, f"{key}={replacement}", 1), f"{name}.{key}={replacement}"


def random_junk(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    letters = string.ascii_letters + string.digits + "()[]=,'\" ._"
    return "".join(rng.choice(letters) for _ in range(rng.randrange(1, 60))), "junk"


GENERATORS: dict[str, tuple[float, Gen]] = {
    # name: (weight, generator)
    "gold": (4, gold),
    "gold_any_allowed": (4, gold_any),
    "gold_all_optional": (2, gold_all_optional),
    "omit_optional": (3, omit_optional),
    "null": (3, null),
    "wrong_value": (5, _with_calls(lambda c, r: _mutate_one(c, r, _wrong_value))),
    "wrong_type": (5, _with_calls(lambda c, r: _mutate_one(c, r, _wrong_type))),
    "float_int_form": (
        4,
        _with_calls(
            lambda c, r: _mutate_one(c, r, _number_form, lambda v: type(v) in (int, float))
        ),
    ),
    "string_normalisation": (
        5,
        _with_calls(lambda c, r: _mutate_one(c, r, _string_form, lambda v: isinstance(v, str))),
    ),
    "nested_value": (
        3,
        _with_calls(
            lambda c, r: _mutate_one(c, r, _nested_change, lambda v: isinstance(v, list | dict))
        ),
    ),
    "missing_required": (3, _drop_param(required_only=True)),
    "missing_optional": (2, _drop_param(required_only=False)),
    "extra_arg": (3, extra_arg),
    "documented_unanswered_arg": (2, documented_unanswered_arg),
    "wrong_function_name": (3, wrong_name),
    "positional_args": (2, positional),
    "calls_reordered": (3, reorder),
    "missing_call": (3, missing_call),
    "extra_call": (3, extra_call),
    "malformed_syntax": (4, _text(_malformed)),
    "wrapped_output": (4, _text(_wrapped)),
    "json_format": (2, json_format),
    "expression_arg": (6, expression_arg),
    "python_literal_arg": (4, python_literals),
    "junk": (1, random_junk),
}


def make_reply(functions: list[Doc], answers: list[Answer], rng: random.Random,
               forced: str | None = None,
               generators: dict[str, tuple[float, Gen]] | None = None) -> tuple[str, str, str]:  # fmt: skip
    """(perturbation name, reply, detail): a weighted random generator that applies (from
    `generators`, by default this module's)."""
    generators = generators or GENERATORS
    names = list(generators)
    weights = [generators[n][0] for n in names]
    for _ in range(50):
        name = forced or rng.choices(names, weights)[0]
        made = generators[name][1](functions, answers, rng)
        if made is not None:
            return name, made[0], made[1]
        forced = None
    return "gold", *gold(functions, answers, rng)  # type: ignore[misc]
