"""gapbench's side of the tau2 agreement runs: the trajectory replayed by a scripted agent AND a
scripted user simulator, through the path a real tau2 run takes (a sweep with a pinned user
simulator: plan, the request path's proxy, inspect with gapbench's conversation loop, the
suite's scorer, the store).

Both players are models of the fake OpenAI-compatible server (tests/fakeapi): the agent is
`replay-0`, the user simulator `replay-user`. Each request is answered with the next turn of
that side, counted from the request itself (the side's earlier turns are the assistant
messages in it), exactly as tau2_official.py counts on tau2-bench's side; a side with no turn
left answers the fallback. Which trajectory a request belongs to:
- the user simulator's prompt holds the task's scenario (its system message), which names the
  sample;
- the agent's conversation holds the customer's first message, which carries `[case N]`
  (added to every trajectory's first customer message, on both sides, by `tagged`).
A user simulator cannot tell two trajectories of one sample apart (nor two samples with the
same scenario: 14 pairs in telecom) before its first answer, so each sweep holds at most one
trajectory per scenario; `batches` splits a run into such sweeps.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, cast

import yaml

from bench.fidelity.replay import GapbenchScore, Trajectory
from bench.fidelity.tau2_trajectories import AGENT_FALLBACK, USER_FALLBACK, Turn
from harness import api
from harness.config import load_settings
from harness.store import Store
from harness.sweep.spec import SweepSpec
from tests.fakeapi import Conversation, FakeAPI, Reply, ToolCall

AGENT = "replay-0"
USER = "replay-user"
KEY_ENV = "GAPBENCH_FIDELITY_REPLAY_KEY"
KEY = "sk-fidelity-replay-0000000000000000"
CASE = re.compile(r"\[case (\d+)\]")
SCENARIO = re.compile(r"<scenario>(.*?)</scenario>", re.DOTALL)


def scenario_key(system_prompt: str) -> str:
    """The task's scenario in the user simulator's system prompt (whitespace-normalised)."""
    m = SCENARIO.search(system_prompt)
    return " ".join((m.group(1) if m else system_prompt).split())


def tagged(turns: list[Turn], case: int) -> list[Turn]:
    """The turns with `[case N]` at the end of the customer's first message."""
    out = [dict(t) for t in turns]
    for t in out:
        if t["role"] == "user" and not t.get("tool_calls"):
            t["text"] = f"{t.get('text') or ''} [case {case}]".strip()
            break
    return out


def next_turn(turns: list[Turn], role: str, done: int) -> Turn:
    own = [t for t in turns if t["role"] == role]
    if done < len(own):
        return own[done]
    return {"role": role, "text": AGENT_FALLBACK if role == "assistant" else USER_FALLBACK}


def _reply(turn: Turn) -> Reply:
    calls = tuple(
        # a string (malformed JSON) goes on the wire as it is (tests/fakeapi/wire.py)
        ToolCall(c["name"], cast(dict[str, Any], c["arguments"]))
        for c in turn.get("tool_calls") or []
    )
    return Reply(text=turn.get("text") or "", tool_calls=calls)


def batches(
    trajectories: Sequence[Trajectory], scenario_of: dict[str, str]
) -> list[list[Trajectory]]:
    """Sweeps with at most one trajectory per scenario each (first fit, in order)."""
    out: list[tuple[set[str], list[Trajectory]]] = []
    for t in trajectories:
        scenario = scenario_of[t.sample_id]
        for used, batch in out:
            if scenario not in used:
                used.add(scenario)
                batch.append(t)
                break
        else:
            out.append(({scenario}, [t]))
    return [b for _, b in out]


def _registry(base_url: str) -> dict[str, Any]:
    cards, deps = [], []
    for name in (AGENT, USER):
        cards.append(
            {
                "id": name,
                "name": name,
                "organisation": "gapbench fidelity",
                "access": "closed",
                "release_date": date(2026, 1, 1).isoformat(),
                "licence": "proprietary",
                "source": "http://example.invalid",
            }
        )
        deps.append(
            {
                "id": f"{name}@fake",
                "model": name,
                "provider": "openai",
                "api_model": name,
                "base_url": base_url,
                "api_key_env": KEY_ENV,
                "timeout_s": 120.0,
                "max_retries": 1,
                "pricing": {"input_per_m": 0.0, "output_per_m": 0.0},
            }
        )
    return {"models": cards, "deployments": deps}


def _sweep(
    suite: str,
    batch: list[Trajectory],
    scenario_of: dict[str, str],
    workdir: Path,
    concurrency: int,
) -> dict[str, GapbenchScore]:
    by_sample = {t.sample_id: t for t in batch}
    by_scenario = {scenario_of[t.sample_id]: t for t in batch}
    by_case = {int(t.payload["case"]): t for t in batch}

    def policy(conv: Conversation) -> Reply:
        done = sum(1 for turn in conv.turns if turn.role == "assistant")
        if conv.model == USER:
            system = next((turn.text for turn in conv.turns if turn.role == "system"), "")
            t = by_scenario.get(scenario_key(system))
            role = "user"
        else:
            m = CASE.search(conv.first_user_text())
            t = by_case.get(int(m.group(1))) if m else None
            role = "assistant"
        if t is None:  # a sample no trajectory was given for: end it at once
            return Reply(text="###STOP###" if role == "user" else "OK.")
        return _reply(next_turn(t.payload["turns"], role, done))

    with FakeAPI(models={AGENT: AGENT, USER: USER}, api_key=KEY, policy=policy) as fake:
        registry = workdir / "models.yaml"
        registry.write_text(yaml.safe_dump(_registry(fake.openai_base_url), sort_keys=False))
        ws = api.workspace(
            load_settings(workdir),
            results_dir=workdir / "results",
            reports_dir=workdir / "reports",
            cache_dir=workdir / "cache",
            registry=registry,
        )
        spec = SweepSpec(
            name="fidelity-tau2",
            models=[AGENT],
            suites=[suite],
            samples=sorted(by_sample),
            concurrency=concurrency,
            user_simulator=USER,
        )
        api.run_sweep(spec, ws=ws, use_cache=False)
        df = Store(ws.settings.results_dir).samples()
    out: dict[str, GapbenchScore] = {}
    for row in df.to_dict("records"):
        t = by_sample.get(str(row["sample_id"]))
        if t is None or str(row["model_id"]) != AGENT:
            continue
        out[t.key] = GapbenchScore(
            score=_num(row.get("score")),
            status=str(row.get("status")),
            error=_text(row.get("error")),
            explanation=_text(row.get("explanation")),
        )
    return out


def gapbench_scores(
    suite: str,
    trajectories: Sequence[Trajectory],
    scenario_of: dict[str, str],
    *,
    concurrency: int = 4,
    workdir: Path | None = None,
) -> dict[str, GapbenchScore]:
    """trajectory key -> the score gapbench stored for it (payloads carry `case`)."""
    out: dict[str, GapbenchScore] = {}
    previous = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = KEY
    try:
        for k, batch in enumerate(batches(trajectories, scenario_of)):
            with tempfile.TemporaryDirectory(prefix=f"fidelity-tau2-{k}-") as tmp:
                base = Path(workdir) / f"sweep-{k}" if workdir else Path(tmp)
                base.mkdir(parents=True, exist_ok=True)
                out.update(_sweep(suite, batch, scenario_of, base, concurrency))
    finally:
        if previous is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = previous
    return out


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
