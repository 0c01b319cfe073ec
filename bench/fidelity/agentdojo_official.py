"""AgentDojo's official utility check on scripted trajectories; run by the fidelity environment's
python (`python -I`, nothing of gapbench imported).

Reads {"version", "fallback", "items": [{"key", "suite", "task_id", "turns"}]} as JSON on stdin
and writes {"official": {...}, "results": {key: {"utility": bool | None, "error", "messages"}}}.

Everything but the model is AgentDojo's own: the suite of the benchmark version AgentDojo's CLI
uses by default (v1.2.2), the pipeline `AgentPipeline.from_config` builds for a model without
defence (system message, the user's prompt, the model, then ToolsExecutionLoop of
ToolsExecutor + model, at most 15 rounds), and `benchmark.run_task_without_injection_tasks`,
which calls `TaskSuite.run_task_with_pipeline` (the run repeated up to 3 times while the last
message has no text, the task's utility_from_traces or utility on the post-environment).
The model is a pipeline element answering the trajectory's next turn as an OpenAI chat
completion message, converted by AgentDojo's OpenAILLM code (`_openai_to_assistant_message`:
tool-call arguments through json.loads). An exception out of the run (malformed tool-call
JSON) is reported with utility None: AgentDojo gives such a run no score.
"""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import traceback
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

from agentdojo.agent_pipeline.agent_pipeline import AgentPipeline, PipelineConfig
from agentdojo.agent_pipeline.base_pipeline_element import BasePipelineElement
from agentdojo.agent_pipeline.llms.openai_llm import _openai_to_assistant_message
from agentdojo.benchmark import run_task_without_injection_tasks
from agentdojo.functions_runtime import EmptyEnv, Env, FunctionsRuntime
from agentdojo.logging import OutputLogger
from agentdojo.task_suite.load_suites import get_suite
from agentdojo.types import ChatMessage
from openai.types.chat import ChatCompletionMessage


class ScriptedLLM(BasePipelineElement):
    """The trajectory's next assistant turn (its earlier turns are the assistant messages)."""

    name = "scripted"

    def __init__(self, turns: list[dict[str, Any]], fallback: str) -> None:
        self.turns = turns
        self.fallback = fallback

    def query(
        self,
        query: str,
        runtime: FunctionsRuntime,
        env: Env = EmptyEnv(),  # noqa: B008 - AgentDojo's signature
        messages: Sequence[ChatMessage] = [],
        extra_args: dict = {},  # noqa: B006 - AgentDojo's signature
    ) -> tuple[str, FunctionsRuntime, Env, Sequence[ChatMessage], dict]:
        done = sum(1 for m in messages if m["role"] == "assistant")
        turn = self.turns[done] if done < len(self.turns) else {"text": self.fallback}
        calls = turn.get("tool_calls") or []
        raw = ChatCompletionMessage.model_validate(
            {
                "role": "assistant",
                "content": turn.get("text") or None,
                "tool_calls": [
                    {
                        "id": f"call_{done}_{i}",
                        "type": "function",
                        "function": {
                            "name": c["name"],
                            "arguments": c["arguments"]
                            if isinstance(c["arguments"], str)
                            else json.dumps(c["arguments"]),
                        },
                    }
                    for i, c in enumerate(calls)
                ]
                or None,
            }
        )
        output = _openai_to_assistant_message(raw)
        return query, runtime, env, [*messages, output], extra_args


def _view(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": m["role"]}
    content = m.get("content")
    if isinstance(content, list):
        out["content"] = "".join(b.get("content") or "" for b in content if isinstance(b, dict))
    else:
        out["content"] = content
    if m["role"] == "assistant" and m.get("tool_calls"):
        out["tool_calls"] = [
            {"name": c.function, "arguments": dict(c.args)} for c in m["tool_calls"]
        ]
    if m["role"] == "tool":
        out["error"] = m.get("error")
    return out


def score(item: dict[str, Any], benchmark_version: str, fallback: str) -> dict[str, Any]:
    suite = get_suite(benchmark_version, item["suite"])
    task = suite.get_user_task_by_id(f"user_task_{item['task_id']}")
    llm = ScriptedLLM(item["turns"], fallback)
    pipeline = AgentPipeline.from_config(
        PipelineConfig(
            llm=llm,
            model_id=None,
            defense=None,
            system_message_name=None,
            system_message=None,
        )
    )
    # the messages of the last attempt, for the diagnosis of a disagreement
    seen: list[Any] = []
    original = pipeline.query

    def query(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        seen[:] = list(out[3])
        return out

    pipeline.query = query  # type: ignore[method-assign]
    try:
        # as AgentDojo's CLI runs it (inside an OutputLogger); its chat log goes to stderr
        with (
            tempfile.TemporaryDirectory() as logdir,
            contextlib.redirect_stdout(sys.stderr),
            OutputLogger(logdir),
        ):
            utility, _ = run_task_without_injection_tasks(
                suite,
                pipeline,
                task,
                logdir=None,
                force_rerun=True,
                benchmark_version=benchmark_version,
            )
    except Exception as exc:
        return {
            "utility": None,
            "error": f"{type(exc).__name__}: {exc}"[:500],
            "traceback": traceback.format_exc()[-1500:],
            "messages": [],
        }
    return {"utility": bool(utility), "error": None, "messages": [_view(m) for m in seen]}


def main() -> None:
    payload = json.load(sys.stdin)
    benchmark_version = payload["version"]
    results = {
        item["key"]: score(item, benchmark_version, payload["fallback"])
        for item in payload["items"]
    }
    json.dump(
        {
            "official": {
                "name": "agentdojo",
                "version": f"{version('agentdojo')} (benchmark {benchmark_version})",
                "entry": "agentdojo.benchmark.run_task_without_injection_tasks -> "
                "TaskSuite.run_task_with_pipeline (utility)",
            },
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
