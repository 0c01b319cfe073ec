"""Deliver each finished inspect sample to gapbench as soon as it ends.

inspect-ai hooks are process-wide singletons, so one hook is registered at import and
routes `on_sample_end` to whichever `eval()` call asked for it: the caller passes a route
token in the eval's metadata, `on_task_start` maps the task's eval_id to that token, and
each finished sample goes to the token's callback. Evals without a token are ignored, so
other inspect use in the same process is unaffected.

inspect swallows exceptions raised in hooks (it logs a warning), so callbacks must catch
their own; `InspectRunner` stores them and re-raises after eval() returns.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from inspect_ai.hooks import Hooks, SampleEnd, TaskEnd, TaskStart, hooks
from inspect_ai.log import EvalSample

ROUTE_KEY = "gapbench_route"

SampleCallback = Callable[[EvalSample], None]


def _quiet_hook_banner() -> None:
    """inspect announces registered hooks on stdout once per process, at its first model or
    eval; running that one-time start-up before our hook exists keeps gapbench's CLI output
    free of it. Private API, so only best effort: a missing function just means a banner."""
    try:
        from inspect_ai.hooks._startup import init_hooks
    except ImportError:  # pragma: no cover - inspect moved it
        return
    init_hooks()


_quiet_hook_banner()

_lock = threading.Lock()
_routes: dict[str, SampleCallback] = {}
_evals: dict[str, str] = {}  # inspect eval_id -> route token


@hooks(name="gapbench_sample_router", description="Streams finished samples to gapbench's store.")
class SampleRouter(Hooks):
    async def on_task_start(self, data: TaskStart) -> None:
        token = (data.spec.metadata or {}).get(ROUTE_KEY)
        with _lock:
            if isinstance(token, str) and token in _routes:
                _evals[data.eval_id] = token

    async def on_sample_end(self, data: SampleEnd) -> None:
        with _lock:
            token = _evals.get(data.eval_id)
            callback = _routes.get(token) if token else None
        if callback is not None:
            callback(data.sample)

    async def on_task_end(self, data: TaskEnd) -> None:
        with _lock:
            _evals.pop(data.eval_id, None)


@contextmanager
def route_samples(callback: SampleCallback) -> Iterator[dict[str, str]]:
    """Within the block, samples of an eval run with the yielded metadata go to `callback`."""
    token = uuid.uuid4().hex
    with _lock:
        _routes[token] = callback
    try:
        yield {ROUTE_KEY: token}
    finally:
        with _lock:
            _routes.pop(token, None)
            for eval_id in [e for e, t in _evals.items() if t == token]:
                del _evals[eval_id]
