"""A tiny HTML reader for tests (stdlib only): tables as text cells, links, images, text."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class Table:
    caption: str = ""
    head: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_headers: list[str] = field(default_factory=list)  # scope attribute of each row's th

    def row(self, *needles: str) -> list[str]:
        """The single row whose cells contain every needle (as whole cells)."""
        hits = [r for r in self.rows if all(n in r for n in needles)]
        assert len(hits) == 1, f"{needles}: {len(hits)} rows in {self.caption!r}"
        return hits[0]

    def column(self, name: str) -> list[str]:
        i = self.head.index(name)
        return [r[i] for r in self.rows]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[Table] = []
        self.links: list[str] = []
        self.images: list[dict[str, str]] = []
        self.text: list[str] = []
        self._stack: list[Table] = []
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._in_caption = False
        self._in_thead = False
        self._skip = 0  # inside <style>/<script>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "table":
            self._stack.append(Table())
        elif tag == "caption":
            self._in_caption = True
        elif tag == "thead":
            self._in_thead = True
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
            if tag == "th" and not self._in_thead and self._stack:
                self._stack[-1].row_headers.append(a.get("scope", ""))
        elif tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "img":
            self.images.append(a)
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "table":
            self.tables.append(self._stack.pop())
        elif tag == "caption":
            self._in_caption = False
        elif tag == "thead":
            self._in_thead = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            t = self._stack[-1]
            if self._in_thead:
                t.head = self._row
            else:
                t.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._in_caption and self._stack:
            self._stack[-1].caption += data
        elif self._cell is not None:
            self._cell.append(data)


@dataclass
class Page:
    path: Path
    html: str
    tables: list[Table]
    links: list[str]
    images: list[dict[str, str]]
    text: str

    def table(self, caption_start: str) -> Table:
        hits = [t for t in self.tables if " ".join(t.caption.split()).startswith(caption_start)]
        assert len(hits) == 1, f"{caption_start!r}: {[t.caption for t in self.tables]}"
        return hits[0]


def read(path: Path) -> Page:
    html = path.read_text(encoding="utf-8")
    r = _Reader()
    r.feed(html)
    r.close()
    return Page(path, html, r.tables, r.links, r.images, " ".join("".join(r.text).split()))
