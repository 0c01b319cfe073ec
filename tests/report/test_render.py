"""The rendered HTML says the right numbers, flags what it cannot say, and escapes data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis.tables import ReportTables
from harness.report import render_report
from harness.report.render import sort_script
from tests.report._html import Page, read
from tests.report.conftest import EVIL, SLASHED, make_tables

HEADLINE = ["Open models trail closed ones by 0.29 on humaneval.", "<b>not bold</b>"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "demo"
    index = render_report(make_tables(), out, headline=HEADLINE, name="demo")
    assert index == out.resolve() / "index.html"
    return out


@pytest.fixture(scope="module")
def index(site: Path) -> Page:
    return read(site / "index.html")


def test_scores_table_rows_and_numbers(index: Page) -> None:
    t = index.table("Scores by model and suite")
    assert t.head == [
        "Model",
        "Score",
        "95% CI",
        "Suite",
        "Access",
        "Released",
        "Kind",
        "n scored",
        "Errors (rate)",
        "Limits",
        "Null baseline",
        "Source",
        "Interval",  # each score's interval method (analysis's ci_method)
    ]
    assert len(t.rows) == 9
    assert t.row("claude-sonnet-4", "humaneval v1") == [
        "claude-sonnet-4",
        "0.951",
        "0.915 – 0.982",
        "humaneval v1",
        "closed",
        "2025-05-22",
        "standard",
        "164 / 164",
        "0 (0.0%)",
        "0",
        "0.000",
        "own",
        "—",  # this hand-made table names no interval method
    ]
    llama = t.row(SLASHED, "tau2-airline v1")
    assert llama[4] == "open"
    assert llama[1:3] == ["0.275", "0.150 – 0.425"]
    assert llama[7:11] == ["40 / 50", "6 (12.0%)", "4", "0.360"]
    # own runs first (imported rows last), then by suite, then best score first
    models = ["claude-sonnet-4", "gpt-4o", SLASHED, "smollm2-135m-instruct"]
    assert t.column("Model") == [*models, *models, EVIL]
    assert set(t.row_headers) == {"row"}


def test_no_score_is_a_flag_not_a_number(index: Page) -> None:
    row = index.table("Scores by model and suite").row("smollm2-135m-instruct", "tau2-airline v1")
    assert row[1] == "insufficient data: no scored samples"
    assert row[6:8] == ["0 / 50", "50 (100.0%)"]  # the CI cell is merged into the flag
    matrix = index.table("Score (95% CI) per model and suite; a score opens its run")
    assert matrix.row("smollm2-135m-instruct open")[1:] == [
        "0.012 0.000 – 0.030",
        "insufficient data: no scored samples",
    ]
    assert matrix.row(f"{SLASHED} open")[1:] == ["0.620 0.547 – 0.693", "0.275 0.150 – 0.425"]
    assert EVIL not in " ".join(matrix.column("Model"))  # own runs only, when there are any


def test_no_nan_anywhere(site: Path) -> None:
    for page in site.rglob("*.html"):
        text = read(page).text.lower()
        assert "nan" not in text.replace("nano", ""), page
        assert "none" not in text.split(), page


def test_understatement_numbers_and_insufficient_row(index: Page) -> None:
    t = index.table("Understatement test")
    assert t.row("score_gap") == [
        "score_gap",
        "2024-01-01 to 2025-12-31",
        "+0.322",
        "+0.312",
        "+0.010",
        "−0.051 – 0.070",
        "0.412",
        "1.03",
        "2",
        "2",
    ]
    assert t.row("lag_months") == [
        "lag_months",
        "2024-01-01 to 2025-12-31",
        "insufficient data: too few model pairs (1 < 3)",
        "1",
        "2",
    ]


def test_horizons_passk_ladder_catchup_flags(index: Page) -> None:
    h = index.table("50% horizon")
    assert h.row("gpt-4o")[3:] == ["5.8", "3.9 – 9.1", "0.887", "47"]
    assert h.row("smollm2-135m-instruct")[3] == "insufficient data: too few samples (0 < 20)"
    assert index.table("Reliability").row("gpt-4o", "2") == [
        "gpt-4o",
        "tau2-airline",
        "2",
        "0.421",
        "0.553",
        "50",
    ]
    assert index.table("Ladder").rows == [
        ["gpt-4o", SLASHED, "4", "+0.100", "+0.250", "+0.150", "0.050 – 0.260", "40"]
    ]
    c = index.table("Catch-up time")
    assert c.row("humaneval")[-1] == "14.2"
    assert (
        c.row("tau2-airline")[-1]
        == "insufficient data: open frontier never reached the upper level"
    )
    assert index.table("Open-closed horizon gap").rows[0][-2:] == ["+1.86", "1.10 – 2.60"]
    flags = index.table("Results withheld")
    assert flags.row("benchmark") == [
        "benchmark",
        "humaneval",
        "insufficient data: saturated: closed frontier above 0.9",
    ]


def test_frontier_gap_lag_tables_are_on_the_suite_pages(site: Path, index: Page) -> None:
    # the index stays short (the verdict first); each benchmark's long tables are on its page
    assert not any(t.caption.startswith("Frontier points") for t in index.tables)
    humaneval = read(site / "suites" / "humaneval.html")
    tau2 = read(site / "suites" / "tau2-airline.html")
    assert len(humaneval.table("Frontier points").rows) == 3
    assert humaneval.table("Score gap over time").row("humaneval", "2025-05-22")[3:] == [
        "0.951",
        "0.620",
        "+0.331",
        "+2.48",
    ]
    assert tau2.table("Lag by threshold").row("0.25") == [
        "tau2-airline",
        "agentic",
        "0.25",
        "2024-05-13",
        "2024-07-23",
        "2.3",
        "",
    ]


def test_header_title_time_headline(index: Page) -> None:
    assert "<title>gapbench gap report</title>" in index.html
    assert "2026-11-22 10:30 UTC" in index.text
    # no answer from analysis: the page says so and shows the headline sentences instead
    assert "Verdict: not computed" in index.text
    assert f'<h1 id="verdict" class="sentence">{HEADLINE[0]}</h1>' in index.html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in index.html


def test_untrusted_text_is_escaped_everywhere(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) == 2 + 5 + 2  # index, method, models, suites
    script = f"<script>{sort_script()}</script>"
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html.count("<script") == 1 and script in html, page  # only the table sorter
    index = read(site / "index.html")
    assert EVIL in index.text  # shown as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in index.html


def test_figures_exist_and_are_referenced(site: Path, index: Page) -> None:
    srcs = sorted(i["src"] for i in index.images)
    assert srcs == sorted(
        f"figures/{n}.svg" for n in ("understatement", "your-runs", "horizon-steps")
    )
    for img in index.images:
        assert img["alt"]
        svg = (site / img["src"]).read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml")
        # its table is downloadable beside it, and linked from the caption
        csv = img["src"].removesuffix(".svg") + ".csv"
        assert (site / csv).is_file() and csv in index.links


def test_model_and_suite_pages(site: Path, index: Page) -> None:
    model_pages = sorted(p.name for p in (site / "models").iterdir())
    assert len(model_pages) == 5 and all("/" not in p for p in model_pages)
    llama = next(h for h in index.links if h.startswith("models/meta-llama"))
    page = read(site / llama)
    assert f"<title>{SLASHED} · gapbench gap report</title>" in page.html
    assert "gapbench gap report › models ›" in page.text  # breadcrumbs back to the index
    assert "(report demo," in page.text  # the provenance footer names the report
    assert [r[0] for r in page.table(f"Scores of {SLASHED}").rows] == [SLASHED, SLASHED]
    assert page.table("Ladder").rows[0][1] == SLASHED
    suite = read(site / "suites" / "tau2-airline.html")
    assert "Kind: agentic" in suite.text
    assert len(suite.table("Scores on tau2-airline").rows) == 4
    assert len(suite.table("Frontier points").rows) == 3
    assert [i["src"] for i in suite.images] == [
        "../figures/suite-tau2-airline.svg",  # frontier and gap over time
        "../figures/scores-tau2-airline.svg",  # the scores, own runs first
    ]
    humaneval = read(site / "suites" / "humaneval.html")
    assert humaneval.table("Results withheld").rows == [
        ["benchmark", "humaneval", "insufficient data: saturated: closed frontier above 0.9"]
    ]


def test_every_link_resolves(site: Path) -> None:
    for page_path in site.rglob("*.html"):
        page = read(page_path)
        for href in page.links + [i["src"] for i in page.images]:
            if href.startswith("#"):
                continue
            assert "://" not in href and not href.startswith("/"), (page_path, href)
            target = (page_path.parent / href.split("#")[0]).resolve()
            assert target.is_file(), (page_path, href)
            assert site.resolve() in target.parents


def test_csv_data_files_match_tables(site: Path, index: Page) -> None:
    tables = make_tables()
    names = [
        f.name
        for f in dataclasses.fields(ReportTables)
        if isinstance(getattr(tables, f.name), pd.DataFrame)
    ]
    assert set(names) >= {
        "scores",
        "frontier",
        "gaps",
        "lags",
        "understatement",
        "horizons",
        "passk",
        "ladder",
        "flags",
    }
    for name in names:
        path = site / "data" / f"{name}.csv"
        if getattr(tables, name) is None:
            continue
        assert path.read_text(encoding="utf-8") == getattr(tables, name).to_csv(index=False)
        assert f"data/{name}.csv" in index.links
        back = pd.read_csv(path)
        assert list(back.columns) == list(getattr(tables, name).columns)
        assert len(back) == len(getattr(tables, name))


def test_empty_tables_render_no_data_notes(tmp_path: Path) -> None:
    page = read(render_report(ReportTables(), tmp_path / "empty"))
    assert page.images == []
    assert page.tables == []
    assert "No data: no scored runs." in page.text
    assert "No data: no understatement test was computed." in page.text
    assert "No flags: no result was withheld." in page.text
    assert (tmp_path / "empty" / "data" / "scores.csv").read_text().startswith("model_id,access,")
    assert not (tmp_path / "empty" / "models").exists() or not any(
        (tmp_path / "empty" / "models").iterdir()
    )


def test_missing_and_extra_columns_and_odd_ids(tmp_path: Path) -> None:
    t = make_tables()
    scores = t.scores.drop(columns=["null_baseline", "source"]).assign(status="ok", reason=None)
    scores.loc[0, ["status", "reason"]] = ["insufficient", "too few samples (3 < 20)"]
    odd = scores.iloc[[1]].assign(
        model_id="$\\frac{a}{b}$ model", suite="suite with spaces/and slash"
    )
    t = dataclasses.replace(
        t, scores=pd.concat([scores, odd], ignore_index=True), gaps=t.gaps.iloc[0:0]
    )
    site = tmp_path / "odd"
    page = read(render_report(t, site))
    scores_table = page.table("Scores by model and suite")
    assert (
        scores_table.row("gpt-4o", "humaneval v1")[1]
        == "insufficient data: too few samples (3 < 20)"
    )
    assert scores_table.row("$\\frac{a}{b}$ model")[11] == "—"
    humaneval = read(site / "suites" / "humaneval.html")
    assert "No data: no dates with both an open and a closed score." in humaneval.text
    assert len(list((site / "suites").iterdir())) == 3


def test_your_runs_figure_draws_own_runs_first_and_caps_panels(tmp_path: Path) -> None:
    base = make_tables().scores.iloc[[0, 4, 8]]  # two own rows and one imported
    many = pd.concat([base.assign(suite=f"suite-{i:02d}") for i in range(8)], ignore_index=True)
    site = tmp_path / "many"
    page = read(render_report(ReportTables(scores=many), site))
    assert len(page.table("Scores by model and suite").rows) == 24
    drawn = pd.read_csv(site / "figures" / "your-runs.csv")
    assert drawn["suite"].nunique() == 6  # at most six suites in the index's figure
    for _suite, part in drawn.groupby("suite", sort=False):
        assert list(part["source"])[:2] == ["own", "own"]  # own runs drawn first


def test_drift_panel_when_nightly_found_canary_history(tmp_path: Path) -> None:
    nights = pd.date_range("2026-11-20", periods=4, freq="D", tz="UTC")
    drift = pd.DataFrame(
        {
            "model_id": ["gpt-4o"] * 4,
            "access": ["closed"] * 4,
            "deployment_id": ["gpt-4o@openai"] * 4,
            "suite": ["tau2-airline"] * 4,
            "suite_version": ["1"] * 4,
            "run_id": [f"canary-{i}" for i in range(4)],
            "ran_at": nights,
            "n": [8] * 4,
            "score": [0.75, 0.75, 0.625, 0.125],
            "se": [0.15, 0.15, 0.17, 0.12],
            "baseline": [None, 0.75, 0.75, 0.71],
            "threshold": [None, 0.3, 0.3, 0.3],
            "z": [None, 0.0, -0.6, -3.9],
            "snapshot": ["gpt-4o-2024-05-13"] * 4,
            "alert": [False, False, False, True],
            "kind": ["agentic"] * 4,
            "reason": ["", "", "", "score fell by 0.58 (3.9 se)"],
        }
    )
    site = tmp_path / "drift"
    index = read(render_report(dataclasses.replace(make_tables(), drift=drift), site))
    assert "figures/drift.svg" in [i["src"] for i in index.images]
    assert "1 of 4 canary nights raised an alert." in index.text
    model = read(site / "models" / "gpt-4o.html")
    assert model.table("Canary score per night").row("2026-11-23")[-2:] == [
        "alert",
        "score fell by 0.58 (3.9 se)",
    ]
    without = read(render_report(make_tables(), tmp_path / "none"))
    assert '<section id="drift">' not in without.html  # no panel without canary history
    assert "figures/drift.svg" not in [i["src"] for i in without.images]
