"""The report's numbers are analysis's: the index says what `answer.to_json()` says."""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from harness.analysis.wording import num, pct
from harness.report import render_report
from tests.report._html import read
from tests.report.conftest import make_input


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    tmp = tmp_path_factory.mktemp("answer")
    report = make_input(tmp)
    answer = report.tables.answer
    assert answer is not None
    render_report(report, tmp / "report")
    return tmp / "report", json.loads(answer.to_json())


def _by_id(html: str, ident: str) -> str:
    found = re.search(rf'id="{ident}"[^>]*>(.*?)</', html, re.S)
    assert found, ident
    return htmllib.unescape(found.group(1)).strip()


def test_index_numbers_equal_the_analysis_json(rendered: tuple[Path, dict[str, object]]) -> None:
    site, js = rendered
    html = (site / "index.html").read_text(encoding="utf-8")
    primary = js["primary"]
    assert isinstance(primary, dict)
    unit = str(primary["unit"])
    assert _by_id(html, "primary-d") == num(primary["d"], unit, signed=True)
    assert (
        _by_id(html, "primary-ci")
        == f"{num(primary['ci_low'], unit)} to {num(primary['ci_high'], unit)}"
    )
    assert _by_id(html, "primary-p") == f"{float(primary['p_one_sided']):.3f}"  # type: ignore[arg-type]
    # the verdict and its sentence, word for word
    index = read(site / "index.html")
    assert f"Verdict: {js['verdict']}" in index.text
    sentence = " ".join(str(js["sentence"]).split())
    head = _by_id(html, "verdict")
    assert sentence.startswith(head) and head.endswith(".")  # the verdict alone, as h1
    # the rest of the sentence, statement by statement, on the first screen: what is known,
    # what is ruled out, what the data could detect, how robust, what would settle it
    statements = js["statements"]
    assert isinstance(statements, dict)
    first_screen = index.text.split("What to evaluate next")[0]
    for key in ("estimate", "ruled_out", "detectable", "curve", "caution", "settle"):
        said = " ".join(str(statements[key]).split())
        assert said in sentence
        if said:
            assert said in first_screen, key
    assert "the CI lies above 0 in" in first_screen and "CI excludes 0" not in index.text
    # what it rests on: the same benchmark counts
    assert (
        f"{primary['n_agentic']} agentic and {primary['n_standard']} standard benchmarks"
        in index.text
    )
    summary = js["sensitivity_summary"]
    assert isinstance(summary, dict)
    assert f"D &gt; 0 in {pct(summary['share_d_positive'])}" in html.replace("D > 0", "D &gt; 0")
    # why the lag is primary, said where the curve is shown
    assert _by_id(html, "why-lag") == summary["why"]
    # what to evaluate next: the first ranked evaluations, and the command that writes them
    nxt = js["next_evaluations"]
    assert isinstance(nxt, list)
    if nxt:
        table = index.table("What to evaluate next")
        assert [r[1] for r in table.rows] == [str(r["model_id"]) for r in nxt[:5]]
        assert "gapbench analyze --next-sweep next.yaml" in index.text
    # every measure in its unit, every interval's method named
    shown = index.table("Understatement test")
    for r in js["understatement"]:
        cells = shown.row(
            {
                "lag_months": "threshold lag",
                "catchup_months": "catch-up time",
                "score_gap": "score gap",
                "score_gap_logit": "logit score gap",
            }[r["measure"]]
        )
        assert cells[1] == {"months": "months", "points": "points", "logits": "logits"}[r["unit"]]
        if r["status"] == "ok":
            assert num(r["d"], r["unit"], signed=True) in cells
        assert cells[-1] == r["ci_method"]


def test_data_files_hold_the_answer_as_analysis_wrote_it(
    rendered: tuple[Path, dict[str, object]],
) -> None:
    site, js = rendered
    assert json.loads((site / "data" / "answer.json").read_text(encoding="utf-8")) == js
    curve = pd.read_csv(site / "data" / "sensitivity.csv")
    expected = pd.DataFrame(js["sensitivity"])
    assert len(curve) == len(expected)
    for col in ("d", "ci_low", "ci_high"):
        assert curve[col].to_numpy() == pytest.approx(expected[col].astype(float).to_numpy())
    # the influence and the ranked evaluations, whole, as CSV beside the JSON's
    for name in ("influence", "next_evaluations"):
        rows = js[name]
        assert isinstance(rows, list)
        path = site / "data" / f"{name}.csv"
        assert path.is_file() == bool(rows), name  # no rows: no file, and no link to one
        if rows:
            assert len(pd.read_csv(path)) == len(rows), name
    # the specification-curve figure draws exactly that table
    drawn = pd.read_csv(site / "figures" / "spec-curve.csv")
    assert drawn["d"].to_numpy() == pytest.approx(expected["d"].astype(float).to_numpy())
    assert (site / "figures" / "spec-curve.svg").is_file()


def test_method_page_lists_the_options_used(rendered: tuple[Path, dict[str, object]]) -> None:
    site, js = rendered
    method = read(site / "method.html")
    spec = js["spec"]
    assert isinstance(spec, dict)
    for key, value in spec.items():
        shown = "none" if value is None else str(value)
        assert f"<dt>{key.replace('_', ' ')}</dt><dd>{shown}</dd>" in method.html, key
    assert "CC-BY 4.0" in method.text and "https://epoch.ai/benchmarks" in method.links
    # the rows behind the answer: the same count as the first screen, per source with the
    # data's version; and the code's commit
    data = js["data"]
    assert isinstance(data, dict)
    assert method.html.count(f'id="rows-analysed">{data["rows"]:,}<') == 1
    index = read(site / "index.html")
    assert f"{data['rows']:,} result rows" in index.text
    rows = method.table("Rows analysed per source").rows
    assert sum(int(r[2].replace(",", "")) for r in rows) == data["rows"]


@pytest.fixture(scope="module")
def ranked(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """The same report with two ranked missing evaluations (the fixture's planted data have
    none that add an exact lag)."""
    from dataclasses import replace

    from harness.analysis.columns import NEXT_COLUMNS
    from harness.analysis.measures.calibration import CALIBRATION_COLUMNS

    NAN = float("nan")

    tmp = tmp_path_factory.mktemp("ranked")
    report = make_input(tmp)
    answer = report.tables.answer
    assert answer is not None
    rows = pd.DataFrame(
        [
            (1, "open-x", "open", "2025-07-25", "live_bench", "standard", "fraction", 0.6,
             -1.7, 2.5, 0.38),
            (2, "open-y", "open", "2025-11-06", "os_world", "agentic", "fraction", 0.4,
             -2.3, 1.9, 0.35),
        ],
        columns=NEXT_COLUMNS,
    )  # fmt: skip
    answer = replace(answer, settle=replace(answer.settle, ranked=rows))
    # and a model the publisher scored only under a variant its card does not name
    not_compared = pd.DataFrame(
        [
            ("gpqa_diamond", "hub_gpqa_diamond", "1", "same", "gpt-oss-120b", "open",
             "openai/gpt-oss-120b_high",
             "not compared: the card's published_names (gpt-oss-120b) have no score here",
             0.75, 0.69, 0.81, "Wilson (effective n over epochs)", 198, 0.76, 0.70, 0.82,
             "published SE, ± 1.96 se", NAN, NAN, NAN, "", "uncalibrated"),
        ],
        columns=CALIBRATION_COLUMNS,
    )  # fmt: skip
    tables = replace(report.tables, answer=answer, calibration=not_compared)
    report = replace(report, tables=tables)
    render_report(report, tmp / "report")
    return tmp / "report", json.loads(answer.to_json())


def test_the_first_screen_names_its_interval_and_what_to_run_next(
    ranked: tuple[Path, dict[str, object]],
) -> None:
    """A reviewer's read of the first screen: the primary CI says how it was made, and what to
    run next is on it (the first ranked evaluation, the link to the list, the command)."""
    site, js = ranked
    html = (site / "index.html").read_text(encoding="utf-8")
    primary = js["primary"]
    assert isinstance(primary, dict)
    assert _by_id(html, "primary-ci-method") == primary["ci_method"]
    nxt = js["next_evaluations"]
    assert isinstance(nxt, list) and len(nxt) == 2
    first_screen = read(site / "index.html").text.split("What to evaluate next: the")[0]
    line = " ".join(_by_id(html, "run-next").split())
    assert "open-x (open) on live_bench (0.38 months narrower" in line
    assert "all 2 are ranked" in first_screen
    assert 'href="#next"' in html.split('id="run-next"')[1].split("</dd>")[0]
    assert "gapbench analyze --next-sweep next.yaml" in first_screen


def test_the_method_page_says_what_the_analysis_does(
    rendered: tuple[Path, dict[str, object]],
) -> None:
    """The definitions agree with docs/methods.md: the verdict's written rule word for word,
    and the 50% horizon by the isotonic crossing (the page still described the logistic fit
    that section 7 replaced)."""
    site, js = rendered
    method = read(site / "method.html")
    assert f"The rule: {js['verdict_rule']}." in " ".join(method.text.split())
    horizon = method.text.split("Time horizon")[1].split("pass^k")[0]
    assert "isotonic" in horizon and "from a logistic fit" not in horizon


def test_a_model_published_under_another_variant_is_shown_not_compared(
    ranked: tuple[Path, dict[str, object]],
) -> None:
    site, _ = ranked
    index = read(site / "index.html")
    table = index.table("The same model scored by you and by the publisher")
    (row,) = table.rows
    assert "openai/gpt-oss-120b_high" in row[2] and "not compared" in row[2]
    assert "not compared" in row[7] and row[-1] == "uncalibrated"
    assert "No model has both a score of yours" not in index.text
    calibration = index.text.split("Calibration: your scores")[1].split("The answer over time")[0]
    assert "the difference, none (no model compared)" in " ".join(calibration.split())
