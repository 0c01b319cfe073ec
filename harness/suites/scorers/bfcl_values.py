"""Values of the expressions BFCL's decoder evaluates, computed without executing model output.

BFCL (bfcl_eval/model_handler/utils.py, resolve_ast_by_type) decodes a binary operation in an
argument with `eval(ast.unparse(node))`: whatever the operands are, calls included
(`int('10') + 0`, `'Brazil'.lower() + ''`, `len('abc') * 1`, `f'{10}' + ''`, `[5][0] + 0`).
`literal(node)` gives the value Python's eval() would give for the pure part of that language,
by walking the tree: literals, containers, unary and binary operators, comparisons, boolean
operators, conditional expressions, subscripts, f-strings, and calls of pure builtins
(abs, int, len, round, str, sorted, ...) and of the non-mutating methods of str, bytes, list,
tuple and dict. Sizes are bounded (a repetition, power, shift, padding width or range that
would build more than a million items or a hundred thousand bits is refused), so a reply
cannot make the scorer allocate gigabytes.

Refused (ValueError, so the reply does not decode) where BFCL's eval() would run arbitrary
code: names (BFCL resolves them in its own module, where os, json, re, copy ... are bound),
attributes other than the methods above, lambdas, comprehensions, assignments. That is the
one deliberate difference: BFCL executes model output; gapbench never does.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Callable
from typing import Any

MAX_ITEMS = 1_000_000  # longest string or sequence an operation may build
MAX_BITS = 100_000  # largest integer a power or shift may build

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg, ast.Invert: operator.invert,
          ast.Not: operator.not_}  # fmt: skip
_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}

# Builtins whose result depends on their arguments only (no I/O, no state, no callbacks).
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        abs,
        all,
        any,
        ascii,
        bin,
        bool,
        chr,
        complex,
        dict,
        divmod,
        float,
        format,
        frozenset,
        hex,
        int,
        len,
        list,
        max,
        min,
        oct,
        ord,
        pow,
        range,
        repr,
        reversed,
        round,
        set,
        sorted,
        str,
        sum,
        tuple,
        enumerate,
        zip,
    )
}
# Methods that build a new value and call nothing the model wrote.
_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        re.findall(
            r"\w+",
            "capitalize casefold center count endswith expandtabs find format index isalnum "
            "isalpha isascii isdecimal isdigit isidentifier islower isnumeric isprintable isspace "
            "istitle isupper join ljust lower lstrip partition removeprefix removesuffix replace "
            "rfind rindex rjust rpartition rsplit rstrip split splitlines startswith strip "
            "swapcase title upper zfill encode",
        )
    ),
    bytes: frozenset(
        {"decode", "hex", "upper", "lower", "strip", "split", "startswith", "endswith", "count"}
    ),
    list: frozenset({"index", "count", "copy"}),
    tuple: frozenset({"index", "count"}),
    dict: frozenset({"get", "keys", "values", "items", "copy"}),
    int: frozenset({"bit_length", "conjugate", "to_bytes"}),
    float: frozenset({"is_integer", "conjugate", "hex"}),
}
_WIDTH = re.compile(r"\d+")


def literal(node: ast.expr) -> Any:
    """The value Python's eval() gives `node`, for the pure expressions above; ValueError when
    it is not such an expression, would be too large, or Python would raise."""
    try:
        return _value(node)
    except RecursionError:
        raise ValueError("expression too deep") from None
    except (TypeError, ZeroDivisionError, OverflowError, ArithmeticError, LookupError,
            AttributeError, UnicodeError) as exc:  # fmt: skip
        raise ValueError(f"{type(exc).__name__} evaluating {ast.unparse(node)[:80]}") from None


def _value(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items = _spread(node.elts)
        if isinstance(node, ast.List):
            return items
        return tuple(items) if isinstance(node, ast.Tuple) else set(items)
    if isinstance(node, ast.Dict):
        out: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:  # {**d}
                out.update(_value(value))
            else:
                out[_value(key)] = _value(value)
        return out
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_value(node.operand))
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left), _value(node.right)
        _check_binary(node.op, left, right)
        return _BINARY[type(node.op)](left, right)
    if isinstance(node, ast.BoolOp):
        result: Any = None
        for operand_node in node.values:  # short-circuit, returning the deciding operand
            result = _value(operand_node)
            if isinstance(node.op, ast.And) and not result:
                return result
            if isinstance(node.op, ast.Or) and result:
                return result
        return result
    if isinstance(node, ast.Compare):
        left = _value(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _value(comparator)
            if not _COMPARE[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.IfExp):
        return _value(node.body) if _value(node.test) else _value(node.orelse)
    if isinstance(node, ast.Subscript):
        return _value(node.value)[_index(node.slice)]
    if isinstance(node, ast.JoinedStr):
        return "".join(_formatted(v) for v in node.values)
    if isinstance(node, ast.Call):
        return _call(node)
    raise ValueError(f"not evaluated: {type(node).__name__}")


def _spread(nodes: list[ast.expr]) -> list[Any]:
    items: list[Any] = []
    for n in nodes:
        if isinstance(n, ast.Starred):
            items.extend(_sized(_value(n.value)))
        else:
            items.append(_value(n))
    return items


def _index(node: ast.expr) -> Any:
    if isinstance(node, ast.Slice):
        bounds = (node.lower, node.upper, node.step)
        return slice(*(None if b is None else _value(b) for b in bounds))
    return _value(node)


def _formatted(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if not isinstance(node, ast.FormattedValue):
        raise ValueError(f"not evaluated: {type(node).__name__}")
    value = _value(node.value)
    if node.conversion == ord("r"):
        value = repr(value)
    elif node.conversion == ord("s"):
        value = str(value)
    elif node.conversion == ord("a"):
        value = ascii(value)
    spec = "" if node.format_spec is None else _value(node.format_spec)
    _check_width(spec)
    return format(value, spec)


def _call(node: ast.Call) -> Any:
    args = _spread(node.args)
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            kwargs.update(_value(keyword.value))
        else:
            kwargs[keyword.arg] = _value(keyword.value)
    func = node.func
    if isinstance(func, ast.Name) and func.id in _FUNCTIONS:
        for arg in [*args, *kwargs.values()]:
            _sized(arg)
        if func.id == "pow" and len(args) == 2:
            _check_binary(ast.Pow(), *args)
        if func.id in ("format", "str") and len(args) == 2 and isinstance(args[1], str):
            _check_width(args[1])
        return _FUNCTIONS[func.id](*args, **kwargs)
    if isinstance(func, ast.Attribute):
        owner = _value(func.value)
        allowed = _METHODS.get(type(owner), frozenset())
        if func.attr in allowed:
            _check_method(owner, func.attr, args, kwargs)
            return getattr(owner, func.attr)(*args, **kwargs)
    raise ValueError(f"call not evaluated: {ast.unparse(func)[:60]}")


def _sized(value: Any) -> Any:
    """`value` if materialising it stays within MAX_ITEMS (a range is lazy until then)."""
    try:
        n = len(value)
    except TypeError:
        return value
    if n > MAX_ITEMS:
        raise ValueError("too many items")
    return value


def _check_binary(op: ast.operator, left: Any, right: Any) -> None:
    def is_int(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)

    big_power = is_int(left) and is_int(right) and abs(left) > 1
    if isinstance(op, ast.Pow) and big_power and right * abs(left).bit_length() > MAX_BITS:
        raise ValueError("power too large")
    if isinstance(op, ast.LShift) and is_int(right) and right > MAX_BITS:
        raise ValueError("shift too large")
    if isinstance(op, ast.Mult):
        for seq, n in ((left, right), (right, left)):
            sized = isinstance(seq, str | bytes | list | tuple) and isinstance(n, int)
            if sized and len(seq) * max(n, 0) > MAX_ITEMS:
                raise ValueError("repetition too large")
    if isinstance(op, ast.Mod) and isinstance(left, str | bytes):
        _check_width(left if isinstance(left, str) else left.decode("latin-1"))


def _check_width(spec: str) -> None:
    """A format spec or %-format string must not ask for a width or precision past
    MAX_ITEMS (f'{1:>999999999}' would build a gigabyte)."""
    if any(len(m) > 7 or int(m) > MAX_ITEMS for m in _WIDTH.findall(spec)):
        raise ValueError("width too large")


def _check_method(owner: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    numbers = [a for a in [*args, *kwargs.values()] if isinstance(a, int)]
    if name in ("center", "ljust", "rjust", "zfill") and any(n > MAX_ITEMS for n in numbers):
        raise ValueError("width too large")
    if name == "expandtabs" and len(owner) * max([8, *numbers]) > MAX_ITEMS:
        raise ValueError("too large")
    if name == "replace" and len(args) >= 2:
        longest = max(len(args[1]), 1) if isinstance(args[1], str | bytes) else 1
        if (len(owner) + 1) * longest > MAX_ITEMS:
            raise ValueError("too large")
    if name == "join" and args:
        parts = _sized(args[0])
        if len(owner) * len(parts) > MAX_ITEMS:
            raise ValueError("too large")
    if name == "format":
        _check_width(owner)
        for arg in [*args, *kwargs.values()]:
            _sized(arg)
    if name == "to_bytes" and any(n > MAX_ITEMS for n in numbers):
        raise ValueError("too large")
