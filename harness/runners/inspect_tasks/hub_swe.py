"""Suites that measure Epoch AI hub benchmarks (agentic side): SWE-bench Verified, through
inspect_evals' `swe_bench` task, sandboxed the way inspect_evals runs it (one docker
container per instance, from the SWE-bench images; the hidden tests judge the end state).

- hub_swe_bench_verified: inspect_evals' default agent (bash, python and text-editor tools
  with inspect's tool support) on the 500 instances of princeton-nlp/SWE-bench_Verified.
- hub_swe_bench_bash_only: the same instances, sandboxes and scorer with inspect_evals' own
  bash-only agent (`swe_bench.solvers.basic_solver`): one fixed bash-only scaffold for every
  model, as the hub's SWE-bench bash-only column (mini-SWE-agent) has.

They need the `swebench` package (the suite's `requires`) and a running docker engine;
without one the suite is skipped with one line before any data is read. h (required steps)
is not known for SWE-bench instances and stays empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_ai import Task

from harness.runners.inspect_tasks import register
from harness.runners.inspect_tasks.hub import upstream, with_limits
from harness.runners.inspect_tasks.hub_data import ensure_docker, ensure_hf_dataset, network_off
from harness.suites.spec import SuiteSpec

if TYPE_CHECKING:
    from harness.runners.base import RunContext


def _swe_bench(suite: SuiteSpec) -> Task:
    ensure_docker(suite.name)
    swe = upstream("swe_bench.swe_bench")

    ensure_hf_dataset(
        suite.name,
        swe.SWE_BENCH_VERIFIED_DATASET,
        swe.SWE_BENCH_VERIFIED_REVISION,
        split="test",
    )
    with network_off():
        return swe.swe_bench()


def _agentic_limits(task: Task, suite: SuiteSpec, **changes: object) -> Task:
    limits = suite.limits
    return with_limits(
        task,
        suite,
        message_limit=limits.message_limit,
        token_limit=limits.token_limit,
        time_limit=int(limits.time_limit_s) if limits.time_limit_s else None,
        **changes,
    )


@register("hub_swe_bench_verified")
def swe_bench_verified_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return _agentic_limits(_swe_bench(suite), suite)


@register("hub_swe_bench_bash_only")
def swe_bench_bash_only_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    task = _swe_bench(suite)
    basic_solver = upstream("swe_bench.solvers").basic_solver
    return _agentic_limits(task, suite, solver=basic_solver())
