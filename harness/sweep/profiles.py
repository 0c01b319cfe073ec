"""Declared token profiles (suite.yaml `token_profile:`), computed from each suite's own data.

For a single-call standard suite whose prompts are in the repository (a `data:` JSONL of
StandardDoc rows, run by lm-eval), one sample costs:
- input: the prompt's tokens in OpenAI's o200k_base vocabulary plus a few tokens of chat
  framing (CHAT_OVERHEAD; other tokenizers count within a few tens of percent of o200k);
- output: the suite's max_tokens, a ceiling (a generation stops there, reasoning included),
  so a cost made from it is an upper bound. A stored run replaces both with measured means.
Agentic suites are not declared here: their input grows with every turn and their ceiling
(token_limit) is far from what a sample spends; their profile comes from stored runs.

    python -m harness.sweep.profiles           # print each suite's computed profile
    python -m harness.sweep.profiles --write   # put it into the suite.yaml files

The test suite recomputes the declared profiles and fails when a suite's data or limits
change without its profile (tests/sweep/test_profiles.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.suites import SuiteSpec, load_suites
from harness.suites.spec import TokenProfile

CHAT_OVERHEAD = 8  # role markers and separators of one system-less chat turn (o200k)
GENERATOR = "python -m harness.sweep.profiles"


def profiled(suite: SuiteSpec) -> bool:
    """Suites whose profile is computed here: single-call standard suites with their data."""
    return suite.kind == "standard" and suite.engine == "lm_eval" and suite.data is not None


def _encoder(cache_dir: Path) -> object:
    from harness.offline import ensure_tiktoken_offline

    ensure_tiktoken_offline(cache_dir)  # the vocabulary from quicktok-v1: no download
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


def compute_profile(suite: SuiteSpec, cache_dir: Path) -> TokenProfile:
    """The declared profile of a `profiled` suite, from its data and limits."""
    from harness._loading import read_jsonl

    enc = _encoder(cache_dir)
    path = suite.directory / str(suite.data)
    counts = [len(enc.encode(str(row["prompt"]))) for row in read_jsonl(path)]  # type: ignore[attr-defined]
    if not counts:
        raise ValueError(f"{path}: no prompts")
    mean_in = round(sum(counts) / len(counts)) + CHAT_OVERHEAD
    return TokenProfile(
        input_tokens=mean_in,
        output_tokens=suite.limits.max_tokens,
        turns=None,
        source=(
            f"input: mean o200k tokens of the {len(counts)} prompts in {suite.data} + "
            f"{CHAT_OVERHEAD}; output: max_tokens, a ceiling ({GENERATOR})"
        ),
    )


_BLOCK = re.compile(r"(?ms)^token_profile:\n(?:[ \t]+.*\n?)*")


def profile_yaml(profile: TokenProfile) -> str:
    lines = [
        "token_profile:",
        f"  input_tokens: {profile.input_tokens:g}",
        f"  output_tokens: {profile.output_tokens:g}",
        f'  source: "{profile.source}"',
    ]
    return "\n".join(lines) + "\n"


def write_profile(suite_yaml: Path, profile: TokenProfile) -> bool:
    """Replace (or append) the token_profile block of a suite.yaml; True when it changed."""
    text = suite_yaml.read_text(encoding="utf-8")
    block = profile_yaml(profile)
    if _BLOCK.search(text):
        new = _BLOCK.sub(block, text, count=1)
    else:
        new = text.rstrip("\n") + "\n" + block
    if new == text:
        return False
    suite_yaml.write_text(new, encoding="utf-8")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    from harness.config import load_settings

    p = argparse.ArgumentParser(
        prog=GENERATOR,
        description="Compute the declared token profile of each single-call standard suite "
        "from its own data (o200k tokens of the prompts; max_tokens as the output ceiling).",
    )
    p.add_argument("--write", action="store_true", help="write them into the suite.yaml files")
    args = p.parse_args(argv)
    settings = load_settings()
    for suite in load_suites(settings.tasks_dir).suites:
        if not profiled(suite):
            continue
        profile = compute_profile(suite, settings.cache_dir)
        changed = args.write and write_profile(suite.directory / "suite.yaml", profile)
        mark = " (written)" if changed else ""
        print(
            f"{suite.name}: input {profile.input_tokens:g}, output {profile.output_tokens:g}{mark}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
