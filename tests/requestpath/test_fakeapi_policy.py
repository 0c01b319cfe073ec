"""The fake model's default policy answers the horizon ladder plausibly, in both forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.config import REPO_ROOT
from tests.fakeapi.policy import Conversation, Tool, ToolCall, Turn, chain_policy, default_policy

LADDER = REPO_ROOT / "tasks" / "ladder" / "data"


def _rows(name: str) -> list[dict]:  # type: ignore[type-arg]
    path = Path(LADDER / name)
    if not path.exists():
        pytest.skip(f"{path} not generated yet")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _agentic(row: dict, policy=default_policy) -> tuple[str, int]:  # type: ignore[no-untyped-def,type-arg]
    table = dict(row["table"])
    tool = Tool(
        "lookup", {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]}
    )
    turns = [Turn("user", row["prompt"])]
    for _ in range(100):
        reply = policy(Conversation("openai", "fake-gpt", tuple(turns), (tool,)))
        turns.append(Turn("assistant", reply.text, reply.tool_calls))
        if not reply.tool_calls:
            return reply.text, sum(len(t.tool_calls) for t in turns)
        for call in reply.tool_calls:
            turns.append(Turn("tool", table.get(call.arguments["key"], "not found")))
    raise AssertionError("no answer")


def test_default_policy_solves_every_ladder_item_in_both_forms() -> None:
    for row in _rows("standard.jsonl"):
        reply = default_policy(Conversation("openai", "m", (Turn("user", row["prompt"]),)))
        assert reply.text.splitlines()[-1] == f"ANSWER: {row['target']}", row["id"]
    for row in _rows("agentic.jsonl"):
        text, n_calls = _agentic(row)
        assert text.splitlines()[-1] == f"ANSWER: {row['target']}", row["id"]
        assert n_calls == row["h"]  # one lookup per required step


def test_a_less_skilled_policy_fails_more_often_at_longer_horizons() -> None:
    rows = _rows("agentic.jsonl")
    weak = chain_policy(skill=0.8, seed=1)
    by_h: dict[int, list[bool]] = {}
    for row in rows:
        text, _ = _agentic(row, weak)
        by_h.setdefault(row["h"], []).append(text.endswith(row["target"]))
    rates = {h: sum(v) / len(v) for h, v in sorted(by_h.items())}
    hs = sorted(rates)
    assert rates[hs[0]] > rates[hs[-1]]


def test_other_prompts_get_a_well_formed_answer_and_tools_get_called() -> None:
    conv = Conversation("anthropic", "m", (Turn("user", "What is 6 x 7?"),))
    assert default_policy(conv).text.endswith("ANSWER: 42")
    tool = Tool("search", {"properties": {"query": {}}})
    reply = default_policy(Conversation("openai", "m", (Turn("user", "find `cats`"),), (tool,)))
    assert reply.tool_calls == (ToolCall("search", {"query": "cats"}),)
