"""Engines: inspect-ai (agentic suites, tool use) and lm-eval (standard suites).

inspect_ai is imported ONLY in harness/runners/inspect*.py and lm_eval ONLY in
harness/runners/lm_eval*.py; everything else talks to `get_runner(engine)`.
"""

from harness.runners.base import RunContext, Runner, SampleSink, get_runner, make_record

__all__ = ["RunContext", "Runner", "SampleSink", "get_runner", "make_record"]
