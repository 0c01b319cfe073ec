"""BFCL v4 multi-turn (base) through inspect_evals' solver and state-based checker, offline.

inspect_evals' `bfcl` task clones its data and backends from GitHub on first use. This task
never calls it: it reads the vendored copy under the suite folder (data/, taken from the
bfcl-eval wheel by tasks/agentic/bfcl_multi_turn/vendor.py) with inspect_evals' own loader,
sample builder and solver, so prompts and tools are unchanged; the solver's tool loop is
BFCL's inference loop (bfcl_inference_solver) and the scorer a port of bfcl-eval's checker
(bfcl_checker.py).

Each sample's h is the number of ground-truth calls over all its turns.

One fix to inspect_evals 0.26 (`_copy_arguments_into_backends`): its solver records each tool
call's arguments and hands the very same objects to the backend, which may keep them (a
tweet keeps its `mentions` list, a later `mention()` extends it). The checker then replays
mutated arguments, so a flawless trajectory fails (ground truth failed multi_turn_base_90 and
_147 that way). Backends now get a deep copy. Known data defect, left as is (identical for
every model): multi_turn_base_173's ground truth passes a string to an integer parameter
(close_ticket(ticket_id='ticket_001')), which inspect's argument validation rejects.
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import inspect_evals.bfcl.solve.multi_turn_solver as _mts
from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageAssistant, GenerateConfig
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_evals.bfcl.backends import setup_backend_classes
from inspect_evals.bfcl.bfcl import bfcl_solver, multi_turn_record_to_sample
from inspect_evals.bfcl.data import load_records_by_category

from harness.errors import ConfigError
from harness.runners.inspect_tasks import register
from harness.runners.inspect_tasks.bfcl_checker import (
    FORCE_QUIT,
    MAXIMUM_STEP_LIMIT,
    bfcl_multi_turn_scorer,
    record_raw_arguments,
    step_decodes,
)
from harness.suites.spec import SuiteLimits, SuiteSpec

if TYPE_CHECKING:
    from harness.runners.base import RunContext

CATEGORY = "multi_turn_base"
DATA_DIRNAME = "data"
_CANARY = f"BFCL_v4_{CATEGORY}.json"


def data_dir(suite: SuiteSpec) -> Path:
    """The vendored BFCL files for `suite` (suite.data, else data/ beside suite.yaml)."""
    path = (suite.directory / (suite.data or DATA_DIRNAME)).resolve()
    if not (path / _CANARY).is_file() or not (path / "func_source_code").is_dir():
        raise ConfigError(
            suite.directory / "suite.yaml",
            "data",
            f"BFCL data not found in {path} (regenerate it with tasks/agentic/bfcl_multi_turn/vendor.py)",
        )
    return path


def _copy_arguments_into_backends() -> None:
    original = _mts._make_recording_tool
    if getattr(original, "_gapbench_copies", False):
        return

    def make(method_name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        @functools.wraps(method)  # keeps the signature, annotations and doc the schema uses
        def copying(**call_args: Any) -> Any:
            return method(**copy.deepcopy(call_args))

        return original(method_name, copying, *args, **kwargs)

    make._gapbench_copies = True  # type: ignore[attr-defined]
    _mts._make_recording_tool = make


_copy_arguments_into_backends()


def _load_backends(source_dir: Path) -> None:
    # The loader tries every backend it knows; the memory and web-search ones are stubs
    # here (multi_turn_base never uses them), so their import failures are expected noise.
    loader_log = logging.getLogger("inspect_evals.bfcl.backends.loader")
    level = loader_log.level
    loader_log.setLevel(logging.ERROR)
    try:
        setup_backend_classes(source_dir)
    finally:
        loader_log.setLevel(level)


def ground_truth_calls(metadata: dict[str, Any]) -> list[list[str]]:
    """The ground-truth call strings of a sample, per user turn."""
    return [list(turn) for turn in metadata.get("raw_ground_truth") or []]


def _order(sample_id: str) -> tuple[int, str]:
    tail = sample_id.rsplit("_", 1)[-1]
    return (int(tail) if tail.isdigit() else -1, sample_id)


def bfcl_dataset(path: Path) -> MemoryDataset:
    """multi_turn_base samples in id order (multi_turn_base_0, _1, ...), each with h."""
    records = load_records_by_category(CATEGORY, cache_dir=path)
    samples: list[Sample] = []
    for key in sorted(records, key=_order):
        sample = multi_turn_record_to_sample(records[key])
        metadata = dict(sample.metadata or {})
        metadata["h"] = sum(len(turn) for turn in ground_truth_calls(metadata))
        samples.append(sample.model_copy(update={"metadata": metadata}))
    return MemoryDataset(samples, name=f"bfcl_{CATEGORY}", location=str(path))


@solver
def bfcl_inference_solver() -> Solver:
    """inspect_evals' multi-turn solver, its tool loop replaced by BFCL's inference loop
    (bfcl_eval/model_handler/base_handler.py, inference_multi_turn_FC), so that a model's
    conversation goes as it would under BFCL: a turn ends at the model's first message that is
    not a decodable step of calls (a text reply, or a call whose arguments do not decode: BFCL
    moves on to the next user turn; inspect's loop would let the model retry), and after
    MAXIMUM_STEP_LIMIT + 1 steps in one turn BFCL stops the whole conversation unless it was
    the last turn (the checker then fails it as force-terminated). Each step is one
    generate(tool_calls="single"): inspect runs the step's calls (the model sees their results,
    which the API requires) and the checker re-runs the calls from the transcript, as BFCL
    does, so the live backends do not score."""
    inner = bfcl_solver()

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        n_turns = len(state.metadata.get("turns") or [])
        turn = -1

        async def bfcl_generate(
            state: TaskState, tool_calls: str = "loop", **kwargs: Any
        ) -> TaskState:
            nonlocal turn
            turn += 1
            if state.metadata.get(FORCE_QUIT) is not None:
                return state  # BFCL ran no further turn
            steps = 0
            while not state.completed:
                state = await generate(state, tool_calls="single", **kwargs)
                last = next(
                    (m for m in reversed(state.messages) if isinstance(m, ChatMessageAssistant)),
                    None,
                )
                if last is None or not step_decodes(last):
                    break
                steps += 1
                if steps > MAXIMUM_STEP_LIMIT:
                    if turn < n_turns - 1:
                        state.metadata[FORCE_QUIT] = turn
                    break
            return state

        return await inner(state, bfcl_generate)

    return solve


def bfcl_multi_turn_task(path: Path, limits: SuiteLimits) -> Task:
    _load_backends(path / "func_source_code")
    record_raw_arguments()  # the checker decodes arguments as BFCL does, from the API's string
    return Task(
        dataset=bfcl_dataset(path),
        solver=bfcl_inference_solver(),
        scorer=bfcl_multi_turn_scorer(),
        config=GenerateConfig(max_tokens=limits.max_tokens, temperature=limits.temperature),
        message_limit=limits.message_limit,
        token_limit=limits.token_limit,
        time_limit=int(limits.time_limit_s) if limits.time_limit_s else None,
        name=f"bfcl_{CATEGORY}",
    )


@register("bfcl_multi_turn")
def multi_turn_task(suite: SuiteSpec, ctx: RunContext | None) -> Task:
    return bfcl_multi_turn_task(data_dir(suite), suite.limits)
