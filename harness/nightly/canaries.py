"""Canary runs: a fixed subset of each suite rerun to catch a model changing behind its name.

A suite declares its canaries in suite.yaml (`canary: [sample ids]`). For every (model,
deployment, suite) of the sweep whose suite declares canaries:
- a closed model's canary runs every night (the API may have changed overnight);
- an open model's canary runs when its deployment changes: the registry's deployment, the
  suite, the engine version (all in the run key) or the version of the server software
  gapbench starts (llama-cpp-python, vLLM). An open model's weights do not change by
  themselves; what serves them does.

Each canary is its own run: run_id = hash(base run key, night or deployment fingerprint),
epoch 1, so every night keeps its own rows (sample keys) and no night overwrites another.
The executor marks its rows `canary=True` and bypasses the call cache for it (a cached
answer would hide the very change the canary is there to see).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from harness.errors import ConfigError, GapbenchError
from harness.models import Deployment
from harness.runners import get_runner
from harness.store import Store
from harness.store.keys import stable_hash
from harness.suites import SuiteSpec
from harness.sweep.plan import Plan, PlannedRun, Skipped, refresh


@dataclass(frozen=True)
class CanaryRuns:
    runs: tuple[PlannedRun, ...]  # with todo filled from the store
    why: dict[str, str]  # run_id -> why it is planned tonight
    skipped: tuple[Skipped, ...]


def server_software_version(dep: Deployment) -> str:
    """Version of the server gapbench would start for a managed deployment ('' otherwise)."""
    if not dep.managed:
        return ""
    if dep.provider == "llama-cpp":
        from harness.serve.llama import llama_cpp_version

        return f"llama-cpp-python {llama_cpp_version()}"
    if dep.provider == "vllm":
        from harness.serve.vllm import vllm_version

        return f"vllm {vllm_version()}"
    return dep.provider


def canary_key(base: PlannedRun, night: date) -> tuple[str, str]:
    """(what distinguishes this canary run, why it runs) for a base run."""
    if base.card.access == "closed":
        return f"night:{night.isoformat()}", f"closed model, night {night.isoformat()}"
    software = server_software_version(base.deployment)
    fingerprint = stable_hash({"run": base.run_id, "server": software}, length=12)
    return f"deployment:{fingerprint}", "open model, deployment new or changed" + (
        f" ({software})" if software else ""
    )


def canary_run_id(base_run_id: str, key: str) -> str:
    return stable_hash({"run": base_run_id, "canary": key})


def check_canaries(suite: SuiteSpec, all_ids: list[str]) -> tuple[str, ...]:
    """The suite's canary ids, each checked against the suite's samples (exit 2 if unknown)."""
    known = set(all_ids)
    for i, sid in enumerate(suite.canary):
        if sid not in known:
            raise ConfigError(
                suite.directory / "suite.yaml",
                f"canary[{i}]",
                f"unknown sample id '{sid}' in suite {suite.name}",
            )
    return tuple(dict.fromkeys(suite.canary))  # in declared order, once each


def plan_canaries(plan: Plan, night: date, store: Store) -> CanaryRuns:
    """Tonight's canary runs for the sweep's runs, with what each still has to do."""
    runs: list[PlannedRun] = []
    why: dict[str, str] = {}
    skipped: list[Skipped] = []
    ids_by_suite: dict[str, tuple[str, ...] | str] = {}
    for base in plan.runs:
        what = f"{base.card.id} x {base.suite.name} (canary)"
        suite = base.suite
        if not suite.canary:
            skipped.append(Skipped(what, f"suite {suite.name} declares no canary samples"))
            continue
        if suite.name not in ids_by_suite:
            try:
                all_ids = get_runner(suite.engine).sample_ids(suite)
                ids_by_suite[suite.name] = check_canaries(suite, all_ids)
            except ConfigError:
                raise
            except GapbenchError as exc:
                ids_by_suite[suite.name] = str(exc)
        ids = ids_by_suite[suite.name]
        if isinstance(ids, str):
            skipped.append(Skipped(what, ids))
            continue
        key, reason = canary_key(base, night)
        run = replace(
            base,
            run_id=canary_run_id(base.run_id, key),
            sample_ids=ids,
            epochs=1,
            todo=(),
            canary=True,
        )
        runs.append(run)
        why[run.run_id] = reason
    filled = refresh(replace(plan, runs=tuple(runs), retry_errors=True), store).runs if runs else ()
    planned = []
    for run in filled:
        if run.todo:
            planned.append(run)
            continue
        done = (
            "tonight's canary already ran"
            if run.card.access == "closed"
            else "deployment unchanged since its last canary"
        )
        skipped.append(Skipped(f"{run.card.id} x {run.suite.name} (canary)", done))
    return CanaryRuns(tuple(planned), {r.run_id: why[r.run_id] for r in planned}, tuple(skipped))
