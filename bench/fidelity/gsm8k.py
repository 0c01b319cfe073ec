"""Agreement of gapbench's gsm8k suite with lm-eval's own gsm8k task (issue 21).

    python -m bench.fidelity gsm8k --n 200

GSM8K's test set is not shipped by any package (lm-eval reads it from the Hugging Face hub),
so the check uses GSM8K-format items made here (a question, a worked answer ending in
"#### <number>", a train split for the five shots), written into a Hugging Face datasets cache
exactly where `load_dataset("openai/gsm8k", "main")` finds them offline. Both sides read the
same cache: gapbench's run (the registry task through the lm-eval runner, the request path and
the store, with a scripted model behind the fake API replaying each response) and the official
side (bench/fidelity/gsm8k_official.py: lm-eval's gsm8k task object applying its own filters
and exact_match to the same response, in a process of its own). gapbench stores the first
filter's score ("strict-match"); that is what is compared.

Responses: the answer in every format the filters handle or miss: '#### 42', '$1,000',
'42.0', 'The answer is 42.', trailing text, a second '####', signs, bold and boxed answers,
wrong and null answers; and (red team) numbers in words, '####' in a code block or a
sentence, other separators after '####' (newline, tab, NBSP), thousands grouped by spaces,
thin spaces, dots or underscores, decimal commas, exponents, cents, full-width and
Arabic-Indic digits, CRLF line ends, LaTeX.
"""

from __future__ import annotations

import os
import random
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.fidelity.agreement import compare, result
from bench.fidelity.official_env import ROOT
from bench.fidelity.replay import GapbenchScore, Trajectory, replay_suite
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from tests.fakeapi import Conversation, Reply

SUITE = "gsm8k"
HERE = Path(__file__).resolve().parent
OFFICIAL_SCRIPT = HERE / "gsm8k_official.py"
REVISION = "e53f048856ff4f594e959d75785d2c2d37b678ee"  # any fixed hash: the cache's folder name
PER_SAMPLE = 4
_TAG = re.compile(r"\[Q(\d+)\]")

Form = Callable[[int, random.Random], str]

FORMS: dict[str, tuple[float, Form]] = {
    "hashes": (5, lambda v, r: f"#### {v}"),
    "worked_then_hashes": (
        5,
        lambda v, r: f"First {v - 3} and 3 more.\nSo {v - 3} + 3 = {v}.\n#### {v}",
    ),
    "answer_is": (4, lambda v, r: f"The answer is {v}."),
    "hashes_thousands_comma": (3, lambda v, r: f"#### {v:,}"),
    "hashes_dollar": (3, lambda v, r: f"#### ${v}"),
    "dollar_comma_prose": (3, lambda v, r: f"It costs ${v:,} in total."),
    "hashes_point_zero": (3, lambda v, r: f"#### {v}.0"),
    "hashes_point_zero_zero": (2, lambda v, r: f"#### {v}.00"),
    "hashes_trailing_period": (3, lambda v, r: f"#### {v}."),
    "hashes_no_space": (2, lambda v, r: f"####{v}"),
    "hashes_units": (2, lambda v, r: f"#### {v} dollars"),
    "hashes_trailing_text": (
        3,
        lambda v, r: f"#### {v}\nI hope this helps! Let me know if you need more.",
    ),
    "hashes_then_question": (2, lambda v, r: f"#### {v}\n\nQuestion: what is 2 + 2?\nAnswer: 4"),
    "question_echo_first": (
        2,
        lambda v, r: f"Question: restating it.\nAnswer: {v - 1} + 1.\n#### {v}",
    ),
    "im_end_then_answer": (1, lambda v, r: f"Thinking.<|im_end|>\n#### {v}"),
    "two_hashes_right_first": (2, lambda v, r: f"#### {v}\n#### {v + 1}"),
    "two_hashes_wrong_first": (2, lambda v, r: f"#### {v + 1}\n#### {v}"),
    "bold": (2, lambda v, r: f"**Answer:** **{v}**"),
    "boxed": (2, lambda v, r: f"The final answer is $\\boxed{{{v}}}$"),
    "negative": (1, lambda v, r: f"#### -{v}"),
    "leading_zero": (1, lambda v, r: f"#### 0{v}"),
    "leading_whitespace": (2, lambda v, r: f"   \n#### {v}   \n"),
    "double_space": (1, lambda v, r: f"####  {v}"),
    "three_hashes": (1, lambda v, r: f"### {v}"),
    "unicode_minus": (1, lambda v, r: f"#### \u2212{v}"),
    "percent": (1, lambda v, r: f"#### {v}%"),
    "fraction": (1, lambda v, r: f"#### {v * 2}/2"),
    "wrong_value": (5, lambda v, r: f"#### {v + r.choice([1, -1, 10, 100])}"),
    "wrong_then_right_prose": (2, lambda v, r: f"Maybe {v + 5}? No: it is {v}."),
    "right_then_wrong_prose": (2, lambda v, r: f"It is {v}, plus {v + 7} for tax."),
    "only_number": (3, lambda v, r: f"{v}"),
    "null": (3, lambda v, r: r.choice(["", "I don't know.", "Let me think."])),
    # red team of issue 21: forms neither the issue nor the first run used
    "number_in_words": (1, lambda v, r: f"#### {_words(v)}"),
    "words_after_number": (1, lambda v, r: f"#### {v} ({_words(v)})"),
    "hashes_in_code_block": (2, lambda v, r: f"```\n#### {v}\n```"),
    "hashes_in_sentence": (1, lambda v, r: f"So the total is #### {v} in the end."),
    "five_hashes": (1, lambda v, r: f"##### {v}"),
    "newline_after_hashes": (1, lambda v, r: f"####\n{v}"),
    "tab_after_hashes": (1, lambda v, r: f"####\t{v}"),
    "nbsp_after_hashes": (1, lambda v, r: f"####\u00a0{v}"),
    "bold_after_hashes": (1, lambda v, r: f"#### **{v}**"),
    "boxed_after_hashes": (1, lambda v, r: f"#### \\boxed{{{v}}}"),
    "plus_sign": (1, lambda v, r: f"#### +{v}"),
    "thousands_space": (1, lambda v, r: f"#### {v:,}".replace(",", " ")),
    "thousands_thin_space": (1, lambda v, r: f"#### {v:,}".replace(",", "\u2009")),
    "thousands_dot": (1, lambda v, r: f"#### {v:,}".replace(",", ".")),
    "thousands_underscore": (1, lambda v, r: f"#### {v:_}"),
    "decimal_comma": (1, lambda v, r: f"#### {v},00"),
    "scientific": (1, lambda v, r: f"#### {v:e}"),
    "dollar_cents": (1, lambda v, r: f"#### ${v}.00"),
    "fullwidth_digits": (1, lambda v, r: "#### " + str(v).translate(_FULLWIDTH)),
    "arabic_indic_digits": (1, lambda v, r: "#### " + str(v).translate(_ARABIC_INDIC)),
    "crlf": (2, lambda v, r: f"Step one.\r\nStep two.\r\n#### {v}\r\n"),
    "answer_is_then_other_hashes": (1, lambda v, r: f"The answer is {v}.\n#### {v - 1}"),
    "hashes_then_answer_is_other": (1, lambda v, r: f"#### {v}\nThe answer is {v + 1}."),
    "latex_display": (1, lambda v, r: f"\\[ x = {v} \\]\n#### {v}"),
    "trailing_spaces_lines": (1, lambda v, r: f"Work.   \n\n#### {v}   \n\n\n"),
}

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _words(n: int) -> str:
    """An integer in English words (0 <= n < 1,000,000), as a model might spell it."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("-" + _ONES[n % 10] if n % 10 else "")
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + (" and " + _words(rest) if rest else "")
    rest = n % 1000
    return _words(n // 1000) + " thousand" + (" " + _words(rest) if rest else "")


def items(n_test: int, seed: int) -> tuple[list[dict[str, str]], list[dict[str, str]], list[int]]:
    """(test rows, train rows, test answers): GSM8K-format items; each test question carries
    a tag [Q<i>] so a request can be traced to its doc."""
    rng = random.Random(seed)

    def row(tag: str) -> tuple[dict[str, str], int]:
        a, b, c = rng.randint(2, 90), rng.randint(2, 60), rng.randint(2, 12)
        value = rng.choice([a + b, a * c, a * c + b, (a + b) * 100 + c * 25])
        question = f"{tag} A shop sells {a} pens on Monday and {b} on Tuesday. What is the total?"
        answer = f"Monday: {a}. Tuesday: {b}.\nCombined as asked: <<{value}={value}>>{value}\n#### {value}"
        return {"question": question, "answer": answer}, value

    test = [row(f"[Q{i}]") for i in range(n_test)]
    train = [row(f"[T{i}]")[0] for i in range(8)]
    return [t[0] for t in test], train, [t[1] for t in test]


def write_cache(cache: Path, test: list[dict[str, str]], train: list[dict[str, str]]) -> None:
    from tests.suites.hub_cache import write_hf_dataset

    for split, rows in (("test", test), ("train", train)):
        write_hf_dataset(cache, "openai/gsm8k", REVISION, split, rows, config="main")


def trajectories(n: int, seed: int, answers: list[int]) -> list[Trajectory]:
    rng = random.Random(seed + 1)
    names = list(FORMS)
    weights = [FORMS[k][0] for k in names]
    out = []
    for i in range(n):
        doc = i % len(answers)
        form = names[i] if i < len(names) else rng.choices(names, weights)[0]
        text = FORMS[form][1](answers[doc], rng)
        out.append(Trajectory(f"gsm8k/{doc}#{i}", f"gsm8k/{doc}", form, text, repr(text)[:120]))
    return out


def _use_cache(cache: Path) -> None:
    os.environ["HF_DATASETS_CACHE"] = str(cache)
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    os.environ["HF_HUB_OFFLINE"] = "1"
    import datasets

    datasets.config.HF_DATASETS_CACHE = cache  # read once at import


def gapbench_scores(trajs: list[Trajectory]) -> dict[str, GapbenchScore]:
    def sample_of(conv: Conversation) -> str | None:
        tags = _TAG.findall(conv.last_user_text())
        return f"gsm8k/{tags[-1]}" if tags else None

    def reply_for(t: Trajectory, conv: Conversation) -> Reply:
        return Reply(text=str(t.payload))

    return replay_suite(SUITE, trajs, reply_for, sample_of)


def official_scores(
    trajs: list[Trajectory], cache: Path
) -> tuple[dict[str, float], dict[str, Any]]:
    import json
    import subprocess
    import sys

    payload = {
        "items": [
            {"key": t.key, "doc_id": t.sample_id.split("/")[1], "response": t.payload}
            for t in trajs
        ],
        "hf_datasets_cache": str(cache),
    }
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    proc = subprocess.run(
        [sys.executable, "-I", str(OFFICIAL_SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=1800,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"gsm8k_official.py failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    return {k: float(v["strict-match"]) for k, v in out["scores"].items()}, out


def run(n: int, seed: int) -> dict[str, Any]:
    n_test = max(1, -(-n // PER_SAMPLE))
    test, train, answers = items(n_test, seed)
    with tempfile.TemporaryDirectory(prefix="fidelity-gsm8k-") as tmp:
        cache = Path(tmp) / "hf" / "datasets"
        cache.mkdir(parents=True)
        write_cache(cache, test, train)
        _use_cache(cache)
        trajs = trajectories(n, seed, answers)
        official, out = official_scores(trajs, cache)
        gapbench = gapbench_scores(trajs)
    version = load_suite(REPO_ROOT / "tasks" / "standard" / "gsm8k" / "suite.yaml").version
    meta = {"name": "lm-eval", "version": str(out["version"]), "entry": str(out["entry"])}
    return result(SUITE, version, meta, compare(trajs, gapbench, official), seed)
