"""Reader paths through a rendered report, for tests elsewhere (e.g. tests/e2e/test_demo.py).

from tests.report.paths import clicks_to_transcript, first_screen_states_the_answer
pages = clicks_to_transcript(site, model_id="smollm2-135m-instruct", suite="ladder_agentic")
assert len(pages) - 1 <= 3   # clicks from index.html
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

from tests.report._html import read

VERDICTS = ("Supported:", "Contradicted:", "Inconclusive:")


def _is_transcript(page_path: Path, model_id: str, suite: str) -> bool:
    if page_path.parent.name != "samples":
        return False
    html = page_path.read_text(encoding="utf-8")
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', html, re.S)
    return (
        crumbs is not None
        and f">{model_id}<" in crumbs.group(0)
        and f"run on {suite}<" in crumbs.group(0)
        and 'class="transcript"' in html
        and "no transcript was stored" not in html
        and ('class="msg ' in html)
    )


def clicks_to_transcript(
    site: Path, *, model_id: str, suite: str, max_clicks: int = 3
) -> list[Path]:
    """The shortest chain of pages from index.html to a sample page of `model_id` on `suite`
    that shows a stored transcript, following only links a reader can click; [] if none is
    within `max_clicks`."""
    start = (site / "index.html").resolve()
    parent: dict[Path, Path | None] = {start: None}
    queue: deque[tuple[Path, int]] = deque([(start, 0)])
    while queue:
        page, depth = queue.popleft()
        if _is_transcript(page, model_id, suite):
            chain = [page]
            while (back := parent[chain[-1]]) is not None:
                chain.append(back)
            return chain[::-1]
        if depth == max_clicks:
            continue
        for href in read(page).links:
            target = (page.parent / href.split("#")[0]).resolve()
            if href.startswith(("#", "https://")) or target.suffix != ".html":
                continue
            if target not in parent and target.is_file():
                parent[target] = page
                queue.append((target, depth + 1))
    return []


def first_screen_states_the_answer(site: Path) -> str:
    """The verdict sentence of index.html (its h1), checked to be a verdict; no browser."""
    html = (site / "index.html").read_text(encoding="utf-8")
    found = re.search(r'<h1 id="verdict" class="sentence">(.*?)</h1>', html, re.S)
    assert found, "index.html has no verdict sentence"
    sentence = found.group(1).strip()
    assert sentence.startswith(VERDICTS), sentence
    # the primary D with its CI, or the reason it has none
    assert 'id="primary-d"' in html or 'id="primary-d-missing"' in html, "no primary D"
    # nothing but the verdict section comes before it: header, then the answer
    assert html.index('<section class="verdict') < html.index('<nav class="toc"')
    return sentence
