"""More replies for BFCL's single-turn categories: the red team of issue 21 (kinds neither the
issue nor bfcl_perturb.py used). Each generator has bfcl_perturb's signature: (function docs,
possible answers, random source) -> (reply text, what was done) or None when it does not apply.

What they probe: how a number or a string is spelled in Python source (hex, underscores,
exponents, raw and triple-quoted strings, escapes), unicode look-alikes in string values,
None and empty values for optional parameters, layout and transport characters around the
call list (CRLF, BOM, tabs, a trailing comment), a keyword given twice, pure expressions with
builtin calls that BFCL eval()s (`int('10') + 0`), calls as argument values, reasoning tags
and prose, the calls split over several lists or lines, namespace prefixes, and a parallel
call duplicated in place of another.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from bench.fidelity.bfcl_perturb import Answer, Call, Doc, Gen, Made, gold_calls, render


def _spots(calls: list[Call], want: Callable[[Any], bool]) -> list[tuple[int, str]]:
    return [(i, k) for i, (_, args) in enumerate(calls) for k, v in args.items() if want(v)]


def _respell(calls: list[Call], rng: random.Random, want: Callable[[Any], bool],
             forms: Callable[[Any], list[str]], label: str) -> Made:  # fmt: skip
    """Rewrite one argument's source text (`key=<repr>` -> `key=<form>`)."""
    spots = _spots(calls, want)
    if not spots:
        return None
    i, key = rng.choice(spots)
    value = calls[i][1][key]
    options = forms(value)
    if not options:
        return None
    form = rng.choice(options)
    text = render(calls)
    rendered = f"{key}={value!r}"
    if rendered not in text:
        return None
    return text.replace(rendered, f"{key}={form}", 1), f"{calls[i][0]}.{key}: {label} {form}"


def _is_int(v: Any) -> bool:
    return type(v) is int


def _number_spellings(v: Any) -> list[str]:
    if type(v) is int:
        forms = [hex(v), oct(v), bin(v), f"{v:_}", f"{v}.0", f"{v}e0", f"0{v}", f"({v})"]
        if v in (0, 1):
            forms.append(repr(bool(v)))
        if v >= 1000:
            forms += [f"{v // 1000}_{v % 1000:03d}", f"{v / 1000:g}e3"]
        return forms
    if type(v) is float:
        return [f"{v:e}", f"{v:E}", f"{v}0", repr(v).replace(".", "._", 1), f"{v:.20f}", f"{v:g}"]
    return []


def number_spelling(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    want = lambda v: type(v) in (int, float)  # noqa: E731
    return _respell(calls, rng, want, _number_spellings, "spelled")


def _string_spellings(v: Any) -> list[str]:
    if not isinstance(v, str) or not v or "\\" in v:
        return []
    k = max(1, len(v) // 2)
    forms = [
        '"' + v.replace('"', '\\"') + '"',
        "'''" + v + "'''" if "'" not in v else repr(v),
        "r" + repr(v),
        f"{v[:k]!r} {v[k:]!r}",
        f"({v!r})",
        "'" + "".join(f"\\x{ord(c):02x}" if ord(c) < 256 else c for c in v) + "'",
        "'" + "".join(f"\\u{ord(c):04x}" for c in v) + "'",
    ]
    return [f for f in forms if "\n" not in f]


def string_spelling(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    want = lambda v: isinstance(v, str)  # noqa: E731
    return _respell(calls, rng, want, _string_spellings, "written as")


def _look_alikes(v: Any) -> list[str]:
    if not isinstance(v, str) or not v:
        return []
    import unicodedata

    forms = [
        unicodedata.normalize("NFKD", v),
        v.replace(" ", "\u00a0"),
        v[:1] + "\u200b" + v[1:],
        v.replace("-", "\u2013"),
        "\u201c" + v + "\u201d",
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in v),
        v.upper().replace("I", "\u0130"),
        v + "\n",
        v.replace(" ", "\t"),
        v.replace("fi", "\ufb01"),
        v + ".",
        v.replace(" ", "  "),
    ]
    return [repr(f) for f in forms if f != v]


def unicode_look_alike(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    want = lambda v: isinstance(v, str) and v != ""  # noqa: E731
    return _respell(calls, rng, want, _look_alikes, "as")


def none_or_empty(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    """An optional parameter (one whose possible answers list "") given None, '', [], {} or
    the text 'None'; or a required one given None."""
    calls = gold_calls(functions, answers, rng, optional="include")
    spots = []
    for i, answer in enumerate(answers):
        ((_, params),) = answer.items()
        spots += [(i, p, "" in allowed) for p, allowed in params.items()]
    if not spots:
        return None
    i, param, optional = rng.choice(spots)
    value = rng.choice(["None", "''", "[]", "{}", "'None'", "null"]) if optional else "None"
    name, args = calls[i]
    calls[i] = (name, {**args, param: _MARK})
    text = render(calls).replace(repr(_MARK), value, 1)
    kind = "optional" if optional else "required"
    return text, f"{name}.{param} ({kind}) = {value}"


_MARK = "\x00value\x00"


def layout(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    text = render(calls)
    forms = [
        (text.replace("(", "(\n    ").replace(", ", ",\n    ").replace(")", "\n)"), "one per line"),
        (text.replace("=", " = "), "spaces around ="),
        (text.replace(")", ",)"), "trailing commas"),
        (text.replace("(", " (", 1), "space before ("),
        (text.replace("[", "[\n  ", 1)[:-1] + "\n]", "list on lines"),
        (text.replace(", ", ",\r\n"), "CRLF between arguments"),
        (text.replace(", ", ",\t"), "tabs between arguments"),
        (text[:-1] + ", ]", "trailing comma in the list"),
    ]
    out, what = rng.choice(forms)
    return out, what


def transport_chars(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    text = render(gold_calls(functions, answers, rng, optional="random"))
    forms = [
        (text + "\r\n", "CRLF after"),
        ("\r\n" + text, "CRLF before"),
        ("\ufeff" + text, "BOM before"),
        ("\u00a0" + text, "NBSP before"),
        ("\t" + text, "tab before"),
        (text + "\t", "tab after"),
        ("\n \n" + text, "blank lines before"),
        (text + ";", "semicolon after"),
        (text + "  # done", "comment after"),
        ("# calls\n" + text, "comment line before"),
        (text + "\x00", "NUL after"),
        (text + "\u3000", "ideographic space after"),
    ]
    return rng.choice(forms)


def keyword_twice(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    """A keyword given twice: Python's parser keeps both and BFCL's dict the last."""
    calls = gold_calls(functions, answers, rng, optional="random")
    spots = _spots(calls, lambda v: True)
    if not spots:
        return None
    i, key = rng.choice(spots)
    name, args = calls[i]
    text = render(calls)
    rendered = f"{key}={args[key]!r}"
    wrong = "'zzz'" if not isinstance(args[key], str) else "0"
    both = f"{key}={wrong}, {rendered}" if rng.random() < 0.5 else f"{rendered}, {key}={wrong}"
    return text.replace(rendered, both, 1), f"{name}.{key} twice: {both}"


def _expressions(v: Any) -> list[str]:
    """Pure expressions with builtin calls that BFCL's eval() computes to `v`, or near it."""
    if type(v) is int:
        return [
            f"int('{v}') + 0", f"len('{'x' * max(0, min(v, 50))}') + {v - max(0, min(v, 50))}", f"abs({-v}) + 0", f"max({v}, {v - 1}) + 0", f"sum([{v}]) + 0", f"round({v}.4) + 0",
            f"[{v}][0] + 0", f"({v} if True else 0) + 0", f"({v} > 0) + {v - 1}", f"int(float('{v}')) * 1",
            f"int('{v}', 10) | 0", f"divmod({v}, 1)[0] + 0",
        ]  # fmt: skip
    if type(v) is float:
        return [
            f"float('{v!r}') + 0",
            f"round({v!r}, 6) + 0",
            f"abs({-v!r}) * 1",
            f"max({v!r}, 0.0) + 0",
        ]
    if isinstance(v, bool):
        return [f"bool({int(v)}) & True", f"(1 == {int(v)}) | False"]
    if isinstance(v, str) and v and "\\" not in v and "'" not in v:
        return [
            f"str('{v}') + ''", f"'{v.upper()}'.lower() + ''", f"f'{{\"{v}\"}}' + ''", f"'{v}'.strip() + ''",
            f"''.join(['{v}']) + ''", f"'{v}'[:] + ''", f"('{v}' if 1 < 2 else 'x') + ''", f"'{v}'.replace('', '') + ''",
            f"'{v}'.title() + ''", f"'%s' % '{v}'", f"'{{}}'.format('{v}') + ''",
        ]  # fmt: skip
    if isinstance(v, list) and v:
        return [f"list({v!r}) + []", f"sorted({v!r}) + []", f"{v!r}[::-1][::-1] + []"]
    return []


def evaluated_expression(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    want = lambda v: bool(_expressions(v))  # noqa: E731
    return _respell(calls, rng, want, _expressions, "as")


def call_as_value(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    """An argument given as a call: BFCL keeps `f(x)` as its source text and decodes
    `f(k=x)` as a nested call."""
    calls = gold_calls(functions, answers, rng, optional="random")
    want = lambda v: isinstance(v, str | int | float) and not isinstance(v, bool)  # noqa: E731
    forms = lambda v: [f"str({v!r})", f"int({v!r})", f"value(x={v!r})", f"get({v!r})"]  # noqa: E731
    return _respell(calls, rng, want, forms, "as")


def reasoning_and_prose(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    text = render(gold_calls(functions, answers, rng, optional="random"))
    forms = [
        (f"<think>The user wants this.</think>{text}", "think tags before"),
        (f"<think>\n{text}\n</think>\n{text}", "think block with the calls, then the calls"),
        (f"```json\n{text}\n```", "json fence"),
        (f"Function calls:\n{text}", "label line before"),
        (f"{text}\n\nExplanation: these calls answer the question.", "explanation after"),
        (f"Here you go: `{text}`", "inline code after prose"),
        (f"[TOOL_CALLS]{text}", "tool-calls token before"),
        (f"<|python_tag|>{text}", "python tag before"),
    ]
    return rng.choice(forms)


def calls_split(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    single = [render([c])[1:-1] for c in calls]
    forms = [
        ("\n".join(render([c]) for c in calls), "one list per line"),
        ("; ".join(single), "separated by semicolons"),
        ("(" + ", ".join(single) + ")", "a tuple"),
        ("(" + ", ".join(single) + ",)", "a tuple with a trailing comma"),
        ("\n".join(single), "one call per line, no list"),
        ("[" + "], [".join(single) + "]", "each in its own list, comma-separated"),
        ("{" + ", ".join(single) + "}", "a set"),
    ]
    return rng.choice(forms)


def namespace_prefix(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    calls = gold_calls(functions, answers, rng, optional="random")
    i = rng.randrange(len(calls))
    name, args = calls[i]
    forms = [
        f"functions.{name}",
        name.replace(".", " . "),
        f"({name})",
        name[:1].upper() + name[1:],
    ]
    new = rng.choice(forms)
    calls[i] = (new, args)
    return render(calls), f"{name} -> {new}"


def duplicate_in_place(functions: list[Doc], answers: list[Answer], rng: random.Random) -> Made:
    """Two or more calls expected: one of them given twice, another left out."""
    calls = gold_calls(functions, answers, rng)
    if len(calls) < 2:
        return None
    i, j = rng.sample(range(len(calls)), 2)
    calls[j] = calls[i]
    return render(calls), f"call {i} given twice, call {j} left out"


GENERATORS: dict[str, tuple[float, Gen]] = {
    "number_spelling": (4, number_spelling),
    "string_spelling": (4, string_spelling),
    "unicode_look_alike": (4, unicode_look_alike),
    "none_or_empty": (3, none_or_empty),
    "layout": (3, layout),
    "transport_chars": (3, transport_chars),
    "keyword_twice": (2, keyword_twice),
    "evaluated_expression": (5, evaluated_expression),
    "call_as_value": (2, call_as_value),
    "reasoning_and_prose": (3, reasoning_and_prose),
    "calls_split": (3, calls_split),
    "namespace_prefix": (2, namespace_prefix),
    "duplicate_in_place": (2, duplicate_in_place),
}
