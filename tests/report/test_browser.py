"""The report in real headless Chromium (Debian's), opened from file://, at 1280 and 390 wide.

One browser per test (driven over the DevTools protocol on a pipe, tests/report/
_browser.py). Screenshots go to $GAPBENCH_SCREENSHOTS (or a temp folder).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from harness.report import content_security_policy, render_report
from tests.report._browser import CHROMIUM, Browser
from tests.report.conftest import AGENT_RUN, make_input

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

PAGES = {
    "index": "index.html",
    "suite": "suites/tau2-airline.html",
    "model": "models/gpt-4o.html",
    "run": f"runs/{AGENT_RUN}.html",
    "sample": f"samples/{AGENT_RUN}-key-003.html",
    "method": "method.html",
}
VIEWPORTS = {"desktop": (1280, 800, False), "phone": (390, 844, True)}

# Every link and image the page holds, as the browser resolved them, and every image's size.
LINKS_JS = """(() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.images].map(i => ({src: i.src, w: i.naturalWidth, h: i.naturalHeight, alt: i.alt})),
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  sheets: document.styleSheets.length,
}))()"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("browser")
    render_report(make_input(tmp), tmp / "report")
    return tmp / "report"


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    # one Chromium per test, closed with it: every test is checked for processes it leaves
    # running (tests/conftest.py), and a browser's renderers would outlive a test
    b = Browser(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = os.environ.get("GAPBENCH_SCREENSHOTS")
    return Path(out) if out else tmp_path_factory.mktemp("screenshots")


def _local(url: str) -> tuple[Path, str]:
    parsed = urlparse(url)
    return Path(unquote(parsed.path)), parsed.fragment


def _check_links(site: Path, found: dict[str, object]) -> None:
    for url in found["links"]:  # type: ignore[attr-defined]
        if url.startswith("https://"):
            continue  # a licence or source link the reader may follow; nothing loads from it
        assert url.startswith("file://"), url
        path, fragment = _local(url)
        assert path.is_file(), url
        assert site.resolve() in path.resolve().parents, url
        if fragment and path.suffix == ".html":
            assert f'id="{fragment}"' in path.read_text(encoding="utf-8"), url
    for img in found["images"]:  # type: ignore[attr-defined]
        assert img["w"] > 0 and img["h"] > 0, img  # the SVG loaded and decoded
        assert img["alt"], img


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_pages_open_cleanly_at_desktop_and_phone_width(
    site: Path, browser: Browser, shots: Path, viewport: str
) -> None:
    width, height, mobile = VIEWPORTS[viewport]
    page = browser.page(width, height, mobile=mobile)
    try:
        for name, rel in PAGES.items():
            page.open((site / rel).as_uri())
            assert page.console_errors() == [], (viewport, rel)
            found = page.eval(LINKS_JS)
            assert found["sheets"] == 1, rel  # report.css loaded from file://
            assert found["overflow"] <= 1, (viewport, rel, found["overflow"])  # no sideways scroll
            _check_links(site, found)
            shot = shots / f"{viewport}-{name}.png"
            page.screenshot(shot)
            assert shot.stat().st_size > 5_000
        # the answer is on the first screen: verdict sentence, primary D, what it rests on,
        # and the specification curve
        page.open((site / "index.html").as_uri())
        box = page.eval(
            """(() => {
              const r = id => document.getElementById(id).getBoundingClientRect();
              const fig = document.querySelector('section.verdict figure img').getBoundingClientRect();
              const rests = document.querySelector('.rests-on').getBoundingClientRect();
              return {verdict: r('verdict').bottom, d: r('primary-d').bottom, fig: fig.top,
                      rests: rests.bottom, figw: fig.width, h: window.innerHeight,
                      w: window.innerWidth};
            })()"""
        )
        assert box["verdict"] <= box["h"], box
        assert box["d"] <= box["h"], box
        assert box["rests"] <= box["h"], box  # what it rests on
        assert box["fig"] < box["h"], box
        assert box["figw"] <= box["w"], box  # single column: the figure fits the screen
        page.screenshot(shots / f"{viewport}-index-full.png", full_page=True)
    finally:
        page.close()


def test_model_written_text_runs_nothing_under_the_csp(site: Path, browser: Browser) -> None:
    page = browser.page(1280, 800)
    try:
        page.open((site / PAGES["sample"]).as_uri())
        title = page.eval("document.title")
        assert title == f"tau2-airline-003 · gpt-4o · {'gapbench gap report'}"
        state = page.eval(
            """(() => ({
              injected: document.getElementById('injected'),
              imgs: document.querySelectorAll('main img, main svg').length,
              scripts: document.scripts.length,
              js: [...document.querySelectorAll('a[href]')].filter(a => a.href.startsWith('javascript:')).length,
              handlers: [...document.querySelectorAll('main *')].filter(
                e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
              csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]').content,
              shown: document.querySelector('.transcript').textContent.includes("<script>document.title='pwned'</script>"),
            }))()"""
        )
        assert state == {
            "injected": None,
            "imgs": 0,
            "scripts": 1,
            "js": 0,
            "handlers": 0,
            "csp": content_security_policy(),
            "shown": True,
        }
        # open every collapsed tool output: still text
        page.eval("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.eval("document.title") == title
        # and the CSP itself holds: a script injected after load is refused, with a report
        page.eval(
            """(() => { const s = document.createElement('script');
                       s.textContent = "document.title = 'csp broken'";
                       document.body.appendChild(s); })()"""
        )
        assert page.eval("document.title") == title
        assert any("Content Security Policy" in e for e in page.console_errors())
    finally:
        page.close()


def test_tables_sort_by_any_column(site: Path, browser: Browser) -> None:
    page = browser.page(1280, 800)
    try:
        page.open((site / PAGES["run"]).as_uri())
        read = """[...document.querySelectorAll('table.samples tbody tr')].map(
                    r => r.cells[%d].textContent.trim())"""
        before = page.eval(read % 7)  # tokens out
        header = "document.querySelectorAll('table.samples thead th')[7]"
        page.eval(f"{header}.querySelector('button').click()")
        asc = page.eval(read % 7)
        assert asc == sorted(before, key=int)
        assert page.eval(f"{header}.getAttribute('aria-sort')") == "ascending"
        page.eval(f"{header}.querySelector('button').click()")
        assert page.eval(read % 7) == sorted(before, key=int, reverse=True)
        # scores: the errored sample has none ("—") and stays last both ways
        score = "document.querySelectorAll('table.samples thead th')[4].querySelector('button')"
        page.eval(f"{score}.click()")
        assert page.eval(read % 4)[-1] == "—"
        page.eval(f"{score}.click()")
        assert page.eval(read % 4)[-1] == "—"
        assert page.console_errors() == []
    finally:
        page.close()


def test_report_loads_nothing_from_outside_its_folder(site: Path) -> None:
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for attr in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not attr.startswith(("http://", "//")), (page, attr)
            if attr.startswith("https://"):  # only as a link to follow, never loaded
                assert f'href="{attr}"' in html and f'src="{attr}"' not in html
