"""lm-eval API models, instrumented so that every request yields a per-sample record.

lm-eval's own `generate_until` for API models retries each request and then raises for the
whole batch when one request keeps failing, and it discards usage, latency and the model name
the API returned. These subclasses keep lm-eval's payload building and response parsing
(`_create_payload`, `model_call`, `parse_generations`) and replace only the request loop:
each request is retried on its own (same tenacity policy as lm-eval), timed, and its outcome
(text or error, usage, model name, finish reason) is kept in `calls`, keyed by the doc's key.
A request that fails after its retries yields "" to lm-eval and an error entry here; the
runner turns it into a sample with status "error", never a wrong answer.

API keys are read from the environment at call time (the NAME of the variable comes from the
endpoint) and are never stored on the object, in lm-eval's config, or in any log.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lm_eval.models.anthropic_llms import AnthropicChat
from lm_eval.models.openai_completions import LocalChatCompletion, OpenAIChatCompletion
from tenacity import retry, stop_after_attempt, wait_exponential

from harness._types import Endpoint
from harness.offline import offline_env


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


class _Instrumented:
    """Mixin for lm-eval TemplateAPI chat models: per-request retries, timing and errors."""

    # Set by configure(); class-level defaults keep mypy and lm-eval's __init__ order happy.
    _key_env: str | None = None
    _on_call: Any = None

    def configure(self, key_env: str | None) -> None:
        self._key_env = key_env
        # How a request is matched to its sample: our own docs carry a "key" column;
        # lm-eval registry tasks are matched by task name and doc hash (lm_eval_registry).
        self.key_of: Callable[[Any], str] = lambda inst: str(inst.doc["key"])
        # The request path's cache replays per scope: "<sample id>/<epoch>" for our own docs,
        # so that a resumed run redoing only epoch 2 is not answered with epoch 1's reply.
        self.scope_of: Callable[[Any], str | None] = _doc_scope
        self._scope = threading.local()  # the scope of the request this thread is sending
        self.calls: dict[str, CallOutcome] = {}
        self._lock = threading.Lock()

    @property
    def eos_string(self) -> str | None:
        # No tokenizer, so no EOS text to add as a stop sequence (and no warning about it):
        # the server stops at the model's own end of turn.
        return None

    def _scope_header(self) -> dict[str, str]:
        scope = getattr(self._scope, "value", None)
        return {SCOPE_HEADER: scope} if scope else {}

    def _api_key_now(self) -> str:
        if not self._key_env:
            return ""
        return os.environ.get(self._key_env, "")

    def _extract(self, out: dict[str, Any]) -> CallOutcome:  # pragma: no cover - overridden
        raise NotImplementedError

    def _one(self, context: Any, gen_kwargs: dict[str, Any]) -> CallOutcome:
        started = datetime.now(UTC)
        t0 = time.monotonic()
        attempts = max(1, int(self.max_retries))  # type: ignore[attr-defined]
        call = retry(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=0.5, min=1, max=10),
            reraise=True,
        )(self.model_call)  # type: ignore[attr-defined]
        try:
            out = call(messages=[context], generate=True, gen_kwargs=copy.deepcopy(gen_kwargs))
            if not isinstance(out, dict):
                raise RuntimeError("no response from the API after retries")
            outcome = self._extract(out)
        except Exception as exc:  # a failed call becomes an error record, never a score
            outcome = CallOutcome(started, started, 0.0, error=_describe(exc))
        return replace(
            outcome,
            started_at=started,
            finished_at=datetime.now(UTC),
            latency_s=time.monotonic() - t0,
        )

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        def run(inst: Any) -> str:
            context, gen_kwargs = inst.args[0], inst.args[1]
            self._scope.value = self.scope_of(inst)  # read by `header`, in this thread
            try:
                outcome = self._one(context, gen_kwargs)
            finally:
                self._scope.value = None
            with self._lock:
                key = self.key_of(inst)
                prev = self.calls.get(key)
                # Several requests for one doc: keep the first, unless a later one failed.
                if prev is None or (outcome.error is not None and prev.error is None):
                    self.calls[key] = outcome
            return outcome.text

        workers = max(1, int(self._concurrent))  # type: ignore[attr-defined]
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lm-eval-call") as pool:
            return list(pool.map(run, requests))


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
        "max_retries": endpoint.max_retries + 1,  # lm-eval counts attempts
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
    model.configure(endpoint.api_key_env)
    return model
