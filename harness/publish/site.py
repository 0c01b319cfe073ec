"""A rendered report as a static site: find it, check it, copy it into a folder.

A report folder (reports/<name>/, see harness/report/render.py) is already a static site:
every link is relative, the only script is the table sorter (allowed by its hash in each
page's CSP) and nothing is fetched from elsewhere. Publishing copies it as is, adds
`.nojekyll` (GitHub Pages would otherwise hide files starting with `_`) and a marker file,
and replaces the destination whole and atomically, so a web server never serves half of an
old site and half of a new one. Before that, harness/publish/guard.py refuses a store or a
site that holds a secret.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.errors import UserError

MARKER = ".gapbench-site"  # written into every published folder; only such folders are replaced
PublishKind = Literal["dir", "git", "hf"]


@dataclass(frozen=True)
class PublishResult:
    kind: PublishKind
    where: str  # folder, "<remote or repository> <branch>", or the dataset URL
    version: str  # "", the commit id, or the Hub commit id
    n_files: int

    def line(self) -> str:
        what = {"dir": "site in", "git": "site on branch", "hf": "results as dataset"}[self.kind]
        at = f" at {self.version[:12]}" if self.version else ""
        return f"published {what} {self.where}{at} ({self.n_files} files)"


def find_report(ref: str | Path, reports_dir: Path) -> Path:
    """A report folder: a path holding index.html, or a report name under reports_dir."""
    candidates = [Path(ref)] if Path(ref).is_dir() else []
    candidates.append(Path(reports_dir) / str(ref))
    for path in candidates:
        if (path / "index.html").is_file():
            return path.resolve()
    raise UserError(
        f"report: no index.html in {candidates[-1]} (render it first: gapbench report {ref})"
    )


def site_files(site: Path) -> list[Path]:
    """Every file of the site, relative, in a stable order."""
    return sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())


def _copy_site(site: Path, target: Path) -> int:
    shutil.copytree(site, target, symlinks=False)
    (target / ".nojekyll").write_text("")
    (target / MARKER).write_text(
        "Published by `gapbench publish`; replaced whole by the next publish.\n"
    )
    return len(site_files(target))


def publish_dir(site: Path, dest: Path) -> PublishResult:
    """Copy the site into dest (replaced whole; refused if dest holds something else)."""
    dest = Path(dest).absolute()
    if dest.exists() and not dest.is_dir():
        raise UserError(f"--to {dest}: exists and is not a folder")
    if dest.is_dir() and any(dest.iterdir()) and not (dest / MARKER).exists():
        raise UserError(
            f"--to {dest}: folder is not empty and was not published by gapbench "
            f"(no {MARKER}); give an empty or new folder"
        )
    if dest == site or site in dest.parents:
        raise UserError(f"--to {dest}: is inside the report itself")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        n = _copy_site(site, staging / "site")
        old = staging / "old"
        if dest.exists():
            os.replace(dest, old)  # two renames: the folder is briefly absent, never mixed
        os.replace(staging / "site", dest)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return PublishResult("dir", str(dest), "", n)
