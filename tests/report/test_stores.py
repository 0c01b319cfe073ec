"""`build_report` on real stores: published data only, your own runs only, and both.

The own runs are written through the store's API with transcripts (as runners write them),
the published data is the Epoch AI dump shipped in data/published.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from harness import api
from harness._types import (
    DeploymentFacts,
    RunRecord,
    SampleRecord,
    ToolCall,
    Transcript,
    TranscriptMessage,
)
from harness.analysis.spec import AnalysisSpec
from harness.config import BUNDLED_EPOCH_DUMP, load_settings
from harness.store import Store
from tests.report._html import Page, read
from tests.report.paths import clicks_to_transcript, first_screen_states_the_answer

pytestmark = pytest.mark.slow

FAST = AnalysisSpec(replicates=200, curve_replicates=50)
FACTS = DeploymentFacts(
    deployment_id="smollm2-135m-instruct@llama-cpp",
    provider="llama-cpp",
    server="llama-cpp-python",
    server_version="0.3.36",
    quantization="Q4_1",
    model_sha256="b" * 64,
    chat_template_hash="c" * 64,
    tool_call_format="chatml-function-calling",
    context_length=8192,
)


# One figure cache for the module: the published history draws the same figures in every
# report here, as it does for a user who re-renders (the cache is keyed by each table).
CACHE: list[Path] = []


def _workspace(root: Path) -> api.Workspace:
    settings = replace(
        load_settings(root),
        results_dir=root / "results",
        reports_dir=root / "reports",
        cache_dir=CACHE[0] if CACHE else root / "cache",
    )
    return api.workspace(settings)


@pytest.fixture(scope="module", autouse=True)
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    CACHE[:] = [tmp_path_factory.mktemp("cache")]


def _own_runs(store: Store, raw: Path) -> None:
    started = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    for suite, kind, engine in (
        ("ladder_standard", "standard", "lm_eval"),
        ("ladder_agentic", "agentic", "inspect"),
    ):
        run_id = f"own-{suite}"
        records = []
        for i, h in enumerate((1, 1, 2, 2, 4, 4)):
            agentic = kind == "agentic"
            transcript = Transcript(
                messages=(
                    TranscriptMessage("user", f"Item {i}: add the numbers, h={h}."),
                    TranscriptMessage(
                        "assistant",
                        "Calling the tool.",
                        tool_calls=(ToolCall(f"c{i}", "add", '{"a": 1, "b": 2}'),),
                    ),
                    TranscriptMessage("tool", "3", tool_call_id=f"c{i}", function="add"),
                    TranscriptMessage("assistant", "The answer is 3."),
                )
                if agentic
                else (),
                prompt=None if agentic else f"Item {i}: add the numbers.",
                output=None if agentic else "3",
                target="3",
                explanation="matched the target" if i % 2 else "wrong total",
            )
            records.append(
                SampleRecord(
                    run_id=run_id,
                    sample_key=f"{run_id}-{i}",
                    sweep_id="demo",
                    model_id="smollm2-135m-instruct",
                    access="open",
                    release_date=date(2024, 10, 31),
                    suite=suite,
                    suite_version="1",
                    kind=kind,  # type: ignore[arg-type]
                    task=suite,
                    sample_id=f"ladder-h{h:02d}-{i:03d}",
                    epoch=1,
                    status="limit" if agentic and i == 5 else "scored",
                    engine=engine,  # type: ignore[arg-type]
                    engine_version="0.3.285" if agentic else "0.4.13",
                    harness_version="0.1.0",
                    facts=FACTS,
                    h=h,
                    score=float(i % 2),
                    success=bool(i % 2),
                    error="message limit (12) reached" if agentic and i == 5 else None,
                    input_tokens=200,
                    output_tokens=20,
                    cost_usd=0.0,
                    latency_s=1.5,
                    steps=2,
                    started_at=started,
                    finished_at=started,
                    transcript=transcript,
                )
            )
        store.append_samples(records)
        store.append_run(
            RunRecord(
                run_id=run_id,
                attempt_id=f"{run_id}-a1",
                sweep_id="demo",
                model_id="smollm2-135m-instruct",
                deployment_id=FACTS.deployment_id,
                suite=suite,
                suite_version="1",
                engine=engine,  # type: ignore[arg-type]
                engine_version="x",
                spec_json="{}",
                status="complete",
                n_planned=6,
                n_scored=6,
                n_error=0,
                n_limit=0,
                started_at=started,
                harness_version="0.1.0",
                finished_at=started,
            )
        )
        logs = raw / "demo" / suite / "smollm2-135m-instruct"
        logs.mkdir(parents=True, exist_ok=True)
        (logs / f"{suite}.log").write_text("engine log\n")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("imported")
    api.import_results("epoch", BUNDLED_EPOCH_DUMP, ws=_workspace(root))
    return root


def _report(root: Path) -> Path:
    return api.build_report("latest", ws=_workspace(root), spec=FAST).parent


def test_published_data_only(imported: Path) -> None:
    site = _report(imported)
    index = read(site / "index.html")
    assert "Verdict:" in index.text and "Verdict: not computed" not in index.text
    assert "no run of your own in this store" in index.text
    assert "You have not run any model yourself" in index.text
    assert not (site / "runs").exists()
    # METR horizons: minutes on their own log axis, never among the 0-1 scores
    assert "figures/horizon-minutes.svg" in [i["src"] for i in index.images]
    scores = (site / "data" / "scores.csv").read_text()
    assert "metr_time_horizons" not in scores
    method = read(site / "method.html")
    assert "Epoch AI" in method.text and "CC-BY 4.0" in method.text
    assert "https://creativecommons.org/licenses/by/4.0/" in method.links
    assert "CC-BY 4.0" in index.text  # the footer carries the attribution on every page


def test_own_runs_only(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    _own_runs(ws.store, ws.settings.raw_dir)
    site = _report(tmp_path)
    index = read(site / "index.html")
    assert "Verdict:" in index.text
    # the "what is missing" box: no closed model, and exactly how to add one
    assert "You have run no closed model" in index.text
    assert "No published results are imported" in index.text
    box = index.html[index.html.index('id="missing-title"') :]
    assert (
        "models: [smollm2-135m-instruct, " in box
        and "suites: [ladder_agentic, ladder_standard]" in box
    )
    assert "export OPENAI_API_KEY=" in box or "export ANTHROPIC_API_KEY=" in box
    _three_clicks_to_a_transcript(site, "ladder_agentic")
    run = read(site / "runs" / "own-ladder_agentic.html")
    # a log is published as text (.log.txt), never under a name a browser would render
    assert "../raw/own-ladder_agentic/ladder_agentic.log.txt" in run.links


def test_published_and_own_together(imported: Path, tmp_path: Path) -> None:
    shutil.copytree(imported / "results", tmp_path / "results")
    ws = _workspace(tmp_path)
    _own_runs(ws.store, ws.settings.raw_dir)
    site = _report(tmp_path)
    index = read(site / "index.html")
    assert "figures/spec-curve.svg" in [i["src"] for i in index.images]
    assert "2 runs of your own" in index.text
    standard = _three_clicks_to_a_transcript(site, "ladder_standard")
    assert "PROMPT" in standard.text.upper() and "Item" in standard.text
    # the suite page draws your run among the published models, drawn first
    suite = read(site / "suites" / "ladder_agentic.html")
    assert "Your runs on ladder_agentic" in suite.text


def _three_clicks_to_a_transcript(site: Path, suite: str) -> Page:
    """index -> (matrix cell) run page -> sample page with the transcript: two clicks."""
    pages = clicks_to_transcript(site, model_id="smollm2-135m-instruct", suite=suite)
    assert [p.parent.name for p in pages] == [site.name, "runs", "samples"], pages
    first_screen_states_the_answer(site)
    return read(pages[-1])
