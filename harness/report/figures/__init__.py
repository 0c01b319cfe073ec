"""The report's figures: drawers, and a runner that caches by table hash and draws in parallel.

A page asks for a figure with a `FigureJob` (drawer name + the exact table to draw). The
runner writes the table as CSV beside the SVG (every figure's data is downloadable), looks
the SVG up in the cache by the hash of (drawer, parameters, table CSV, figure code), and
draws only the misses, in worker processes when there are many.

Tables hold names a store or an import wrote: the CSV's string cells are neutralised for
spreadsheets, and the drawers get the names with invisible characters shown as escapes (a
bidirectional override in a model name would otherwise reorder an axis label) and clipped to
LABEL_MAX characters.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import stat
import sys
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from harness._text import clip, csv_safe_frame, visible
from harness.report.figures import _style, history, scores, timeline, verdict
from harness.report.figures._types import Drawn, FigureFile, FigureJob

DRAWERS: dict[str, Callable[..., Drawn | None]] = {
    "spec_curve": verdict.spec_curve,
    "understatement": verdict.understatement,
    "gap_over_time": timeline.gap_over_time,
    "suite_timeline": timeline.suite_timeline,
    "horizon_minutes": timeline.horizon_minutes,
    "score_bars": scores.score_bars,
    "horizon_steps": scores.horizon_steps,
    "drift": scores.drift,
    "d_history": history.d_history,
}

# Below this many figures to draw, worker start-up costs more than it saves.
PARALLEL_MIN = 12
_CAN_FORK = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _Result:
    svg: bytes | None
    alt: str = ""
    caption: str = ""


def _code_hash() -> str:
    """Hash of the figure code and matplotlib version: a code change invalidates the cache."""
    h = hashlib.sha256(matplotlib.__version__.encode())
    here = Path(__file__).parent
    for path in sorted(here.glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


_CODE_HASH = _code_hash()


def draw(drawer: str, table: Any, params: tuple[tuple[str, str], ...]) -> _Result:
    """Draw one figure to SVG bytes (runs in a worker process or inline)."""
    # the style must hold while saving too: svg.fonttype is read when the SVG is written
    with matplotlib.rc_context(_style.RC):  # type: ignore[arg-type]
        drawn = DRAWERS[drawer](_labels_shown(table), **{k: _label(v) for k, v in params})
        if drawn is None:
            return _Result(None)
        svg = _style.to_svg(drawn.fig)
    return _Result(svg, drawn.alt, drawn.caption)


LABEL_MAX = 120  # characters of a name drawn in a figure (a store may hold a 1 MB model id)


def _label(value: Any) -> Any:
    return clip(visible(value), LABEL_MAX) if isinstance(value, str) else value


def _labels_shown(table: Any) -> Any:
    """The table with every text cell's invisible characters made visible and very long
    names clipped (what is drawn; the CSV beside the figure keeps the data whole)."""
    if not isinstance(table, pd.DataFrame):
        return table
    out = table
    for col in table.columns:
        series = table[col]
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):  # analysis reads text as categoricals
            labels = [_label(c) for c in dtype.categories]
            if len(set(labels)) == len(labels):  # keep the categories' order
                fixed = series.cat.rename_categories(labels)
            else:
                fixed = series.astype(object).map(_label)
        elif dtype.kind == "O":  # object and pandas' string dtypes
            fixed = series.map(_label)
        else:
            continue
        if out is table:
            out = table.copy()
        out[col] = fixed
    return out


def _key(job: FigureJob, csv: bytes) -> str:
    h = hashlib.sha256()
    for part in (_CODE_HASH, job.drawer, json.dumps(job.params)):
        h.update(part.encode())
        h.update(b"\0")
    h.update(csv)
    return h.hexdigest()[:32]


class _Cache:
    def __init__(self, root: Path | None) -> None:
        self.root = root
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> _Result | None:
        """A cached figure, or None (drawn again) when the entry is missing, is not a plain
        file (a link could bring any file into the report), or its SVG holds anything a
        matplotlib figure never does (script, event handlers, foreign content, links out):
        the cache folder is outside the report and may have been written by someone else."""
        if self.root is None:
            return None
        try:
            info = json.loads(_read_plain(self.root / f"{key}.json", 1 << 20))
            if not isinstance(info, dict):
                return None
            if info.get("empty") is True:
                return _Result(None)
            alt, caption = info["alt"], info["caption"]
            svg = _read_plain(self.root / f"{key}.svg", SVG_MAX_BYTES)
        except (OSError, ValueError, KeyError):
            return None
        if not (isinstance(alt, str) and isinstance(caption, str)) or not inert_svg(svg):
            return None
        return _Result(svg, alt, caption)

    def put(self, key: str, result: _Result) -> None:
        if self.root is None:
            return
        # svg first, then its json: a reader that finds the json finds a whole svg
        if result.svg is not None:
            _write_atomic(self.root / f"{key}.svg", result.svg)
        info = (
            {"empty": True}
            if result.svg is None
            else {"alt": result.alt, "caption": result.caption}
        )
        _write_atomic(self.root / f"{key}.json", json.dumps(info).encode())


SVG_MAX_BYTES = 50 * 2**20
# What a figure matplotlib drew never holds (its only references are '#id' within the file).
_ACTIVE_SVG = re.compile(
    rb"<\s*(?:script|foreignObject|iframe|embed|object|handler|listener|animate|set)\b"
    rb"|\son[a-z]+\s*="
    rb"|javascript:|<!ENTITY|@import"
    rb"|href\s*=\s*[\"'](?!#)"
    rb"|url\(\s*[\"']?(?!#)",
    re.IGNORECASE,
)


def inert_svg(svg: bytes) -> bool:
    """True when `svg` holds nothing that runs or loads (see _ACTIVE_SVG)."""
    return svg.lstrip().startswith(b"<?xml") and _ACTIVE_SVG.search(svg) is None


def _read_plain(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, opened without following a link or blocking on a fifo."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ValueError("not a regular file")
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError("too large")
    return data


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def render_figures(
    jobs: Sequence[FigureJob],
    root: Path,
    *,
    cache_dir: Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> dict[str, FigureFile | None]:
    """Write every job's CSV and SVG under `root`; return rel path -> FigureFile (None: no data)."""
    cache = _Cache(cache_dir)
    out: dict[str, FigureFile | None] = {}
    todo: list[tuple[FigureJob, str]] = []
    done = 0
    for job in jobs:
        csv = csv_safe_frame(job.table).to_csv(index=False).encode("utf-8")
        csv_rel = job.rel.removesuffix(".svg") + ".csv"
        target = root / job.rel
        target.parent.mkdir(parents=True, exist_ok=True)
        (root / csv_rel).write_bytes(csv)
        key = _key(job, csv)
        hit = cache.get(key)
        if hit is None:
            todo.append((job, key))
            continue
        out[job.rel] = _place(root, job.rel, csv_rel, hit)
        done += 1
    if progress:
        progress(done, len(jobs))
    n_workers = min(workers or _workers(), len(todo))
    if n_workers >= 2 and len(todo) >= PARALLEL_MIN and _CAN_FORK:
        # fork: workers start in milliseconds with matplotlib already imported (a fresh
        # interpreter per worker costs seconds on a busy machine); they only draw
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            futures = [
                (job, key, pool.submit(draw, job.drawer, job.table, job.params))
                for job, key in todo
            ]
            for job, key, fut in futures:
                done += 1
                out[job.rel] = _finish(root, job, key, fut.result(), cache)
                if progress:
                    progress(done, len(jobs))
    else:
        for job, key in todo:
            done += 1
            out[job.rel] = _finish(root, job, key, draw(job.drawer, job.table, job.params), cache)
            if progress:
                progress(done, len(jobs))
    return out


def _finish(
    root: Path, job: FigureJob, key: str, result: _Result, cache: _Cache
) -> FigureFile | None:
    cache.put(key, result)
    return _place(root, job.rel, job.rel.removesuffix(".svg") + ".csv", result)


def _place(root: Path, rel: str, csv_rel: str, result: _Result) -> FigureFile | None:
    if result.svg is None:
        (root / csv_rel).unlink(missing_ok=True)
        return None
    (root / rel).write_bytes(result.svg)
    return FigureFile(rel, csv_rel, result.alt, result.caption)


__all__ = ["DRAWERS", "Drawn", "FigureFile", "FigureJob", "render_figures"]
