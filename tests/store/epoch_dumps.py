"""Small Epoch hub dumps in Epoch's own format (the zip of CSVs), and a loopback HTTP server
that publishes them: two refreshes of the hub, replayed.

Dump 1 (2026-04) and dump 2 (2026-05) differ the way real refreshes do: dump 2 revises a
score (open-a on GPQA 0.50 -> 0.55), drops a row (closed-c's GPQA run), adds a model
(open-new) and carries newer run dates; the SWE-bench rows stay as they were.
"""

from __future__ import annotations

import csv
import io
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

INDEX_COLUMNS = ["Model version", "ECI Score", "Release date", "Organization", "Country",
                 "Model accessibility", "Training compute (FLOP)", "Confidence", "Model name",
                 "Description", "Display name"]  # fmt: skip
MODELS = {
    "open-a": ("2025-06-01", "Open weights (unrestricted)"),
    "closed-b": ("2025-03-01", "API access"),
    "closed-c": ("2025-09-01", "API access"),
    "open-new": ("2026-04-20", "Open weights (restricted use)"),
}
# (model, score, id) per benchmark file, per dump
GPQA_1 = [("open-a", 0.50, "g1"), ("closed-b", 0.70, "g2"), ("closed-c", 0.60, "g3")]
GPQA_2 = [("open-a", 0.55, "g1"), ("closed-b", 0.70, "g2"), ("open-new", 0.72, "g4")]
SWE = [("open-a", 0.30, "s1"), ("closed-b", 0.50, "s2")]


def _csv(columns: list[str], rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def dump_files(month: int, gpqa: list[tuple[str, float, str]], started: str) -> dict[str, bytes]:
    readme = (
        "# Epoch AI Benchmarking Hub\n@misc{EpochLLMBenchmarkingHub2024,\n"
        f"  year = {{2026}},\n  month = {{{month:02d}}},\n}}\n"
    )
    index = [
        {"Model version": m, "Release date": d, "Organization": "Lab", "Country": "X",
         "Model accessibility": a, "Model name": m, "Display name": m.upper()}
        for m, (d, a) in MODELS.items()
        if m != "open-new" or month >= 5
    ]  # fmt: skip
    bench_cols = ["Model version", "mean_score", "Release date", "stderr", "Started at", "id"]
    gpqa_rows = [
        {"Model version": m, "mean_score": s, "stderr": 0.03, "Started at": started, "id": i}
        for m, s, i in gpqa
    ]
    swe_rows = [
        {"Model version": m, "mean_score": s, "stderr": 0.02, "Started at": "2026-03-01T10:00:00Z",
         "id": i}
        for m, s, i in SWE
    ]  # fmt: skip
    return {
        "README.md": readme.encode(),
        "epoch_capabilities_index.csv": _csv(INDEX_COLUMNS, index),
        "gpqa_diamond.csv": _csv(bench_cols, gpqa_rows),
        "swe_bench_verified.csv": _csv(bench_cols, swe_rows),
    }


DUMP_1 = partial(dump_files, 4, GPQA_1, "2026-04-10T12:00:00Z")
DUMP_2 = partial(dump_files, 5, GPQA_2, "2026-05-12T12:00:00Z")
DUMP_0 = partial(dump_files, 3, GPQA_1[:2], "2026-03-05T12:00:00Z")  # older than both


def write_zip(path: Path, files: dict[str, bytes], folder: str = "benchmark_data") -> Path:
    """The dump as Epoch publishes it: a zip, its files in one folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"{folder}/{name}", data)
    return path


def write_folder(path: Path, files: dict[str, bytes]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
