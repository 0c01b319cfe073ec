"""A report built from a hostile store leaks no file and no key, and runs nothing (issue 18.6).

One hostile results folder (tests/report/hostile.py: path tricks, raw file types, bidi and
zero-width names, formula cells, a 1 MB name, script in every text field, key echoes) is
rendered with `gapbench report`, checked file by file, and every page opened once in real
headless Chromium. `publish` refuses the store (a key planted in a raw log), `results --check`
names the run records that point outside raw/, and no file written anywhere in the test holds
the echoed key.
"""

from __future__ import annotations

import csv
import re
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.store.rawpaths import KNOWN_SUFFIXES
from tests.report import hostile
from tests.report._browser import CHROMIUM, Browser

pytestmark = pytest.mark.slow

# characters that must never reach a page as themselves (they are shown as \uXXXX)
INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200f\u2028\u2029\ufeff\x00-\x08\x1b]")
FORMULA_START = tuple("=+-@\t\r")


def _gapbench(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[hostile.Hostile, Path, Path]]:
    """(the hostile store, the rendered report, the temp root), with the key variable the
    echoing upstream repeats set for the whole module (as a deployment's key would be)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(hostile.PLAIN_CANARY_ENV, hostile.PLAIN_CANARY)
    tmp = tmp_path_factory.mktemp("hostile")
    mp.setenv("GAPBENCH_CACHE_DIR", str(tmp / "cache"))
    h = hostile.build(tmp)
    # an import with hostile task and model names, through the importer
    lm = hostile.lm_eval_output(tmp / "lm-eval-out")
    assert main(["import", "lm-eval", "--from", str(lm), "--access", "open",
                 "--results-dir", str(h.results)]) == 0  # fmt: skip
    code = main(["report", "--name", "hostile", "--results-dir", str(h.results),
                 "--reports-dir", str(tmp / "reports"), "--replicates", "100",
                 "--curve-replicates", "100"])  # fmt: skip
    assert code == 0
    try:
        yield h, tmp / "reports" / "hostile", tmp
    finally:
        mp.undo()


def test_no_file_outside_the_store_is_copied_and_only_known_raw_types_are(
    world: tuple[hostile.Hostile, Path, Path],
) -> None:
    h, site, _ = world
    for path in site.rglob("*"):
        assert not path.is_symlink(), path
        if path.is_file():
            assert hostile.SECRET_TEXT.encode() not in path.read_bytes(), path
    raw = sorted(
        p.relative_to(site / "raw").as_posix() for p in (site / "raw").rglob("*") if p.is_file()
    )
    assert raw == [
        "run-bidi/dep-a-8080.log.txt",
        "run-bidi/pwn_html.json.txt",
        "run-bidi/results_2026-11-01T12-00-00.json.txt",
        "run-bidi/run.eval",
        "run-bidi/samples_x.jsonl.txt",
    ]
    published = {s for _, s in KNOWN_SUFFIXES.values()}
    assert all(any(name.endswith(s) for s in published) for name in raw)
    with zipfile.ZipFile(site / "raw" / "run-bidi" / "run.eval") as zf:
        assert zf.namelist() == ["header.json"]  # the real zip, copied as it was
    # every run page exists; the runs whose raw path leads out show no engine log
    for run_id in h.runs:
        page = (site / "runs" / f"{run_id}.html").read_text(encoding="utf-8")
        has_logs = 'class="raw"' in page
        assert has_logs == (run_id == "run-bidi"), run_id


def test_pages_hold_no_live_markup_and_no_invisible_characters(
    world: tuple[hostile.Hostile, Path, Path],
) -> None:
    _, site, _ = world
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 60
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'http-equiv="Content-Security-Policy"' in html, page
        assert html.count("<script") == 1, page  # the sorter only
        assert not INVISIBLE.search(html), (page, INVISIBLE.search(html))
        assert "<iframe" not in html and "<base" not in html and "<svg" not in html, page
        assert not re.search(r"<[a-z]+[^>]*\son[a-z]+=", html), page
    model = (site / "models").glob("gnp*.html")
    assert "gnp\\u202eexe.png" in next(model).read_text(encoding="utf-8")  # shown, not obeyed


def test_every_csv_cell_is_inert_in_a_spreadsheet(
    world: tuple[hostile.Hostile, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    h, site, tmp = world
    export = tmp / "export.csv"
    code, _, _ = _gapbench(
        capsys, "results", "--results-dir", str(h.results), "--export", str(export)
    )
    assert code == 0
    csv.field_size_limit(sys.maxsize)  # a 1 MB model id is one cell
    files = [*site.rglob("*.csv"), export]
    cells = negatives = 0
    for path in files:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    cells += 1
                    if cell.startswith(FORMULA_START):
                        float(cell)  # only a number may start so (-0.5 is data)
                        negatives += 1
    assert cells > 1000 and negatives >= 1, (cells, negatives)
    text = (site / "data" / "scores.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text and "\n=" not in text and ",=" not in text


def test_results_check_names_the_run_records_that_point_elsewhere(
    world: tuple[hostile.Hostile, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    h, _, _ = world
    code, out, _ = _gapbench(capsys, "results", "--results-dir", str(h.results), "--check")
    assert code != 0
    for run_id in ("run-huge", "run-formula", "run-js", "run-script", "run-fifo"):
        assert f"run {run_id}: raw_path" in out, run_id


def test_publish_refuses_the_store_with_a_planted_key(
    world: tuple[hostile.Hostile, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    h, site, tmp = world
    dest = tmp / "www"
    code, out, err = _gapbench(capsys, "publish", str(site), "--to", str(dest),
                               "--results-dir", str(h.results))  # fmt: skip
    lines = [ln for ln in (out + err).splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, lines
    assert "refused" in lines[0] and "anthropic-key" in lines[0]
    assert hostile.PLANTED not in lines[0]
    assert not dest.exists()


def test_the_echoed_key_is_in_no_file_written(world: tuple[hostile.Hostile, Path, Path]) -> None:
    _, _, tmp = world
    canaries = (hostile.CANARY.encode(), hostile.PLAIN_CANARY.encode())
    scanned = 0
    for path in tmp.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        blobs = [data]
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                blobs += [zf.read(n) for n in zf.namelist()]
        for blob in blobs:
            assert not any(c in blob for c in canaries), path
        scanned += 1
    assert scanned > 150


PAGE_JS = """(() => ({
  title: document.title,
  scripts: document.scripts.length,
  handlers: [...document.querySelectorAll('*')].filter(
      e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  jsLinks: [...document.querySelectorAll('[href],[src],[action],[formaction]')].filter(
      e => /^\\s*(javascript|data|vbscript):/i.test(
          e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || '')).length,
  loads: [...document.querySelectorAll('[src],link[href]')].map(e => e.src || e.href).filter(
      u => !u.startsWith('file:')),
  csp: !!document.querySelector('meta[http-equiv="Content-Security-Policy"]'),
  frames: document.querySelectorAll('iframe,object,embed,form,base,meta[http-equiv=refresh]').length,
  injected: document.getElementById('injected') !== null,
}))()"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_every_page_in_chromium_runs_nothing(
    world: tuple[hostile.Hostile, Path, Path], tmp_path: Path
) -> None:
    _, site, _ = world
    browser = Browser(tmp_path / "profile")
    try:
        page = browser.page(1280, 800)
        for path in sorted(site.rglob("*.html")):
            page.open(path.as_uri())
            state = page.eval(PAGE_JS)
            rel = path.relative_to(site)
            assert page.console_errors() == [], rel
            # the page's own title (a payload that ran would have made it "PWNED")
            assert state["title"].endswith("gapbench: hostile"), (rel, state["title"][-80:])
            assert state["scripts"] == 1 and state["csp"], rel
            assert state["handlers"] == 0 and state["jsLinks"] == 0, (rel, state)
            assert state["loads"] == [] and state["frames"] == 0 and not state["injected"], rel
        # a raw log that holds HTML opens as text (its name ends .txt), not as a page
        page.open((site / "raw" / "run-bidi" / "pwn_html.json.txt").as_uri())
        shown = page.eval(
            "({type: document.contentType, title: document.title, n: document.scripts.length})"
        )
        assert shown == {"type": "text/plain", "title": "", "n": 0}, shown
        page.close()
    finally:
        browser.close()
