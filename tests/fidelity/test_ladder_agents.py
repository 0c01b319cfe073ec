"""The ladder's known-competence agents (bench/fidelity/ladder_agents.py): their law is the one
the study assumes (success = p^h, independent across agents), their conversations reach that
outcome through the ladder's own tool, and through the real path (fake endpoint, runners,
proxy, store) every stored outcome is the agent's prediction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import binom

from bench.fidelity.ladder_agents import FAILURES, KnownAgent
from bench.fidelity.ladder_path import Entrant, compare, run_through_path
from harness.suites import ladder as ladder_suite
from harness.suites.scorers import StandardDoc
from harness.suites.scorers.ladder import score_answer
from tests.fakeapi.policy import Conversation, Tool, ToolCall, Turn

STANDARD = tuple((h, 0.99**h) for h in ladder_suite.HORIZONS)
ITEMS = ladder_suite.make_items(per_h=ladder_suite.ITEMS_PER_H)


def test_items_are_named_by_unique_start_keys():
    # the agents tell items apart by their start key; two items sharing one would share coins
    assert len({it.start for it in ladder_suite.make_items(per_h=60)}) == 6 * 60


def play(agent: KnownAgent, item: ladder_suite.LadderItem) -> tuple[str, int, set[str]]:
    """The agentic form as the inspect task runs it, without a server: the agent's replies,
    the ladder's own lookup tool. -> (final reply, tool calls, how it went wrong)."""
    tool = Tool("lookup", {"properties": {"key": {"type": "string"}}, "required": ["key"]})
    turns = [
        Turn("system", ladder_suite.SYSTEM_PROMPT),
        Turn("user", ladder_suite.agentic_prompt(item)),
    ]
    calls, seen = 0, set()
    for _ in range(
        ladder_suite.message_budget(item.h) if hasattr(ladder_suite, "message_budget") else 200
    ):
        reply = agent.reply(Conversation("openai", agent.name, tuple(turns), (tool,)))
        if not reply.tool_calls:
            return reply.text, calls, seen
        (call,) = reply.tool_calls
        key = str(call.arguments["key"])
        expected = item.chain[calls] if calls < len(item.chain) else None
        if key != expected:
            seen.add("typo" if ladder_suite.normalise_key(key) not in item.table else "repeat")
        turns += [
            Turn("assistant", "", (ToolCall("lookup", {"key": key}, f"c{calls}"),)),
            Turn("tool", ladder_suite.lookup(item.table, key)),
        ]
    raise AssertionError("the agent never answered")


@pytest.mark.parametrize("p", [0.8, 0.95])
def test_conversations_end_as_predicted(p):
    # every agentic conversation and standard reply, scored by the suite's own scorer, is the
    # agent's prediction; wrong steps take every planned form, and at most h + 1 tool calls
    modes: set[str] = set()
    for r in range(12):
        agent = KnownAgent(p, STANDARD, seed=3, replicate=r)
        for item in ITEMS[:36]:
            final, calls, seen = play(agent, item)
            modes |= seen
            if calls < item.h and not seen:
                modes.add("early" if "enough" in final else "key-as-answer")
            doc = StandardDoc(id=item.id, prompt="", target=item.target)
            assert score_answer(final, doc).success == agent.predict(item.start, item.h, "agentic")
            assert calls <= item.h + 1
            conv = Conversation(
                "openai", agent.name, (Turn("user", ladder_suite.standard_prompt(item)),)
            )
            text = agent.reply(conv).text
            assert score_answer(text, doc).success == agent.predict(item.start, item.h, "standard")
    assert modes == set(FAILURES)


def test_success_follows_p_to_the_h_and_agents_are_independent():
    # 400 replicates x 10 items per rung: the success count per rung is Binomial(4000, p^h);
    # an agent counting the final answer as one more step (p^(h+1)) is rejected at p = 0.9
    p, n_items = 0.9, 10
    agents = [KnownAgent(p, STANDARD, seed=1, replicate=r) for r in range(400)]
    for h in (1, 4, 8):
        starts = [ladder_suite.make_item(h, i).start for i in range(n_items)]
        k = sum(a.predict(s, h, "agentic") for a in agents for s in starts)
        n = len(agents) * n_items
        for q, should_fit in ((p**h, True), (p ** (h + 1), False)):
            inside = bool(binom.ppf(0.0005, n, q) <= k <= binom.ppf(0.9995, n, q))
            assert inside is should_fit, (h, q, k / n)
    # two agents' outcomes on the same items are uncorrelated (shared coins would make a
    # p = 0.95 agent succeed wherever a p = 0.90 one does, and fake the paired test's power)
    strong = [KnownAgent(0.95, STANDARD, seed=1, replicate=r) for r in range(300)]
    weak = [KnownAgent(0.90, STANDARD, seed=1, replicate=r) for r in range(300)]
    item = ladder_suite.make_item(8, 0)
    a = np.array([s.predict(item.start, 8, "agentic") for s in strong], dtype=float)
    b = np.array([w.predict(item.start, 8, "agentic") for w in weak], dtype=float)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.2
    assert KnownAgent(0.9, STANDARD).true_h50() == pytest.approx(np.log(0.5) / np.log(0.9))


@pytest.mark.slow
def test_real_path_outcomes_are_the_predictions(tmp_path: Path):
    # one agent, both forms, two items per rung: the inspect and lm-eval runners, the request
    # path and the store give exactly the outcome the agent's coins say, sample by sample
    agent = KnownAgent(0.9, STANDARD, seed=5, replicate=0, label="slice")
    stored = run_through_path(
        [Entrant(agent, "open", ("agentic", "standard"))], 2, tmp_path, port=0
    )
    got = compare(stored, {agent.name: agent}, expected=24)
    assert (got.compared, got.equal, got.not_scored) == (24, 24, 0), got.examples
    assert 0 < stored["success"].sum() < 24  # both outcomes occur: the check has teeth
