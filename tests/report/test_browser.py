"""Open the report in headless Chromium over file:// (offline) and read what it rendered."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.report import render_report
from tests.report.conftest import EVIL, make_tables

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)

# Appended to a COPY of index.html (the published page carries no JavaScript): after load,
# record every image's natural size and the scores table's text into the DOM.
PROBE = """
<script>
window.addEventListener("load", () => {
  const imgs = [...document.images].map(i => ({src: i.getAttribute("src"), w: i.naturalWidth, h: i.naturalHeight}));
  const css = getComputedStyle(document.body).fontFamily;
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify({imgs, css, sheets: document.styleSheets.length});
  document.body.appendChild(pre);
});
</script>
"""


def _chromium(tmp: Path, *args: str) -> str:
    assert CHROMIUM
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'chrome-profile'}",
        "--virtual-time-budget=5000",
        *args,
    ]
    # run() waits for the browser to exit, so no Chromium process outlives the test
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_in_headless_chromium(tmp_path: Path) -> None:
    site = tmp_path / "demo"
    index = render_report(make_tables(), site, headline=["Headline sentence."])
    probe = site / "index-probe.html"
    probe.write_text(
        index.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )

    dom = _chromium(tmp_path, "--dump-dom", probe.as_uri())

    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, dom[-2000:]
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert result["sheets"] == 1
    assert len(result["imgs"]) == 6
    for img in result["imgs"]:
        assert img["w"] > 0 and img["h"] > 0, img  # the SVG loaded and decoded
    # the scores table as the browser parsed it
    table = re.search(r"<table class=\"scores\">(.*?)</table>", dom, re.S)
    assert table
    rows = re.findall(r"<tr class=\"access-(\w+)\">(.*?)</tr>", table.group(1), re.S)
    assert len(rows) == 9
    first = re.sub(r"<[^>]+>", " ", rows[0][1])
    assert rows[0][0] == "closed"
    assert " ".join(first.split()).startswith(
        "claude-sonnet-4 closed 2025-05-22 humaneval v1 standard 0.951 0.915 – 0.982"
    )
    # the injected id stayed text: no element was created from it
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom
    assert dom.count("<script>") == 1  # only the probe
    assert EVIL not in dom.replace(PROBE.strip(), "")

    shot = tmp_path / "index.png"
    _chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=1280,2000",
        f"--screenshot={shot}",
        index.as_uri(),
    )
    assert shot.stat().st_size > 10_000
