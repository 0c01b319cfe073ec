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
    assert sentence[len(head) :].strip() in index.text  # the rest right under the figure
    # what it rests on: the same benchmark counts
    assert (
        f"{primary['n_agentic']} agentic and {primary['n_standard']} standard benchmarks"
        in index.text
    )
    summary = js["sensitivity_summary"]
    assert isinstance(summary, dict)
    assert f"D &gt; 0 in {pct(summary['share_d_positive'])}" in html.replace("D > 0", "D &gt; 0")


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
