"""Check a published site the way a visitor's browser sees it.

`crawl_in_chromium(folder)`: serves the folder over HTTP on 127.0.0.1 (as static hosting
would), opens a probe page in headless Chromium that loads index.html in a frame, then fetches
every same-site link and image of every page it reaches (breadth first) and records each
status, every image's decoded size on the index and the stylesheets that applied. The probe is
read back with --dump-dom. `static_links(folder)` is the same check without a browser, over
every HTML file on disk (it also catches pages the crawl cannot reach).
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)

PROBE_NAME = "gapbench-probe.html"
PROBE = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<pre id="probe">pending</pre>
<iframe id="site" src="index.html" style="width:1200px;height:900px"></iframe>
<script>
const frame = document.getElementById("site");
frame.addEventListener("load", async () => {
  const doc = frame.contentDocument;
  const out = {title: doc.title, sheets: doc.styleSheets.length, imgs: [], pages: 0, links: {}};
  out.imgs = [...doc.images].map(i => [i.getAttribute("src"), i.naturalWidth, i.naturalHeight]);
  const seen = new Set(), queue = [new URL("index.html", location.href).href];
  const links = (d, base) => [...d.querySelectorAll("a[href], img[src], link[href], script[src]")]
    .map(e => new URL(e.getAttribute("href") || e.getAttribute("src"), base))
    .filter(u => u.origin === location.origin)
    .map(u => { u.hash = ""; return u.href; });
  while (queue.length) {
    const url = queue.shift();
    if (seen.has(url)) continue;
    seen.add(url);
    const resp = await fetch(url);
    out.links[url] = resp.status;
    const type = resp.headers.get("content-type") || "";
    if (resp.ok && type.includes("text/html")) {
      out.pages += 1;
      const d = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const u of links(d, url)) if (!seen.has(u)) queue.push(u);
    }
  }
  document.getElementById("probe").textContent = JSON.stringify(out);
});
</script></body></html>
"""


@dataclass(frozen=True)
class Crawl:
    title: str
    sheets: int
    images: list[tuple[str, int, int]]
    pages: int
    status: dict[str, int]  # URL path -> HTTP status

    @property
    def broken(self) -> dict[str, int]:
        return {u: s for u, s in self.status.items() if s != 200}


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def crawl_in_chromium(folder: Path, profile: Path) -> Crawl:
    assert CHROMIUM, "chromium is not installed"
    probe = folder / PROBE_NAME
    probe.write_text(PROBE, encoding="utf-8")
    try:
        with serve(folder) as base:
            cmd = [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-proxy-server",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=20000",
                "--dump-dom",
                f"{base}/{PROBE_NAME}",
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    finally:
        probe.unlink()
    found = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert found and found.group(1) != "pending", done.stdout[-2000:]
    text = found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    data = json.loads(text.replace("&amp;", "&"))
    status = {urlparse(u).path: int(s) for u, s in data["links"].items()}
    images = [(str(s), int(w), int(h)) for s, w, h in data["imgs"]]
    return Crawl(data["title"], int(data["sheets"]), images, int(data["pages"]), status)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for name in ("href", "src"):
            if a.get(name) and tag in ("a", "img", "link", "script", "source"):
                self.links.append(str(a[name]))


def static_links(folder: Path) -> tuple[int, list[str]]:
    """(links checked, broken ones as 'page -> link') over every HTML file of the site."""
    checked, broken = 0, []
    for page in sorted(folder.rglob("*.html")):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            url = urlparse(link)
            if url.scheme or url.netloc or link.startswith("#"):
                continue  # external (not fetched offline) or in-page
            target = (page.parent / unquote(url.path)).resolve()
            checked += 1
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file() or folder.resolve() not in target.parents:
                broken.append(f"{page.relative_to(folder)} -> {link}")
    return checked, broken
