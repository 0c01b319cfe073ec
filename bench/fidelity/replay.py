"""gapbench's side of an agreement run: scripted models replaying trajectories through the path
a real run takes (plan, the request path's proxy, the suite's runner, its scorer, the store).

A trajectory is what one model did on one sample. The fake OpenAI-compatible server
(tests/fakeapi) plays the model: its policy answers each chat request from the trajectory being
replayed. Several trajectories of the same sample (gold, null, perturbed) run as different
models: trajectory k of a sample is replayed by model `replay-k`, so one sweep over models
replay-0..K-1 and the union of sample ids scores them all, each run one real engine
invocation, side by side. A model with no trajectory for a sample answers a fixed refusal and
its row is ignored (the generators give every sample the same number of trajectories, so
there are few).

    scores = replay_suite("bfcl_simple", trajectories, reply_for)

`reply_for(trajectory, conversation) -> Reply` turns the conversation so far into the next
message of the trajectory (one message for a standard suite; one per step for an agentic one).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from harness import api
from harness.config import load_settings
from harness.store import Store
from harness.sweep.spec import SweepSpec
from tests.fakeapi import Conversation, FakeAPI, Reply

KEY_ENV = "GAPBENCH_FIDELITY_REPLAY_KEY"
KEY = "sk-fidelity-replay-0000000000000000"
NOT_REPLAYED = "(no trajectory for this sample)"


@dataclass(frozen=True)
class Trajectory:
    """One model's behaviour on one sample. `payload` is the suite family's own description
    (a reply text, a list of turns of tool calls, ...), JSON-serialisable."""

    key: str  # unique within a run, e.g. "simple_python_3#2"
    sample_id: str
    perturbation: str
    payload: Any
    detail: str = ""  # what exactly was perturbed (for the disagreement list)


@dataclass(frozen=True)
class GapbenchScore:
    score: float | None  # None when the sample errored (errors are data, never scores)
    status: str
    error: str | None = None
    explanation: str | None = None


ReplyFor = Callable[[Trajectory, Conversation], Reply]


def slots(trajectories: Sequence[Trajectory]) -> dict[str, int]:
    """trajectory key -> k, the replay model that plays it (its rank among its sample's)."""
    seen: dict[str, int] = {}
    out: dict[str, int] = {}
    for t in trajectories:
        out[t.key] = seen.get(t.sample_id, 0)
        seen[t.sample_id] = out[t.key] + 1
    return out


def _registry(n_models: int, base_url: str) -> dict[str, Any]:
    cards, deps = [], []
    for k in range(n_models):
        name = f"replay-{k}"
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


def replay_suite(
    suite: str | Sequence[str],
    trajectories: Sequence[Trajectory],
    reply_for: ReplyFor,
    sample_of: Callable[[Conversation], str | None],
    *,
    concurrency: int = 4,
    workdir: Path | None = None,
) -> dict[str, GapbenchScore]:
    """Score every trajectory with gapbench's own path; trajectory key -> its stored score.

    sample_of(conversation) names the sample a request belongs to (from its prompt), so that
    the policy can find the trajectory model `replay-k` replays for it. Several suites whose
    sample ids differ (bfcl_simple, bfcl_multiple, ...) can share one sweep."""
    suites = [suite] if isinstance(suite, str) else list(suite)
    if len({t.key for t in trajectories}) != len(trajectories):
        raise ValueError("trajectory keys must be unique")
    slot = slots(trajectories)
    n_models = max(slot.values(), default=-1) + 1
    table = {(f"replay-{slot[t.key]}", t.sample_id): t for t in trajectories}

    def policy(conv: Conversation) -> Reply:
        sample_id = sample_of(conv)
        t = table.get((conv.model, sample_id or ""))
        if t is None:
            return Reply(text=NOT_REPLAYED)
        return reply_for(t, conv)

    with tempfile.TemporaryDirectory(prefix="fidelity-replay-") as tmp:
        base = Path(workdir) if workdir else Path(tmp)
        previous = os.environ.get(KEY_ENV)
        os.environ[KEY_ENV] = KEY
        models = {f"replay-{k}": f"replay-{k}" for k in range(n_models)}
        try:
            with FakeAPI(models=models, api_key=KEY, policy=policy) as fake:
                registry = base / "models.yaml"
                registry.write_text(
                    yaml.safe_dump(_registry(n_models, fake.openai_base_url), sort_keys=False)
                )
                ws = api.workspace(
                    load_settings(base),
                    results_dir=base / "results",
                    reports_dir=base / "reports",
                    cache_dir=base / "cache",
                    registry=registry,
                )
                spec = SweepSpec(
                    name="fidelity",
                    models=sorted(models),
                    suites=suites,
                    samples=sorted({t.sample_id for t in trajectories}),
                    concurrency=concurrency,
                )
                outcome = api.run_sweep(spec, ws=ws, use_cache=False)
                df = Store(ws.settings.results_dir).samples()
        finally:
            if previous is None:
                os.environ.pop(KEY_ENV, None)
            else:
                os.environ[KEY_ENV] = previous
    out: dict[str, GapbenchScore] = {}
    for row in df.to_dict("records"):
        t = table.get((str(row["model_id"]), str(row["sample_id"])))
        if t is None:
            continue
        score = row.get("score")
        value = (
            None
            if score is None or (isinstance(score, float) and math.isnan(score))
            else float(score)
        )
        out[t.key] = GapbenchScore(
            score=value,
            status=str(row.get("status")),
            error=_text(row.get("error")),
            explanation=_text(row.get("explanation")),
        )
    if len(out) < len(trajectories):
        # A sample with no row at all is gapbench failing to run it, not a disagreement to
        # count: say why the sweep stopped (the runs' statuses and messages).
        runs = "; ".join(f"{r.run.run_id}: {r.status} {r.message or ''}" for r in outcome.runs)
        raise RuntimeError(
            f"the replay sweep stored {len(out)} of {len(trajectories)} trajectories ({runs})"
        )
    return out


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
