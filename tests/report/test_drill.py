"""Drill-down: matrix cell -> run page (its samples) -> sample page (the full transcript)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.report import render_report
from harness.report.drill import COLLAPSE_CHARS
from tests.report._html import Page, read
from tests.report.conftest import AGENT_RUN, HUMANEVAL_RUN, XSS, make_input


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("drill")
    render_report(make_input(tmp), tmp / "report")
    return tmp / "report"


def _follow(page: Page, href: str) -> Page:
    return read((page.path.parent / href).resolve())


def test_cell_to_run_to_transcript_in_two_clicks(site: Path) -> None:
    index = read(site / "index.html")
    matrix = index.table("Score (95% CI) per model and suite; a score opens its run")
    assert matrix.row("gpt-4o closed")[2] == "0.553 0.412 – 0.692"
    run_href = f"runs/{AGENT_RUN}.html"
    assert run_href in index.links  # click 1: the matrix cell
    run = _follow(index, run_href)
    samples = run.table("Samples of this run")
    assert samples.head[:6] == ["Sample", "Epoch", "h", "Status", "Score", "Success"]
    assert [r[3] for r in samples.rows] == [
        "error",
        "limit",
        "scored",
        "scored",
        "scored",
        "scored",
    ]
    sample_href = f"../samples/{AGENT_RUN}-key-003.html"
    assert sample_href in run.links  # click 2: a sample
    sample = _follow(run, sample_href)
    assert "Transcript" in sample.text and "Looking it up." in sample.text
    assert "tool call get_reservation" in sample.text
    assert "The reservation was not changed." in sample.text  # the scorer's explanation
    for part in ("Answer the scorer extracted", "traceback of the error", "sample metadata"):
        assert part.upper() in sample.text.upper(), part


def test_run_page_facts_serving_logs_and_csv(site: Path) -> None:
    run = read(site / "runs" / f"{HUMANEVAL_RUN}.html")
    for fact in (
        "llama-cpp-python",
        "0.3.36",
        "Q4_1",
        "b179c952" * 8,
        "chatml-function-calling",
        "8192",
    ):
        assert fact in run.text, fact
    agent = read(site / "runs" / f"{AGENT_RUN}.html")
    assert "../raw/run-gpt4o-tau2/2026-11-22_tau2-airline.eval" in agent.links
    assert (site / "raw" / AGENT_RUN / "2026-11-22_tau2-airline.eval").is_file()
    csv = (site / "runs" / f"{AGENT_RUN}.csv").read_text(encoding="utf-8")
    assert csv.count("\n") == 7  # header + 6 samples, all of them


def test_errors_are_not_wrong_answers(site: Path) -> None:
    run = read(site / "runs" / f"{AGENT_RUN}.html")
    errored = run.table("Samples of this run").rows[0]
    assert errored[3] == "error" and errored[4] == "—"  # no score, never 0
    error_page = read(site / "samples" / f"{AGENT_RUN}-key-000.html")
    assert "Error: not scored." in error_page.text
    assert "is not a wrong answer" in error_page.text
    limit_page = read(site / "samples" / f"{AGENT_RUN}-key-001.html")
    assert "Limit hit: message limit (30) reached." in limit_page.text
    assert "counts as failed" in limit_page.text


def test_long_tool_outputs_and_prompts_are_collapsed(site: Path) -> None:
    html = (site / "samples" / f"{AGENT_RUN}-key-003.html").read_text(encoding="utf-8")
    # the long system prompt, the long tool output, the traceback and the metadata
    assert html.count("<details>") == 4
    assert f"{COLLAPSE_CHARS:,}" not in html
    assert "4,149 characters, 80 lines" in html
    short = html.index("short result")
    assert html.rfind("<details>", 0, short) < html.rfind("</details>", 0, short)  # not collapsed


def test_standard_sample_shows_prompt_output_target(site: Path) -> None:
    page = read(site / "samples" / f"{HUMANEVAL_RUN}-key-001.html")
    text = page.text
    for label in ("Prompt", "Final output", "Target", "Scorer's explanation"):
        assert label.upper() in text.upper(), label
    assert "return a + b" in text and "passed 3/3 tests" in text


def test_model_written_text_is_escaped_on_every_drill_page(site: Path) -> None:
    for page in [*site.glob("samples/*.html"), *site.glob("runs/*.html")]:
        html = page.read_text(encoding="utf-8")
        assert html.count("<script") == 1, page  # the sorter only
        for evil in XSS:
            assert evil not in html, (page, evil)
        # no element was made from data: these pages have no images, SVG or injected links
        assert "<img" not in html and "<svg" not in html and 'id="injected"' not in html, page
        assert 'href="javascript:' not in html
    shown = read(site / "samples" / f"{AGENT_RUN}-key-003.html").text
    shown += read(site / "samples" / f"{AGENT_RUN}-key-002.html").text  # its id is XSS[1]
    for evil in XSS:
        assert evil in shown  # shown, as text


def test_breadcrumbs_and_pager(site: Path) -> None:
    page = read(site / "samples" / f"{AGENT_RUN}-key-002.html")
    assert page.links[:3] == ["../index.html", "../models/gpt-4o.html", f"../runs/{AGENT_RUN}.html"]
    assert f"{AGENT_RUN}-key-001.html" in " ".join(page.links)
    assert f"{AGENT_RUN}-key-003.html" in " ".join(page.links)


def test_every_internal_link_resolves(site: Path) -> None:
    for page_path in site.rglob("*.html"):
        page = read(page_path)
        for href in page.links + [i["src"] for i in page.images]:
            if href.startswith(("#", "https://")):
                continue
            assert "://" not in href and not href.startswith("/"), (page_path, href)
            target = (page_path.parent / href.split("#")[0]).resolve()
            assert target.is_file(), (page_path, href)
            assert site.resolve() in target.parents
