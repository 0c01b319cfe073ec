"""The results schema, declared once as data. Version it; migrate in order.

Every column has a type, whether it is required, and what it means. docs/schema.md is
generated from these declarations (`python -m harness.store.docs`). Changing a column means:
bump SCHEMA_VERSION and add a migration in store/migrations.py.

Version history: 1 (samples, runs with one row per attempt update); 2 (samples gain canary,
attempt, written_at; runs keep one current row per run and the updates go to run_history;
new tables membership and transcripts; directories are no longer hive-style key=value); 3 (runs
and run_history gain canary and status_rule; samples, membership and transcripts unchanged, so
their v2 files are read as they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pyarrow as pa

SCHEMA_VERSION = 3


# Keys in each Parquet file's schema metadata. A file without them is not a gapbench file.
META_VERSION = b"gapbench_schema_version"
META_TABLE = b"gapbench_table"

TableName = Literal["samples", "runs", "run_history", "membership", "transcripts"]


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    required: bool
    meaning: str


_TS = pa.timestamp("us", tz="UTC")

DEPLOYMENT_COLUMNS: tuple[Column, ...] = (
    Column(
        "deployment_id", pa.string(), True, "registry deployment id (how the model was reached)"
    ),
    Column(
        "provider",
        pa.string(),
        True,
        "llama-cpp | vllm | openai-compatible | openai | anthropic | hf | unknown (imports)",
    ),
    Column("server", pa.string(), False, "server software or API host"),
    Column("server_version", pa.string(), False, "version of the server software"),
    Column("quantization", pa.string(), False, "weight quantization, e.g. Q4_1"),
    Column("model_sha256", pa.string(), False, "sha256 of local weights"),
    Column("chat_template_hash", pa.string(), False, "sha256 of the chat template, when known"),
    Column(
        "tool_call_format", pa.string(), False, "native | chatml-function-calling | none | unknown"
    ),
    Column("context_length", pa.int64(), False, "context window the server ran with"),
)

SAMPLE_COLUMNS: tuple[Column, ...] = (
    Column(
        "run_id",
        pa.string(),
        True,
        "stable hash of model card, deployment, suite+version, engine version",
    ),
    Column("sample_key", pa.string(), True, "stable key of (run, sample, epoch): the resume key"),
    Column("sweep_id", pa.string(), True, "sweep name that produced the row ('' for imports)"),
    Column("model_id", pa.string(), True, "model card id"),
    Column("access", pa.string(), True, "open | closed"),
    Column("release_date", pa.date32(), False, "model release date"),
    Column("suite", pa.string(), True, "suite name"),
    Column(
        "suite_version",
        pa.string(),
        True,
        "suite version (bumped when prompt, data or scoring changes)",
    ),
    Column("kind", pa.string(), True, "standard | agentic"),
    Column("task", pa.string(), True, "engine task name"),
    Column("sample_id", pa.string(), True, "stable sample id within the suite"),
    Column("epoch", pa.int64(), True, "epoch number, from 1"),
    Column("h", pa.int64(), False, "number of required steps (agentic), when known"),
    Column(
        "score",
        pa.float64(),
        False,
        "0..1 for scored and limit rows (a limit is a failed task, scored as the scorer saw it); null for errors (imported time horizons: minutes, with extra.unit = minutes)",
    ),
    Column("success", pa.bool_(), False, "score counted as a success; null when score is null"),
    Column(
        "status", pa.string(), True, "scored | error | limit (errors are never scored as wrong)"
    ),
    Column("error", pa.string(), False, "error or limit message"),
    Column("input_tokens", pa.int64(), False, "prompt tokens over all model calls"),
    Column("output_tokens", pa.int64(), False, "generated tokens over all model calls"),
    Column("cached_tokens", pa.int64(), False, "input tokens served from a provider cache"),
    Column(
        "cost_usd", pa.float64(), False, "cost from deployment pricing; null when price unknown"
    ),
    Column("latency_s", pa.float64(), False, "wall-clock seconds for the sample"),
    Column("steps", pa.int64(), False, "assistant turns or tool calls"),
    Column("started_at", _TS, False, "when the sample started (UTC)"),
    Column("finished_at", _TS, False, "when the sample finished (UTC)"),
    Column(
        "engine",
        pa.string(),
        True,
        "inspect | lm_eval | external (published results run elsewhere)",
    ),
    Column(
        "engine_version",
        pa.string(),
        True,
        "version of the evaluation engine (imports: the source's version)",
    ),
    Column("harness_version", pa.string(), True, "gapbench version"),
    *DEPLOYMENT_COLUMNS,
    Column("model_snapshot", pa.string(), False, "model name the API returned"),
    Column("user_simulator", pa.string(), False, "model id of the simulated user, if any"),
    Column(
        "prompt_variant", pa.string(), False, "set when a prompt was adapted (e.g. adapted-chat)"
    ),
    Column("source", pa.string(), True, "own | imported:<name>"),
    Column(
        "canary",
        pa.bool_(),
        True,
        "a canary row (nightly drift check on a closed model); analyses leave canaries out of gap figures",
    ),
    Column(
        "extra",
        pa.string(),
        False,
        "JSON object of small free-form metadata (imports: display name, organisation, stderr, unit, ...)",
    ),
    Column(
        "attempt",
        pa.int64(),
        True,
        "1 for a sample_key's first row, +1 for each later one (a retried error, an import with --replace); set by the store",
    ),
    Column(
        "written_at",
        _TS,
        True,
        "when the store wrote the row (UTC); the newest (attempt, written_at) of a sample_key wins in reads",
    ),
    Column("schema_version", pa.int64(), True, "schema version the row was written with"),
)

RUN_COLUMNS: tuple[Column, ...] = (
    Column("run_id", pa.string(), True, "stable run key (see samples.run_id)"),
    Column("attempt_id", pa.string(), True, "unique id of this invocation of the run"),
    Column("sweep_id", pa.string(), True, "sweep name"),
    Column("model_id", pa.string(), True, "model card id"),
    Column("deployment_id", pa.string(), True, "deployment id"),
    Column("suite", pa.string(), True, "suite name"),
    Column("suite_version", pa.string(), True, "suite version"),
    Column("engine", pa.string(), True, "inspect | lm_eval"),
    Column("engine_version", pa.string(), True, "engine version"),
    Column("spec_json", pa.string(), True, "resolved run spec as JSON (no secrets)"),
    Column(
        "status",
        pa.string(),
        True,
        "running | complete | partial | failed | interrupted (reads show a running attempt "
        "whose process is gone as interrupted)",
    ),
    Column(
        "status_rule",
        pa.string(),
        False,
        "the rule that decided the status (docs/architecture.md, Exit codes): all-stored | "
        "engine-failed | all-errored | error-rate | breaker | stopped | interrupted; "
        "null while running and for rows written before schema v3",
    ),
    Column("message", pa.string(), False, "why a run is partial or failed"),
    Column("n_planned", pa.int64(), True, "sample-epochs planned"),
    Column("n_scored", pa.int64(), True, "rows with status scored"),
    Column("n_error", pa.int64(), True, "rows with status error"),
    Column("n_limit", pa.int64(), True, "rows with status limit"),
    Column("input_tokens", pa.int64(), False, "total input tokens"),
    Column("output_tokens", pa.int64(), False, "total output tokens"),
    Column("cost_usd", pa.float64(), False, "total cost"),
    Column("started_at", _TS, True, "attempt start (UTC)"),
    Column("finished_at", _TS, False, "attempt end (UTC)"),
    Column("harness_version", pa.string(), True, "gapbench version"),
    Column("source", pa.string(), True, "own | imported:<name>"),
    Column(
        "canary",
        pa.bool_(),
        True,
        "a nightly canary run (its samples have canary true); results, exports and scores "
        "leave canary runs out unless asked (--include-canaries)",
    ),
    Column(
        "raw_path",
        pa.string(),
        False,
        "the run's raw engine logs (inspect .eval, lm-eval output), relative to the results folder",
    ),
    Column("written_at", _TS, True, "when the store wrote this update (UTC)"),
    Column("schema_version", pa.int64(), True, "schema version"),
)

MEMBERSHIP_COLUMNS: tuple[Column, ...] = (
    Column("sweep_id", pa.string(), True, "sweep name"),
    Column("sample_key", pa.string(), True, "a sample_key the sweep planned (stored or not)"),
    Column("added_at", _TS, True, "when the sweep recorded it (UTC)"),
    Column("schema_version", pa.int64(), True, "schema version"),
)

TOOL_CALL_TYPE = pa.struct(
    [("id", pa.string()), ("function", pa.string()), ("arguments", pa.string())]
)
MESSAGE_TYPE = pa.struct(
    [
        ("role", pa.string()),
        ("content", pa.string()),
        ("tool_calls", pa.list_(TOOL_CALL_TYPE)),
        ("tool_call_id", pa.string()),
        ("function", pa.string()),
        ("error", pa.string()),
    ]
)

TRANSCRIPT_COLUMNS: tuple[Column, ...] = (
    Column("sample_key", pa.string(), True, "the sample row's key"),
    Column("attempt", pa.int64(), True, "the sample row's attempt"),
    Column("run_id", pa.string(), True, "the sample row's run"),
    Column("suite", pa.string(), True, "the sample row's suite"),
    Column(
        "messages",
        pa.list_(MESSAGE_TYPE),
        False,
        "the conversation: role (system | user | assistant | tool), content, tool_calls "
        "(id, function, arguments as JSON text), tool_call_id, function, error",
    ),
    Column("prompt", pa.string(), False, "the prompt (standard suites)"),
    Column("output", pa.string(), False, "the model's answer (standard suites)"),
    Column("target", pa.string(), False, "the reference answer, when the suite has one"),
    Column("explanation", pa.string(), False, "the scorer's explanation"),
    Column("answer", pa.string(), False, "the answer the scorer extracted, when it says"),
    Column("metadata", pa.string(), False, "the sample's metadata as JSON text (capped)"),
    Column("traceback", pa.string(), False, "an errored sample's traceback (capped)"),
    Column("written_at", _TS, True, "when the store wrote the row (UTC)"),
    Column("schema_version", pa.int64(), True, "schema version"),
)


TABLES: dict[TableName, tuple[Column, ...]] = {
    "samples": SAMPLE_COLUMNS,
    "runs": RUN_COLUMNS,
    "run_history": RUN_COLUMNS,
    "membership": MEMBERSHIP_COLUMNS,
    "transcripts": TRANSCRIPT_COLUMNS,
}

# What each table is, for the generated docs.
TABLE_MEANING: dict[TableName, str] = {
    "samples": "one row per (run, sample, epoch) and attempt; reads keep the newest attempt "
    "per sample_key; imported rows have source imported:<name>",
    "runs": "one current row per run_id: the newest-started attempt's latest update",
    "run_history": "every update of every attempt of a run (running, then its end)",
    "membership": "which sweeps planned which sample_keys; a row belongs to sweep S when its "
    "key is a member of S or its own sweep_id is S",
    "transcripts": "prompt, messages, answer and scorer explanation per (sample_key, attempt), "
    "kept apart from samples so that analysis reads stay small",
}


def arrow_schema(columns: tuple[Column, ...], table: TableName | None = None) -> pa.Schema:
    metadata = {META_VERSION: str(SCHEMA_VERSION).encode()}
    if table is not None:
        metadata[META_TABLE] = table.encode()
    return pa.schema(
        [pa.field(c.name, c.type, nullable=not c.required) for c in columns], metadata=metadata
    )


SAMPLES_SCHEMA = arrow_schema(SAMPLE_COLUMNS, "samples")
RUNS_SCHEMA = arrow_schema(RUN_COLUMNS, "runs")
SCHEMAS: dict[TableName, pa.Schema] = {
    name: arrow_schema(cols, name) for name, cols in TABLES.items()
}
SCHEMAS["samples"] = SAMPLES_SCHEMA
SCHEMAS["runs"] = RUNS_SCHEMA
