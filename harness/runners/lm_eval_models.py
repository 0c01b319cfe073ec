"""lm-eval API models, instrumented so that every request yields a per-sample record.

lm-eval's own `generate_until` for API models retries each request (tenacity) and then raises
for the whole batch when one request keeps failing, and it discards usage, latency and the
model name the API returned. These subclasses keep lm-eval's payload building, its own async
client (`amodel_call`: aiohttp, one session, a connection limit) and its response parsing,
and replace only the loop around them: each request is sent once (the request path is the
one layer that retries, see harness.serve.proxy.retry), timed, and its outcome (text or
error, usage, model name, finish reason) kept in `calls`, keyed by the doc's key. A request
that fails yields "" to lm-eval and an error entry here; the runner turns it into a sample
with status "error", never a wrong answer.

Two optional hooks let the executor stream samples and stop early: `may_send(key)` is asked
before each request (False: not sent, error NOT_SENT) and `on_call(key, outcome)` is told as
each request ends. lm-eval logs a line per failed request ("Retrying..." although nothing is
retried here); those lines are folded into one per run and deployment.

API keys are read from the environment at call time (the NAME of the variable comes from the
endpoint) and are never stored on the object, in lm-eval's config, or in any log.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
import os
import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lm_eval.models.anthropic_llms import AnthropicChat
from lm_eval.models.openai_completions import LocalChatCompletion, OpenAIChatCompletion

from harness._types import Endpoint
from harness.offline import datasets_cache_from_env, offline_env

log = logging.getLogger(__name__)

NOT_SENT = "not sent: the executor stopped starting this deployment's samples"


@dataclass(frozen=True)
class CallOutcome:
    """What one request produced (or why it failed)."""

    started_at: datetime
    finished_at: datetime
    latency_s: float
    text: str = ""
    error: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    model: str | None = None
    finish_reason: str | None = None

    def record_fields(self) -> dict[str, Any]:
        """The SampleRecord columns this call fills (runners.base.make_record keywords)."""
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "latency_s": self.latency_s,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "model_snapshot": self.model,
        }


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _usage_openai(out: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    usage = out.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return (
        _int(usage.get("prompt_tokens")),
        _int(usage.get("completion_tokens")),
        _int(details.get("cached_tokens")),
    )


def _usage_anthropic(out: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    usage = out.get("usage") or {}
    fresh = _int(usage.get("input_tokens"))
    read = _int(usage.get("cache_read_input_tokens")) or 0
    written = _int(usage.get("cache_creation_input_tokens")) or 0
    total = None if fresh is None else fresh + read + written  # input_tokens excludes cache
    return total, _int(usage.get("output_tokens")), read or None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}"[:500] if first else type(exc).__name__


SCOPE_HEADER = "x-gapbench-cache-scope"  # the request path's name (harness.serve.proxy)


def _doc_scope(inst: Any) -> str | None:
    doc = inst.doc
    if isinstance(doc, dict) and "id" in doc and "epoch" in doc:
        return f"{doc['id']}/{doc['epoch']}"
    return None  # lm-eval registry docs: the cache replays in order (no epoch known here)


@dataclass
class _InFlight:
    """What one request's task knows about itself (a context variable: one per asyncio task)."""

    scope: str | None
    raw: dict[str, Any] | None = None  # the decoded answer, caught in parse_generations
    status: int | None = None  # HTTP status of a failed answer, caught in lm-eval's log line
    error_text: str | None = None


_current: contextvars.ContextVar[_InFlight | None] = contextvars.ContextVar(
    "gapbench_lm_eval_request", default=None
)
_FAILED = re.compile(
    r"^API request failed! Status code: (\d+), Response text: (.*)\. Retrying", re.S
)


class _Fold(logging.Filter):
    """Swallows lm-eval's per-failure log lines (noting the status on the request) and
    counts them, so that a run prints one line per deployment instead of one per request."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[str] = Counter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("API request failed!"):
            call = _current.get()
            match = _FAILED.match(message)
            if call is not None and match:
                call.status, call.error_text = int(match.group(1)), match.group(2)
            return False
        if message.startswith("Exception:") and message.endswith("retrying."):
            call = _current.get()
            self.statuses[f"HTTP {call.status}" if call and call.status else "no answer"] += 1
            return False
        return True


class _NoSemaphore:
    """amodel_call acquires the semaphore it is given; ours is taken before the clock starts."""

    async def acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


def _error_message(call: _InFlight | None, exc: BaseException) -> str:
    """ "HTTP <status> <error type>: <message>" from the API's error body, when there was one."""
    if call is not None and call.status is not None:
        detail, kind = call.error_text or "", ""
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            payload = json.loads(detail)
            err = payload.get("error", payload)
            if isinstance(err, dict):
                detail, kind = str(err.get("message", detail)), str(err.get("type") or "")
        return f"HTTP {call.status}{' ' + kind if kind else ''}: {detail}"[:500]
    return _describe(exc)


def _run(coro: Any) -> Any:
    """Run a coroutine to the end from synchronous code, even under a running event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="lm-eval-requests")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


class _Instrumented:
    """Mixin for lm-eval TemplateAPI chat models: one attempt per request, timed, recorded."""

    # Set by configure(); class-level defaults keep mypy and lm-eval's __init__ order happy.
    _key_env: str | None = None
    label = "model"  # the deployment, in the folded failure line
    may_send: Callable[[str], bool] | None = None
    on_call: Callable[[str, CallOutcome], None] | None = None

    def configure(self, key_env: str | None, label: str = "model") -> None:
        self._key_env = key_env
        self.label = label
        # How a request is matched to its sample: our own docs carry a "key" column;
        # lm-eval registry tasks are matched by task name and doc hash (lm_eval_registry).
        self.key_of: Callable[[Any], str] = lambda inst: str(inst.doc["key"])
        # The request path's cache replays per scope: "<sample id>/<epoch>" for our own docs,
        # so that a resumed run redoing only epoch 2 is not answered with epoch 1's reply.
        self.scope_of: Callable[[Any], str | None] = _doc_scope
        self.calls: dict[str, CallOutcome] = {}
        self._lock = threading.Lock()

    @property
    def eos_string(self) -> str | None:
        # No tokenizer, so no EOS text to add as a stop sequence (and no warning about it):
        # the server stops at the model's own end of turn.
        return None

    def _scope_header(self) -> dict[str, str]:
        call = _current.get()
        return {SCOPE_HEADER: call.scope} if call is not None and call.scope else {}

    def _api_key_now(self) -> str:
        if not self._key_env:
            return ""
        return os.environ.get(self._key_env, "")

    def _extract(self, out: dict[str, Any]) -> CallOutcome:  # pragma: no cover - overridden
        raise NotImplementedError

    def parse_generations(self, outputs: Any, **kwargs: Any) -> list[str]:
        call = _current.get()
        if call is not None and isinstance(outputs, dict):
            call.raw = outputs  # usage, model name and finish reason, for the record
        texts: list[str] = super().parse_generations(outputs=outputs, **kwargs)  # type: ignore[misc]
        return texts

    def _keep(self, key: str, outcome: CallOutcome) -> None:
        with self._lock:
            prev = self.calls.get(key)
            # Several requests for one doc: keep the first, unless a later one failed.
            if prev is None or (outcome.error is not None and prev.error is None):
                self.calls[key] = outcome
        if self.on_call is not None:
            self.on_call(key, outcome)

    async def _one(self, session: Any, sem: asyncio.Semaphore, inst: Any) -> str:
        key = self.key_of(inst)
        context, gen_kwargs = inst.args[0], inst.args[1]
        async with sem:
            # Asked once the request has its slot, right before it is sent: every request
            # is started at once and waits here, so a stop (budget, breaker) holds back all
            # those still waiting.
            if self.may_send is not None and not self.may_send(key):
                now = datetime.now(UTC)
                self._keep(key, CallOutcome(now, now, 0.0, error=NOT_SENT))
                return ""
            call = _InFlight(scope=self.scope_of(inst))
            token = _current.set(call)
            started, t0 = datetime.now(UTC), time.monotonic()
            try:
                await self.amodel_call(  # type: ignore[attr-defined]
                    session, _NoSemaphore(), messages=[context], generate=True,
                    gen_kwargs=gen_kwargs, eos=self.eos_string,
                )  # fmt: skip
                if call.raw is None:
                    raise RuntimeError("no response from the API")
                outcome = self._extract(call.raw)
            except Exception as exc:  # a failed call becomes an error record, never a score
                outcome = CallOutcome(started, started, 0.0, error=_error_message(call, exc))
            finally:
                _current.reset(token)
        outcome = replace(outcome, started_at=started, finished_at=datetime.now(UTC),
                          latency_s=time.monotonic() - t0)  # fmt: skip
        self._keep(key, outcome)
        return outcome.text

    async def _all(self, requests: list[Any]) -> list[str]:
        from aiohttp import ClientSession, ClientTimeout, TCPConnector
        from lm_eval.models.api_models import eval_logger

        limit = max(1, int(self._concurrent))  # type: ignore[attr-defined]
        fold = _Fold()
        eval_logger.addFilter(fold)
        try:
            async with ClientSession(
                connector=TCPConnector(limit=limit, ssl=self.verify_certificate),  # type: ignore[attr-defined]
                timeout=ClientTimeout(total=self.timeout),  # type: ignore[attr-defined]
            ) as session:
                sem = asyncio.Semaphore(limit)
                texts = await asyncio.gather(*(self._one(session, sem, inst) for inst in requests))
        finally:
            eval_logger.removeFilter(fold)
        if fold.statuses:
            n = sum(fold.statuses.values())
            what = ", ".join(f"{k} x{v}" for k, v in fold.statuses.most_common())
            log.warning("%s: %d of %d requests failed after the request path's retries (%s)",
                        self.label, n, len(requests), what)  # fmt: skip
        return list(texts)

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        if not requests:
            return []
        result: list[str] = _run(self._all(requests))
        return result


class ChatCompletions(_Instrumented, LocalChatCompletion):
    """lm-eval's `local-chat-completions` (any OpenAI-compatible /v1/chat/completions)."""

    @property
    def api_key(self) -> str:
        return self._api_key_now()

    @property
    def header(self) -> dict[str, str]:
        key = self._api_key_now()
        return ({"Authorization": f"Bearer {key}"} if key else {}) | self._scope_header()

    def _create_payload(
        self,
        messages: Any,
        generate: bool = False,
        gen_kwargs: dict[str, Any] | None = None,
        seed: int = 1234,
        eos: Any = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._create_payload(
            messages, generate=generate, gen_kwargs=gen_kwargs, seed=seed, eos=eos, **kwargs
        )
        if not payload.get("stop"):
            payload.pop("stop", None)  # some servers reject an empty stop list
        return payload

    def _extract(self, out: dict[str, Any]) -> CallOutcome:
        texts = self.parse_generations(outputs=out)
        choices = out.get("choices") or [{}]
        tin, tout, cached = _usage_openai(out)
        now = datetime.now(UTC)
        return CallOutcome(
            now,
            now,
            0.0,
            text=(texts[0] if texts and texts[0] is not None else ""),
            input_tokens=tin,
            output_tokens=tout,
            cached_tokens=cached,
            model=out.get("model"),
            finish_reason=choices[0].get("finish_reason"),
        )


class OpenAIChat(ChatCompletions, OpenAIChatCompletion):
    """lm-eval's `openai-chat-completions` (api.openai.com: max_completion_tokens, o-series)."""

    def _create_payload(
        self,
        messages: Any,
        generate: bool = False,
        gen_kwargs: dict[str, Any] | None = None,
        seed: int = 1234,
        eos: Any = "<|endoftext|>",
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = OpenAIChatCompletion._create_payload(
            self,
            messages,
            generate=generate,
            gen_kwargs=gen_kwargs or {},
            seed=seed,
            eos=eos,
            **kwargs,
        )
        if not payload.get("stop"):
            payload.pop("stop", None)
        return payload


class AnthropicMessages(_Instrumented, AnthropicChat):
    """lm-eval's `anthropic-chat` (POST {base}/v1/messages with x-api-key).

    Limits of lm-eval's Anthropic model, as used here: one user message (no system prompt),
    no `seed`, temperature as given, and its default stop sequence "\n\nHuman:" when the
    suite sets none (without a tokenizer lm-eval would send [null], which the API rejects).
    """

    def _create_payload(
        self,
        messages: Any,
        generate: bool = True,
        gen_kwargs: dict[str, Any] | None = None,
        eos: Any = "\n\nHuman:",
        **kwargs: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = super()._create_payload(
            messages,
            generate=generate,
            gen_kwargs=gen_kwargs or {},
            eos=eos or "\n\nHuman:",
            **kwargs,
        )
        payload.pop("seed", None)
        stops = [s for s in payload.get("stop_sequences") or [] if isinstance(s, str) and s.strip()]
        payload["stop_sequences"] = stops or ["\n\nHuman:"]
        return payload

    @property
    def api_key(self) -> str:
        return self._api_key_now()

    @property
    def header(self) -> dict[str, str]:
        return {
            "x-api-key": self._api_key_now(),
            "anthropic-version": self.anthropic_version,
        } | self._scope_header()

    def _extract(self, out: dict[str, Any]) -> CallOutcome:
        # lm-eval returns one string per content block; thinking/tool blocks have no "text".
        text = "".join(
            str(block.get("text", ""))
            for block in out.get("content") or []
            if block.get("type", "text") == "text"
        )
        tin, tout, cached = _usage_anthropic(out)
        now = datetime.now(UTC)
        return CallOutcome(
            now,
            now,
            0.0,
            text=text,
            input_tokens=tin,
            output_tokens=tout,
            cached_tokens=cached,
            model=out.get("model"),
            finish_reason=out.get("stop_reason"),
        )


# Module-level switches read once at import by datasets / huggingface_hub: setting the
# environment variables is not enough when they were imported before the run started.
_OFFLINE_FLAGS = (
    ("datasets.config", "HF_HUB_OFFLINE"),
    ("datasets.config", "HF_DATASETS_OFFLINE"),
    ("huggingface_hub.constants", "HF_HUB_OFFLINE"),
)


@contextlib.contextmanager
def engine_env(extra: dict[str, str]) -> Iterator[None]:
    """Offline switches (and ctx.env) for the duration of a run, restored afterwards.

    lm-eval runs strictly offline: our suites read local JSONL, and registry tasks run only
    from data already in the local Hugging Face cache (nothing is downloaded at run time).
    """
    wanted = {**offline_env(), **extra}
    saved = {k: os.environ.get(k) for k in wanted}
    os.environ.update(wanted)
    flags: list[tuple[Any, str, Any]] = []
    for module_name, attr in _OFFLINE_FLAGS:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attr):
            flags.append((module, attr, getattr(module, attr)))
            setattr(module, attr, True)
    # Where datasets looks for its cache is also read at import. A worker forked from a
    # server that imported datasets earlier (the sweep's forkserver) would otherwise read the
    # cache of the environment the server started in, not the one the sweep runs in.
    import datasets.config as datasets_config

    flags.append((datasets_config, "HF_DATASETS_CACHE", datasets_config.HF_DATASETS_CACHE))
    datasets_config.HF_DATASETS_CACHE = datasets_cache_from_env()
    # Quiet: lm-eval's per-task tqdm bar and datasets' progress bars would interleave with
    # the CLI's own progress display (both are read at import, hence patched, then restored).
    import datasets
    import lm_eval.api.task as lm_task
    from tqdm import tqdm

    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    flags.append((lm_task, "tqdm", lm_task.tqdm))
    lm_task.tqdm = functools.partial(tqdm, disable=True)
    try:
        yield
    finally:
        if bars_were_on:
            datasets.enable_progress_bars()
        for module, attr, value in flags:
            setattr(module, attr, value)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def chat_url(endpoint: Endpoint) -> str | None:
    """The full request URL lm-eval needs (it posts to base_url as given)."""
    base = (endpoint.base_url or "").rstrip("/")
    if not base:
        return None
    if endpoint.protocol == "anthropic":
        if base.endswith("/messages"):
            return base
        return base + ("/messages" if base.endswith("/v1") else "/v1/messages")
    if base.endswith("/chat/completions"):
        return base
    return base + ("/chat/completions" if base.endswith("/v1") else "/v1/chat/completions")


def make_model(endpoint: Endpoint, max_gen_toks: int, num_concurrent: int) -> _Instrumented:
    """The instrumented lm-eval model for an endpoint. Nothing is fetched: no tokenizer
    (tokenizer_backend=None), requests go out as chat messages."""
    common: dict[str, Any] = {
        "model": endpoint.model_name,
        "tokenizer_backend": None,
        "num_concurrent": max(1, num_concurrent),
        # One attempt: the request path retries (lm-eval's tenacity loop is not used).
        "max_retries": 1,
        "timeout": max(1, int(endpoint.timeout_s)),
        "max_gen_toks": max_gen_toks,
    }
    url = chat_url(endpoint)
    model: _Instrumented
    if endpoint.protocol == "anthropic":
        model = AnthropicMessages(**({"base_url": url} if url else {}), **common)
    elif url is None:
        model = OpenAIChat(tokenized_requests=False, **common)
    else:
        model = ChatCompletions(base_url=url, tokenized_requests=False, **common)
    model.configure(endpoint.api_key_env, endpoint.facts.deployment_id)
    return model
