"""Records shared across layers. Frozen dataclasses: built once, passed down, never mutated.

Pydantic models are used only for what is loaded from or saved to files (cards, deployments,
suites, sweeps, store rows); these are the in-memory records that flow between layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Access = Literal["open", "closed"]
Kind = Literal["standard", "agentic"]
Status = Literal["scored", "error", "limit"]
# Engines gapbench runs; "external" marks rows imported from results made elsewhere.
RunEngine = Literal["inspect", "lm_eval"]
Engine = Literal["inspect", "lm_eval", "external"]
# Providers a deployment may name; "unknown" marks imported rows only.
DeployProvider = Literal["llama-cpp", "vllm", "openai-compatible", "openai", "anthropic", "hf"]
Provider = Literal["llama-cpp", "vllm", "openai-compatible", "openai", "anthropic", "hf", "unknown"]
Protocol = Literal["openai", "anthropic"]
# "interrupted": an attempt killed mid-run, closed by the next start of a sweep (issue 12).
RunStatus = Literal["running", "complete", "partial", "failed", "interrupted"]
# Which rule decided a finished run's status (harness/sweep/outcome.py; docs/architecture.md).
StatusRule = Literal[
    "all-stored", "engine-failed", "all-errored", "error-rate", "breaker", "stopped", "interrupted"
]
ToolCallFormat = Literal["native", "chatml-function-calling", "none", "unknown"]
Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class DeploymentFacts:
    """Facts about how a model was served that can change results; stored on every row."""

    deployment_id: str
    provider: Provider
    server: str = ""  # e.g. "llama-cpp-python", "vllm", "api.openai.com"
    server_version: str = ""
    quantization: str = ""  # e.g. "Q4_1"; "" when unknown / not applicable
    model_sha256: str = ""  # of local weights; "" for APIs
    chat_template_hash: str = ""
    tool_call_format: ToolCallFormat = "unknown"
    context_length: int | None = None


@dataclass(frozen=True)
class Endpoint:
    """How a runner reaches a model that is up: produced by serve/, consumed by runners/.

    The API key itself is never held here, only the NAME of the environment variable, so
    that no record that might be logged or stored can carry a secret.
    """

    protocol: Protocol
    model_name: str  # the name sent in API requests
    base_url: str | None  # None: the SDK's default (api.openai.com / api.anthropic.com)
    api_key_env: str | None  # environment variable holding the key; None: no key needed
    facts: DeploymentFacts
    max_connections: int = 1
    timeout_s: float = 120.0
    max_retries: int = 5


@dataclass(frozen=True)
class ToolCall:
    """A tool call the model asked for."""

    id: str
    function: str
    arguments: str  # the arguments as JSON text, as the model sent them


@dataclass(frozen=True)
class TranscriptMessage:
    """One message of a sample's conversation. Model-written text: escape it when shown."""

    role: Role
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None  # tool messages: the call this answers
    function: str | None = None  # tool messages: the function that answered
    error: str | None = None  # tool messages: the tool's error, if it failed


@dataclass(frozen=True)
class Transcript:
    """What a sample showed the model and what it answered (store: the transcripts table).

    Agentic suites fill `messages`; standard suites fill prompt / output / target (and may
    fill messages too). `explanation` is the scorer's.
    """

    messages: tuple[TranscriptMessage, ...] = ()
    prompt: str | None = None
    output: str | None = None
    target: str | None = None
    explanation: str | None = None
    answer: str | None = None  # the answer the scorer extracted, when it says
    metadata: str | None = None  # the sample's metadata as JSON text (capped)
    traceback: str | None = None  # an errored sample's traceback (capped)


@dataclass(frozen=True)
class SampleRecord:
    """One (run, sample, epoch) outcome, as a runner reports it. Columns: store/schema.py."""

    run_id: str
    sample_key: str
    sweep_id: str
    model_id: str
    access: Access
    release_date: date | None
    suite: str
    suite_version: str
    kind: Kind
    task: str
    sample_id: str
    epoch: int
    status: Status
    engine: Engine
    engine_version: str
    harness_version: str
    facts: DeploymentFacts
    h: int | None = None
    score: float | None = None  # 0..1; None unless status == "scored"
    success: bool | None = None
    error: str | None = None  # message when status is "error" or "limit"
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int | None = None
    cost_usd: float | None = None
    latency_s: float | None = None
    steps: int | None = None  # assistant turns / tool calls
    started_at: datetime | None = None
    finished_at: datetime | None = None
    model_snapshot: str | None = None  # the model name the API returned
    user_simulator: str | None = None  # model id of the simulated user (tau2), if any
    prompt_variant: str | None = None  # e.g. "adapted-chat" when a suite's prompt was adapted
    source: str = "own"  # "own" | "imported:<name>"
    extra: dict[str, str] = field(default_factory=dict)  # small free-form metadata (JSON in store)
    canary: bool = False  # a canary row (nightly drift check): analyses leave it out of gaps
    # Prompt, messages and answer: stored in the transcripts side table, not the samples rows.
    transcript: Transcript | None = None


@dataclass(frozen=True)
class RunRecord:
    """One invocation (attempt) of a run; the store keeps every attempt, newest wins."""

    run_id: str
    attempt_id: str
    sweep_id: str
    model_id: str
    deployment_id: str
    suite: str
    suite_version: str
    engine: Engine
    engine_version: str
    spec_json: str
    status: RunStatus
    n_planned: int
    n_scored: int
    n_error: int
    n_limit: int
    started_at: datetime
    harness_version: str
    message: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    finished_at: datetime | None = None
    source: str = "own"
    raw_path: str | None = None  # the run's raw engine logs, relative to the results folder
    canary: bool = False  # a nightly canary run (its sample rows are canary rows too)
    status_rule: StatusRule | None = None  # the rule that decided status (None while running)
