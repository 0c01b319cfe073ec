"""What the fake model answers: a normalised view of a request, and deterministic policies.

The default policy solves the horizon ladder (tasks/ladder) plausibly: in the agentic form it
follows the lookup chain one tool call at a time and answers with the final code; in the
standard form it follows the table given in the prompt. `chain_policy(skill=p)` makes each
step go wrong with probability 1-p (decided by a hash, so reruns agree), which gives success
~ p^h. Any other prompt gets a fixed, well-formed answer that echoes the prompt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict[str, Any]
    id: str = ""


@dataclass(frozen=True)
class Turn:
    role: Role
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Tool:
    name: str
    parameters: dict[str, Any] = field(default_factory=dict)

    def main_param(self) -> str:
        props = self.parameters.get("properties") or {}
        required = self.parameters.get("required") or []
        if required:
            return str(required[0])
        return str(next(iter(props), "input"))


@dataclass(frozen=True)
class Conversation:
    protocol: Literal["openai", "anthropic"]
    model: str
    turns: tuple[Turn, ...]
    tools: tuple[Tool, ...] = ()

    def first_user_text(self) -> str:
        return next((t.text for t in self.turns if t.role == "user"), "")

    def last_user_text(self) -> str:
        return next((t.text for t in reversed(self.turns) if t.role == "user"), "")

    def tool_results(self) -> list[str]:
        return [t.text for t in self.turns if t.role == "tool"]

    def n_tool_calls(self) -> int:
        return sum(len(t.tool_calls) for t in self.turns if t.role == "assistant")


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()


Policy = Callable[[Conversation], Reply]

_START = re.compile(r"key `([^`]+)`")
_TICKED = re.compile(r"`([^`]+)`")
_ROW = re.compile(r"^\s*([a-z]+) -> (\S+)\s*$", re.MULTILINE)
_KEY = re.compile(r"[a-z]+")
WRONG = "XX-0000"


def _start_key(text: str) -> str:
    match = _START.search(text) or _TICKED.search(text)
    return match.group(1) if match else "x"


def _ok(skill: float, seed: int, *parts: object) -> bool:
    """A deterministic coin: True with probability `skill` for this (seed, parts)."""
    if skill >= 1.0:
        return True
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < skill


def chain_policy(skill: float = 1.0, seed: int = 0, max_calls: int = 64) -> Policy:
    def policy(conv: Conversation) -> Reply:
        prompt = conv.first_user_text()
        if conv.tools:
            tool = conv.tools[0]
            results = conv.tool_results()
            if not results:
                key = _start_key(prompt)
            else:
                key = results[-1].strip()
                if not _KEY.fullmatch(key) or conv.n_tool_calls() >= max_calls:
                    return Reply(text=f"The lookups end at {key}.\nANSWER: {key}")
            if not _ok(skill, seed, prompt, len(results)):
                return Reply(text=f"I could not follow the chain.\nANSWER: {WRONG}")
            call = ToolCall(tool.name, {tool.main_param(): key})
            return Reply(text="", tool_calls=(call,))
        table = dict(_ROW.findall(prompt))
        if table:
            key, steps = _start_key(prompt), 0
            while key in table and steps < 1000:
                if not _ok(skill, seed, prompt, steps):
                    return Reply(text=f"ANSWER: {WRONG}")
                key, steps = table[key], steps + 1
            return Reply(text=f"Following the table from the start key.\nANSWER: {key}")
        echo = " ".join(conv.last_user_text().split())[:200]
        return Reply(text=f"You said: {echo}\nANSWER: 42")

    return policy


default_policy: Policy = chain_policy()
