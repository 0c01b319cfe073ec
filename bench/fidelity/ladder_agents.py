"""Scripted models of known competence for the horizon ladder, served by the fake API.

A `KnownAgent` is what the fake OpenAI/Anthropic endpoint (tests/fakeapi) answers for one
model name, so that a sweep reaches it through the real runner, request path, store and
analysis, exactly as a user's model would be reached:

- agentic form (`ladder_agentic`, tools offered): each step, a `lookup` call with the right
  key, is taken with probability `p`; the first step that fails is a plausible wrong step
  (a key with a typo, the previous key again, an early answer with a made-up code, or the
  current key given as the answer), after which the agent commits to a wrong answer. Once
  the chain ends in a code, the final answer is right with probability `answer_p` (else a
  misread code). So P(success | h) = answer_p * p**h exactly, and the true 50% horizon is
  h50 = ln(0.5 / answer_p) / ln(p) (= ln 0.5 / ln p with the default answer_p = 1).
- standard form (`ladder_standard`, the table in the prompt): the agent follows the table
  itself to find the answer and its h, then answers right with probability `standard[h]`
  (set per rung), else with one of the table's distractor codes.

Every coin is a hash of (agent, item, step, purpose), the agent named by its parameters, seed
and replicate: the same agent answers the same item the same way in every run, and distinct
agents (replicates, or a closed and an open one) are independent. The item is named by
its start key (unique across the ladder; tests/fidelity/test_ladder_agents.py checks it).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from tests.fakeapi.policy import Conversation, Policy, Reply, ToolCall

_START = re.compile(r"[Ss]tart with the key `([a-z]+)`")
_ROW = re.compile(r"^\s*([a-z]+) -> (\S+)\s*$", re.MULTILINE)
_KEY = re.compile(r"[a-z]+")
_CODE = re.compile(r"[A-Z]{2}-\d{4}")
_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"

Form = Literal["agentic", "standard"]

# What a failed agentic step looks like (chosen per item and replicate by a coin).
FAILURES = ("typo", "repeat", "early", "key-as-answer")


@dataclass(frozen=True)
class KnownAgent:
    """A scripted model of known competence (see the module docstring)."""

    p: float  # per-step reliability in the agentic form
    standard: tuple[tuple[int, float], ...]  # (h, P(right)) per rung in the standard form
    answer_p: float = 1.0  # P(the final answer is right | the chain was followed)
    seed: int = 0
    replicate: int = 0
    label: str = "known"  # a prefix for the model name
    _std: dict[int, float] = field(init=False, repr=False, compare=False, hash=False)
    name: str = field(init=False, compare=False)  # the model name it answers to

    def __post_init__(self) -> None:
        if not (0.0 < self.p <= 1.0 and 0.0 < self.answer_p <= 1.0):
            raise ValueError("p and answer_p must be in (0, 1]")
        object.__setattr__(self, "_std", dict(self.standard))
        std = hashlib.sha256(repr(self.standard).encode()).hexdigest()[:6]
        # parameters readable, the standard form's table as a short hash, replicate last
        name = (
            f"{self.label}-p{round(self.p * 1000):04d}-a{round(self.answer_p * 1000):04d}"
            f"-{std}-s{self.seed}-r{self.replicate:04d}"
        )
        object.__setattr__(self, "name", name)

    def success_probability(self, h: int) -> float:
        """P(the agentic form of an item with h steps is answered right)."""
        return self.answer_p * self.p**h

    def true_h50(self) -> float:
        """The h where the agentic success probability is 1/2 (inf when it never falls that far)."""
        if self.p >= 1.0:
            return math.inf
        return max(math.log(0.5 / self.answer_p) / math.log(self.p), 0.0)

    def standard_probability(self, h: int) -> float:
        return self._std.get(h, self._std[min(self._std, key=lambda r: abs(r - h))])

    # --- coins ----------------------------------------------------------------------------
    def coin(self, item: str, *parts: object) -> float:
        """A uniform number in [0, 1) fixed by (the agent, item, parts). The agent's name holds
        its seed, replicate and parameters, so two agents never share coins: their outcomes
        are independent, as two models' would be (shared coins would couple a strong and a
        weak agent item by item and make every comparison look far more certain)."""
        digest = hashlib.sha256(repr((self.name, item, *parts)).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def predict(self, start: str, h: int, form: Form) -> bool:
        """Whether this agent answers the item (named by its start key) right: what a run
        through the real path must give, sample by sample."""
        if form == "standard":
            return self.coin(start, "standard") < self.standard_probability(h)
        steps = all(self.coin(start, "step", j) < self.p for j in range(h))
        return steps and self.coin(start, "answer") < self.answer_p

    # --- the two forms --------------------------------------------------------------------
    def reply(self, conv: Conversation) -> Reply:
        prompt = conv.first_user_text()
        match = _START.search(prompt)
        item = match.group(1) if match else prompt[:200]
        if conv.tools:
            return self._agentic(conv, item)
        return self._standard(prompt, item)

    def _agentic(self, conv: Conversation, item: str) -> Reply:
        tool = conv.tools[0]
        arg = tool.main_param()
        calls = [c for t in conv.turns if t.role == "assistant" for c in t.tool_calls]
        results = conv.tool_results()
        k = len(calls)  # steps taken so far
        failed = next((j for j in range(k) if self.coin(item, "step", j) >= self.p), None)
        if failed is not None:  # derailed earlier: commit to a wrong answer
            return Reply(text=f"I could not finish the chain.\nANSWER: {self._made_up(item)}")
        last = results[-1].strip() if results else None
        if last is not None and not _KEY.fullmatch(last):
            code = _CODE.search(last)
            if code and self.coin(item, "answer") < self.answer_p:
                return Reply(text=f"The chain ends in a code.\nANSWER: {code.group(0)}")
            wrong = _misread(code.group(0)) if code else self._made_up(item)
            return Reply(text=f"The chain ends in a code.\nANSWER: {wrong}")
        key = last if last is not None else item
        if self.coin(item, "step", k) < self.p:
            return Reply(tool_calls=(ToolCall(tool.name, {arg: key}),))
        how = FAILURES[int(self.coin(item, "how", k) * len(FAILURES))]
        if how == "typo":
            return Reply(tool_calls=(ToolCall(tool.name, {arg: _typo(key)}),))
        if how == "repeat" and k > 0:
            previous = str(calls[-1].arguments.get(arg, key))  # a loop: the last key again
            return Reply(tool_calls=(ToolCall(tool.name, {arg: previous}),))
        if how == "key-as-answer":
            return Reply(text=f"The lookups lead to {key}.\nANSWER: {key}")
        return Reply(text=f"That should be enough.\nANSWER: {self._made_up(item)}")

    def _standard(self, prompt: str, item: str) -> Reply:
        table = dict(_ROW.findall(prompt))
        start = _START.search(prompt)
        key, h = (start.group(1) if start else ""), 0
        while key in table and h < 10_000:
            key, h = table[key], h + 1
        if self.coin(item, "standard") < self.standard_probability(h):
            return Reply(text=f"Following the table from the start key.\nANSWER: {key}")
        others = sorted(v for v in table.values() if _CODE.fullmatch(v) and v != key)
        wrong = (
            others[int(self.coin(item, "distractor") * len(others))] if others else _misread(key)
        )
        return Reply(text=f"Following the table from the start key.\nANSWER: {wrong}")

    def _made_up(self, item: str) -> str:
        u = self.coin(item, "made-up")
        n = int(u * 24 * 24 * 10_000)
        return f"{_LETTERS[n % 24]}{_LETTERS[(n // 24) % 24]}-{(n // 576) % 10_000:04d}"


def _typo(key: str) -> str:
    """The key with its last letter changed (still a plausible lowercase word)."""
    last = key[-1:] or "a"
    return key[:-1] + ("e" if last != "e" else "o")


def _misread(code: str) -> str:
    """The code with its last digit changed."""
    if not code:
        return "XX-0000"
    return code[:-1] + str((int(code[-1]) + 1) % 10) if code[-1].isdigit() else code + "0"


def known_policy(agents: Mapping[str, KnownAgent], fallback: Policy | None = None) -> Policy:
    """The fake API's policy: the agent named by the request's model answers."""

    def policy(conv: Conversation) -> Reply:
        agent = agents.get(conv.model)
        if agent is None:
            if fallback is not None:
                return fallback(conv)
            return Reply(text=f"no scripted agent named {conv.model!r}")
        return agent.reply(conv)

    return policy
