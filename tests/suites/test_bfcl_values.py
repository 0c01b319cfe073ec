"""bfcl_values.literal: the value BFCL's eval() gives a pure expression, computed without
running model output, and refused (ValueError) where eval() would run code or build too much."""

from __future__ import annotations

import ast

import pytest

from harness.suites.scorers.bfcl_values import literal

# Each is what a model may write in an argument, inside a binary operation (which BFCL
# eval()s); the value must be exactly eval()'s, type included.
PURE = [
    "int('10') + 0",
    "len('abcde') * 2",
    "abs(-7) + 0",
    "round(2.5) + 0",
    "round(2.675, 2) * 1",
    "max(3, 9, 4) - min([5, 2])",
    "sum([1.5, 2]) + 0",
    "str(12) + 'px'",
    "'New York'.lower() + ''",
    "'  x '.strip() + '!'",
    "'-'.join(['a', 'b']) + ''",
    "'{} {}'.format('a', 1) + ''",
    "'%s=%d' % ('k', 3)",
    "f'{10}' + ''",
    "f'{3.14159:.2f}' + ''",
    "f'{\"x\"!r}' + ''",
    "[5, 6][0] + 0",
    "'abc'[1:] + ''",
    "{'a': 1}['a'] + 0",
    "{'a': 1}.get('b', 2) + 0",
    "(1 if 2 > 1 else 0) + 0",
    "(1 < 2 < 3) + 0",
    "(0 or 5) + 0",
    "(3 and 0) + 1",
    "(1 in [1, 2]) + 0",
    "[*[1, 2], 3] + []",
    "sorted([3, 1, 2]) + []",
    "list(reversed([1, 2])) + []",
    "tuple([1]) + (2,)",
    "dict(a=1) | {'b': 2}",
    "divmod(7, 2)[1] + 0",
    "pow(2, 10) + 0",
    "float('1e3') * 1",
    "bool(1) & True",
    "-(-5) + 0",
    "(not False) + 0",
    "~5 + 0",
    "hex(255) + ''",
    "chr(65) + 'b'",
]


@pytest.mark.parametrize("source", PURE)
def test_pure_expressions_have_evals_value(source: str) -> None:
    node = ast.parse(source, mode="eval").body
    want = eval(source)  # the test's own literal source, not model output
    got = literal(node)
    assert got == want and type(got) is type(want), source


@pytest.mark.parametrize(
    "source",
    [
        "os.sep + ''",  # a name BFCL's module binds: eval() would run it there
        "x + 1",
        "(lambda: 1)() + 0",
        "[i for i in range(3)] + []",
        "open('/etc/passwd').read() + ''",
        "__import__('os').getcwd() + ''",
        "'a'.__class__ + ''",
        "print(1) + 0",
        "1 / 0",
        "'a' + 1",
        "int('x') + 0",
        "[1][5] + 0",
    ],
)
def test_code_and_errors_do_not_evaluate(source: str) -> None:
    with pytest.raises(ValueError):
        literal(ast.parse(source, mode="eval").body)


@pytest.mark.parametrize(
    "source",
    [
        "'x' * 10**9",
        "[0] * (10**9)",
        "2 ** 10**9",
        "pow(2, 10**9) + 0",
        "1 << 10**9",
        "f'{1:>999999999}' + ''",
        "'%999999999d' % 1",
        "'{:>999999999}'.format(1) + ''",
        "format(1, '>999999999') + ''",
        "list(range(10**9)) + []",
        "'a'.ljust(10**9) + ''",
        "'ab'.replace('', 'x' * 999999) + ''",
        "'--'.join('x' * 999999) + ''",
        "('\\t' * 999999).expandtabs(100) + ''",
    ],
)
def test_sizes_are_bounded(source: str) -> None:
    """Refused, not built (eval() would build each: a gigabyte, or hang)."""
    with pytest.raises(ValueError):
        literal(ast.parse(source, mode="eval").body)
