"""The inspect-ai runner: agentic suites (tool use, simulated users) against an Endpoint.

One `eval()` per call of `run`, on exactly the samples in ctx.todo. Each finished sample is
turned into a SampleRecord and handed to the sink from inspect's on_sample_end hook, so a
crash or Ctrl-C loses at most the samples in flight; samples the hook did not deliver (none,
normally) are delivered from the returned log. A setup solver asks ctx.gate_open() before each
sample: when the budget is spent or the deployment's circuit breaker is open, the sample ends
at once without a model call and is not reported (a later command runs it). Raw .eval logs stay in ctx.raw_dir for
`inspect view`.

Epochs: inspect runs epochs 1..n for every selected sample. ctx.todo may ask for other
epoch numbers (a resumed run whose epoch 1 is already stored asks only for epoch 2), so
samples are grouped by how many epochs they still need, each group is a task with epochs=n
(all groups run in the same eval() call), and inspect's j-th epoch of a sample is reported as the j-th epoch that sample asked for.
Repeats are exchangeable, so this relabelling changes nothing but the number.

Cache scope: every model call of a sample carries the header x-gapbench-cache-scope
`<sample id>/<epoch>` (the relabelled epoch), so that the request path's cache replays per
(sample, epoch): a resumed run that redoes only epoch 2 gets a fresh answer, not epoch 1's.
Two hooks set it: on_sample_start notes the sample's scope in a context variable (the
sample's model calls run in tasks started after it, so they inherit it), and
on_before_model_generate, whose changes to the config reach the API call, adds the header.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from importlib.metadata import PackageNotFoundError, version

from inspect_ai import Task, task_with
from inspect_ai import eval as inspect_eval
from inspect_ai.hooks import BeforeModelGenerate, Hooks, SampleStart, TaskEnd, TaskStart, hooks
from inspect_ai.log import EvalLog, EvalSample
from inspect_ai.model import GenerateConfig, Model, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness._types import Endpoint, RunEngine
from harness.config import load_settings
from harness.errors import GapbenchError, RunnerError
from harness.offline import ensure_tiktoken_offline, offline_env
from harness.runners.base import RunContext, SampleSink
from harness.runners.inspect_hooks import route_samples
from harness.runners.inspect_records import to_record
from harness.runners.inspect_tasks import build_task
from harness.suites.spec import SuiteLimits, SuiteSpec

log = logging.getLogger(__name__)

# Service names for inspect's OpenAI-compatible provider (`openai-api/<service>/<model>`).
# Agent and simulated user get different ones so their usage stays apart in inspect's logs.
AGENT_SERVICE = "gapbench"
USER_SERVICE = "gapbench-user"
# llama.cpp and other local servers ignore the key, but the OpenAI SDK insists on one.
_DUMMY_KEY = "gapbench-no-key"


def _inspect_version() -> str:
    try:
        return version("inspect-ai")
    except PackageNotFoundError:  # pragma: no cover - inspect_ai imported above, so present
        return "unknown"


def _api_key(endpoint: Endpoint) -> str:
    """The key VALUE, read from the environment only now (never stored on a record)."""
    if endpoint.api_key_env is None:
        return _DUMMY_KEY
    value = os.environ.get(endpoint.api_key_env)
    if not value:
        raise RunnerError(
            f"environment variable {endpoint.api_key_env} is not set (API key for {endpoint.model_name})"
        )
    return value


def generate_config(
    endpoint: Endpoint, limits: SuiteLimits, max_connections: int
) -> GenerateConfig:
    return GenerateConfig(
        max_tokens=limits.max_tokens,
        temperature=limits.temperature,
        max_connections=max(1, min(max_connections, endpoint.max_connections)),
        max_retries=endpoint.max_retries,
        # per attempt, so that a hung request is retried rather than waited on forever
        attempt_timeout=math.ceil(endpoint.timeout_s),
    )


def make_model(
    endpoint: Endpoint, limits: SuiteLimits, max_connections: int, service: str = AGENT_SERVICE
) -> Model:
    """An inspect Model for `endpoint`; base URL and key are arguments, not os.environ."""
    config = generate_config(endpoint, limits, max_connections)
    key = _api_key(endpoint)
    if endpoint.protocol == "anthropic":
        return get_model(
            f"anthropic/{endpoint.model_name}",
            config=config,
            base_url=endpoint.base_url,
            api_key=key,
            memoize=False,
            max_retries=0,  # the SDK never retries: the request path does (one layer)
        )
    if endpoint.base_url is None:  # api.openai.com itself
        return get_model(
            f"openai/{endpoint.model_name}",
            config=config,
            api_key=key,
            memoize=False,
            max_retries=0,
        )
    return get_model(
        f"openai-api/{service}/{endpoint.model_name}",
        config=config,
        base_url=endpoint.base_url,
        api_key=key,
        memoize=False,
        max_retries=0,  # the SDK never retries: the request path does (one layer)
        # local servers (llama.cpp) reject OpenAI's "strict" tool schemas
        strict_tools=False,
    )


SCOPE_HEADER = "x-gapbench-cache-scope"  # the request path's name (harness.serve.proxy)
_SCOPES_KEY = "gapbench_scopes"  # eval metadata: token of the epoch map in _scope_maps

_scope_lock = threading.Lock()
_scope_maps: dict[str, dict[str, list[int]]] = {}  # token -> sample id -> requested epochs
_eval_scopes: dict[str, dict[str, list[int]]] = {}  # inspect eval_id -> the same map
_sample_scope: ContextVar[str | None] = ContextVar("gapbench_cache_scope", default=None)


@hooks(name="gapbench_cache_scope", description="Tags model calls with their sample and epoch.")
class CacheScope(Hooks):
    async def on_task_start(self, data: TaskStart) -> None:
        token = (data.spec.metadata or {}).get(_SCOPES_KEY)
        with _scope_lock:
            if isinstance(token, str) and token in _scope_maps:
                _eval_scopes[data.eval_id] = _scope_maps[token]

    async def on_sample_start(self, data: SampleStart) -> None:
        with _scope_lock:
            wanted = _eval_scopes.get(data.eval_id, {}).get(str(data.summary.id))
        if wanted and 1 <= data.summary.epoch <= len(wanted):
            _sample_scope.set(f"{data.summary.id}/{wanted[data.summary.epoch - 1]}")
        else:
            _sample_scope.set(None)

    async def on_before_model_generate(self, data: BeforeModelGenerate) -> None:
        scope = _sample_scope.get()
        if scope is not None:
            data.config.extra_headers = {**(data.config.extra_headers or {}), SCOPE_HEADER: scope}

    async def on_task_end(self, data: TaskEnd) -> None:
        with _scope_lock:
            _eval_scopes.pop(data.eval_id, None)


@contextmanager
def _cache_scopes(epochs: dict[str, list[int]]) -> Iterator[dict[str, str]]:
    """Within the block, evals run with the yielded metadata tag calls with their scope."""
    token = uuid.uuid4().hex
    with _scope_lock:
        _scope_maps[token] = epochs
    try:
        yield {_SCOPES_KEY: token}
    finally:
        with _scope_lock:
            _scope_maps.pop(token, None)


def epoch_groups(todo: tuple[tuple[str, int], ...]) -> list[tuple[list[str], dict[str, list[int]]]]:
    """[(sample ids, sample id -> requested epochs)] grouped by number of epochs needed."""
    wanted: dict[str, list[int]] = {}
    for sample_id, epoch in todo:
        epochs = wanted.setdefault(sample_id, [])
        if epoch not in epochs:
            epochs.append(epoch)
    by_n: dict[int, list[str]] = {}
    for sample_id, epochs in wanted.items():
        epochs.sort()
        by_n.setdefault(len(epochs), []).append(sample_id)
    return [(ids, {i: wanted[i] for i in ids}) for _, ids in sorted(by_n.items())]


@contextmanager
def _env(extra: Mapping[str, str]) -> Iterator[None]:
    """Set env vars for the engine (offline switches, ctx.env) and restore them afterwards."""
    saved = {k: os.environ.get(k) for k in extra}
    os.environ.update(extra)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class InspectRunner:
    engine: RunEngine = "inspect"

    def engine_version(self) -> str:
        return _inspect_version()

    def sample_ids(self, suite: SuiteSpec) -> list[str]:
        task = build_task(suite, None)
        return [str(s.id) for s in task.dataset]

    def run(self, ctx: RunContext, sink: SampleSink) -> None:
        if not ctx.todo:
            return
        ensure_tiktoken_offline(load_settings().cache_dir)
        groups = epoch_groups(ctx.todo)
        tasks = [self._group_task(ctx, ids, len(next(iter(ep.values())))) for ids, ep in groups]
        epochs = {sid: wanted for _, ep in groups for sid, wanted in ep.items()}
        model = make_model(ctx.endpoint, ctx.suite.limits, ctx.max_connections)
        roles: dict[str, str | Model] | None = None
        if ctx.user is not None:
            roles = {
                "user": make_model(
                    ctx.user.endpoint, ctx.suite.limits, ctx.max_connections, USER_SERVICE
                )
            }
        ctx.raw_dir.mkdir(parents=True, exist_ok=True)
        with _env({**offline_env(), **ctx.env}):
            self._eval(ctx, tasks, model, roles, epochs, sink)

    def _group_task(self, ctx: RunContext, ids: list[str], n_epochs: int) -> Task:
        """The suite's task over `ids` only, `n_epochs` each, gated before every sample."""
        try:
            task = build_task(ctx.suite, ctx)
        except GapbenchError:
            raise
        except Exception as exc:  # a task module failing to import or build
            raise RunnerError(
                f"inspect task '{ctx.suite.task}': {type(exc).__name__}: {exc}"
            ) from exc
        wanted = set(ids)
        unknown = sorted(wanted - {str(s.id) for s in task.dataset})
        if unknown:
            raise RunnerError(f"suite {ctx.suite.name} has no samples {', '.join(unknown[:5])}")
        setup: list[Solver] = [_gate(ctx)]
        if isinstance(task.setup, Sequence):
            setup += list(task.setup)
        elif task.setup is not None:
            setup.append(task.setup)
        return task_with(
            task,
            dataset=task.dataset.filter(lambda s: str(s.id) in wanted),
            epochs=n_epochs,
            setup=setup,
        )

    def _eval(
        self,
        ctx: RunContext,
        tasks: list[Task],
        model: Model,
        roles: dict[str, str | Model] | None,
        epochs: dict[str, list[int]],
        sink: SampleSink,
    ) -> None:
        """One eval() over every task (one per epoch group; normally one): no barrier between
        groups, and each sample reaches the sink from the on_sample_end hook as it ends."""
        engine_version = self.engine_version()
        delivered: set[tuple[str, int]] = set()
        failures: list[BaseException] = []
        lock = threading.Lock()

        def deliver(sample: EvalSample) -> None:
            sid = str(sample.id)
            wanted = epochs.get(sid)
            if wanted is None or not 1 <= sample.epoch <= len(wanted):
                return
            if sample.error is not None and NOT_STARTED in sample.error.message:
                return  # the gate refused it: not run, not reported; a later command runs it
            epoch = wanted[sample.epoch - 1]
            with lock:
                if (sid, epoch) in delivered:
                    return
                delivered.add((sid, epoch))
            try:
                sink(to_record(ctx, engine_version, sample, epoch))
            except BaseException as exc:  # inspect would swallow it inside a hook
                failures.append(exc)

        limits = ctx.suite.limits
        logs: list[EvalLog] = []
        with route_samples(deliver) as route, _cache_scopes(epochs) as scopes:
            try:
                logs = inspect_eval(
                    tasks,
                    model=model,
                    model_roles=roles,
                    log_dir=str(ctx.raw_dir),
                    log_format="eval",
                    display="none",
                    log_level="warning",
                    fail_on_error=False,
                    retry_on_error=0,
                    message_limit=limits.message_limit,
                    token_limit=limits.token_limit,
                    time_limit=math.ceil(limits.time_limit_s) if limits.time_limit_s else None,
                    max_samples=max(1, ctx.max_connections),
                    max_tasks=len(tasks),
                    metadata={
                        **route,
                        **scopes,
                        "gapbench_run_id": ctx.run_id,
                        # sample id -> the epoch numbers inspect's 1..n stand for (importers)
                        "gapbench_epochs": epochs,
                    },
                    score_display=False,
                )
            except Exception as exc:
                raise RunnerError(
                    f"inspect eval failed for {ctx.suite.name}: {type(exc).__name__}: {_first_line(exc)}"
                ) from exc
        if failures:
            raise failures[0]
        for eval_log in logs:
            for sample in eval_log.samples or []:
                deliver(sample)
            if failures:
                raise failures[0]
            if eval_log.status == "error":
                msg = eval_log.error.message if eval_log.error else "unknown error"
                raise RunnerError(f"inspect eval failed for {ctx.suite.name}: {_first_line(msg)}")


NOT_STARTED = "gapbench: sample not started"


class _NotStarted(Exception):
    """Raised by the gate in place of running a sample (budget reached, breaker open)."""


def _gate(ctx: RunContext) -> Solver:
    @solver(name="gapbench_gate")
    def gate() -> Solver:
        async def solve(state: TaskState, generate: Generate) -> TaskState:
            if not ctx.gate_open():
                raise _NotStarted(NOT_STARTED)
            return state

        return solve

    return gate()


def _first_line(exc: BaseException | str) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
