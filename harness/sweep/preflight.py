"""Checks before any spend: keys present, endpoints reachable, models known.

Policy (issues 2 and 4):
- a deployment whose key variable is unset or empty is SKIPPED, with one line saying which
  variable (the key's value is never read into a message);
- an endpoint that cannot be reached, a key the API rejects, or a model name the API does not
  know is a PreflightError (one line, exit 2) -- these are mistakes to fix, not absences;
- if nothing runnable remains, PreflightError too.
With strict=False (`gapbench run --dry-run`) nothing raises: a problem becomes a skip item
whose reason says the real run would stop on it, so the plan is always printed in full.
Managed local servers are checked when they start (serve/), not here.

The checks go through the official SDKs (model list / model retrieve, no retries, short
timeout), so headers, versions and default hosts are exactly those the engines will use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import httpx

from harness.errors import PreflightError
from harness.models import Deployment, ModelCard
from harness.serve.llama_server import FIXES_PATH
from harness.serve.proxy.hosts import protocol_of, upstream_base_url

Outcome = Literal["ok", "skip"]


@dataclass(frozen=True)
class PreflightItem:
    card: ModelCard
    deployment: Deployment
    outcome: Outcome
    reason: str = ""  # why it is skipped, or a note on what could not be checked

    def line(self) -> str:
        verb = "skipped" if self.outcome == "skip" else "ok"
        note = f": {self.reason}" if self.reason else ""
        return f"{verb} {self.card.id} ({self.deployment.id}){note}"


@dataclass(frozen=True)
class PreflightReport:
    items: tuple[PreflightItem, ...]

    @property
    def runnable(self) -> tuple[tuple[ModelCard, Deployment], ...]:
        return tuple((i.card, i.deployment) for i in self.items if i.outcome == "ok")

    @property
    def skipped(self) -> tuple[PreflightItem, ...]:
        return tuple(i for i in self.items if i.outcome == "skip")

    def lines(self) -> list[str]:
        """One line per skipped item, for the plan's output."""
        return [i.line() for i in self.skipped]


class _Problem(Exception):
    """A check failed: the message is one line, without secrets."""


def preflight(
    items: Iterable[tuple[ModelCard, Deployment]],
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 5.0,
    strict: bool = True,
    require_runnable: bool = True,
) -> PreflightReport:
    """Check each (card, deployment) before any spend. strict=False never raises (dry runs).
    require_runnable False: every item skipped is not an error (the plan has finished runs
    that need no check)."""
    env = os.environ if env is None else env
    results: list[PreflightItem] = []
    problems: list[str] = []
    checked: dict[str, str | None] = {}  # deployment id -> note (each endpoint checked once)
    for card, dep in items:
        key_env = dep.key_env
        key = env.get(key_env, "").strip() if key_env else None
        if key_env and not key:
            results.append(PreflightItem(card, dep, "skip", f"{key_env} is not set"))
            continue
        if dep.managed:
            results.append(PreflightItem(card, dep, "ok", "managed server, checked when started"))
            continue
        if dep.id not in checked:
            try:
                checked[dep.id] = _check_endpoint(dep, key, timeout_s)
            except _Problem as exc:
                problems.append(f"{card.id} ({dep.id}): {exc}")
                checked[dep.id] = None
                if not strict:
                    results.append(
                        PreflightItem(card, dep, "skip", f"{exc} (a run would stop here)")
                    )
                continue
        elif checked[dep.id] is None:
            continue
        results.append(PreflightItem(card, dep, "ok", checked[dep.id] or ""))
    if not strict:
        return PreflightReport(tuple(results))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PreflightError(f"preflight: {problems[0]}{more}")
    report = PreflightReport(tuple(results))
    if require_runnable and not report.runnable:
        why = "; ".join(report.lines()) or "no models given"
        raise PreflightError(f"preflight: nothing runnable: {why}")
    return report


def _check_endpoint(dep: Deployment, key: str | None, timeout_s: float) -> str:
    """Reachability and model name; returns a note ("" when fully checked)."""
    protocol = protocol_of(dep.provider)
    base = upstream_base_url(protocol, dep.base_url)
    if protocol == "anthropic":
        return _check_anthropic(base, dep.api_model, key, timeout_s)
    return _check_openai(base, dep.api_model, key, timeout_s)


def _check_openai(base: str, model: str | None, key: str | None, timeout_s: float) -> str:
    """GET {base}/models (and /models/{model} for aliases a list leaves out), the calls the
    openai SDK makes for `models.list()` / `models.retrieve()`, sent with httpx directly: the
    SDK's import alone cost 0.7 s before a standard run's first request (issue 14, P1),
    where lm-eval never imports it."""
    headers = {"Authorization": f"Bearer {key or 'unused'}"}
    try:
        with httpx.Client(timeout=timeout_s, headers=headers) as client:
            listing = client.get(f"{base}/models")
            if listing.status_code == 404:
                return "model list not offered by this endpoint; model name not checked"
            _raise_for_status(listing, base, "a model listing")
            names = _model_ids(listing)
            if names is None:
                return "model list unreadable at this endpoint; model name not checked"
            if model is None or model in names:
                return ""
            # some APIs accept aliases that their list does not show
            lookup = client.get(f"{base}/models/{model}")
            if lookup.status_code == 404:
                shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
                raise _Problem(f"unknown model '{model}' at {base} (it lists: {shown})")
            _raise_for_status(lookup, base, "a model lookup")
            return ""
    except httpx.TimeoutException as exc:  # it took the connection, then said nothing
        raise _Problem(_slow(base, timeout_s, exc)) from None
    except httpx.TransportError as exc:  # refused, reset, DNS
        raise _Problem(f"endpoint {base} unreachable ({type(exc).__name__})") from None


def _slow(base: str, timeout_s: float, exc: Exception) -> str:
    # "unreachable" was the word for a gateway that answered but slowly: say what happened
    return (
        f"endpoint {base} did not answer a model lookup within {timeout_s:g} s "
        f"({type(exc).__name__})"
    )


def _raise_for_status(response: httpx.Response, base: str, what: str) -> None:
    code = response.status_code
    if code in (401, 403):
        raise _Problem(f"{base} rejected the key (HTTP {code})")
    if code >= 400:
        raise _Problem(f"{base} answered HTTP {code} to {what}")


def _model_ids(response: httpx.Response) -> set[str] | None:
    """The ids of an OpenAI-style model list ({"data": [{"id": ...}, ...]}), None if not one."""
    try:
        data = response.json().get("data")
    except (ValueError, AttributeError):
        return None
    if not isinstance(data, list):
        return None
    return {str(m["id"]) for m in data if isinstance(m, dict) and "id" in m}


def _check_anthropic(base: str, model: str | None, key: str | None, timeout_s: float) -> str:
    import anthropic  # here, not at the top: importing an SDK takes 1-2 s (issue 14)

    client = anthropic.Anthropic(base_url=base, api_key=key, timeout=timeout_s, max_retries=0)
    try:
        if model is None:
            client.models.list(limit=1)
        else:
            client.models.retrieve(model)  # resolves aliases too
        return ""
    except anthropic.NotFoundError:
        raise _Problem(f"unknown model '{model}' at {base}") from None
    except anthropic.APITimeoutError as exc:
        raise _Problem(_slow(base, timeout_s, exc)) from None
    except anthropic.APIConnectionError as exc:
        raise _Problem(f"endpoint {base} unreachable ({type(exc).__name__})") from None
    except (anthropic.AuthenticationError, anthropic.PermissionDeniedError) as exc:
        raise _Problem(f"{base} rejected the key (HTTP {exc.status_code})") from None
    except anthropic.APIStatusError as exc:
        raise _Problem(f"{base} answered HTTP {exc.status_code} to a model lookup") from None
    finally:
        client.close()


def stock_llama_cpp_warning(
    card: ModelCard,
    dep: Deployment,
    *,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 3.0,
) -> str | None:
    """A warning line when `dep` is a stock llama-cpp-python server reached by URL.

    llama-cpp-python's chatml-function-calling format ignores max_tokens once the model starts
    a tool call, so an agentic turn can generate until n_ctx and hold the single-slot server
    long after the client gave up. gapbench's own wrapper fixes that and says so at
    GET /gapbench/fixes. A server is taken for llama-cpp-python when the deployment says
    provider llama-cpp or its model list says owned_by "me" (llama-cpp-python's answer).
    Unreachable servers give None here (preflight reports them).
    """
    if not dep.base_url or dep.managed:
        return None
    env = os.environ if env is None else env
    base = dep.base_url.rstrip("/")
    root = base.removesuffix("/v1")
    key = env.get(dep.key_env, "").strip() if dep.key_env else ""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        with httpx.Client(timeout=timeout_s, headers=headers) as client:
            if dep.provider != "llama-cpp":
                listing = client.get(f"{base}/models").json()
                data = listing.get("data") if isinstance(listing, dict) else None
                owners = {m.get("owned_by") for m in data or [] if isinstance(m, dict)}
                if "me" not in owners:
                    return None
            fixed = client.get(root + FIXES_PATH)
            if fixed.status_code == 200 and fixed.json().get("max_tokens_budget") is True:
                return None
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return (
        f"warning: {card.id} at {dep.base_url} is a stock llama-cpp-python server: its "
        "chatml-function-calling format ignores max_tokens inside tool calls, so agentic "
        "suites can stall; serve the model with gapbench's fixed server instead: "
        "`gapbench serve MODEL_OR_GGUF --port PORT` (README: Serving a local model)"
    )
