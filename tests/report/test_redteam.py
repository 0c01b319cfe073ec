"""B2's red team of issue 18 on the report: payloads other than tests/report/hostile.py's.

- a tool call nested 100,000 brackets deep ended the whole report ("input nested too deeply",
  exit 2): one sample must not take the report down;
- a raw folder swapped for a link to another folder after the paths were checked (TOCTOU):
  the copy must not follow it;
- inspect .eval logs are published only as zips anyone can unzip safely and the publish scan
  can read whole: no '../' or absolute member names (zip slip), no bombs, no compression
  Python cannot read.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from harness.report import _format as fmt
from harness.report.drill import copy_raw_logs
from harness.report.inputs import RawLog
from harness.store import rawpaths

SECRET = "-----BEGIN OPENSSH PRIVATE KEY----- b2-canary"


def test_deeply_nested_json_is_shown_as_sent() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert fmt.pretty_json(deep) == deep
    assert fmt.pretty_json('{"a": [1]}') == '{\n  "a": [\n    1\n  ]\n}'


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _deflate64(data: bytes) -> bytes:
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", out, out.find(sig) + offset, 9)
    return bytes(out)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    run = tmp_path / "results" / "raw" / "demo" / "suite" / "model" / "run1"
    run.mkdir(parents=True)
    (run / "results_1.json").write_text('{"results": {}}')
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "results_1.json").write_text(SECRET)
    return tmp_path / "results"


def test_a_folder_swapped_for_a_link_after_collect_is_not_copied(
    store: Path, tmp_path: Path
) -> None:
    run = store / "raw" / "demo" / "suite" / "model" / "run1"
    log = RawLog("run1", run / "results_1.json", "results_1.json", root=store)
    site = tmp_path / "site"
    assert copy_raw_logs((log,), site, {"run1": "runs/run1.html"})["run1"][0]["href"]
    # collect checked the paths; before the copy the run's folder becomes a link out
    run.rename(run.with_name("moved"))
    run.symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    site2 = tmp_path / "site2"
    assert copy_raw_logs((log,), site2, {"run1": "runs/run1.html"}) == {}
    assert not any(SECRET.encode() in p.read_bytes() for p in site2.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"../../../.bashrc": b"evil"}, "a member named"),  # zip slip
        ({"/etc/cron.d/x": b"evil"}, "a member named"),
        ({"a\\..\\..\\x": b"evil"}, "a member named"),  # Windows separators
        ({"big.json": b"\0" * 2_000_001}, "decompressed"),  # a bomb (the limit made 2 MB)
    ],
)
def test_eval_logs_that_are_unsafe_to_unzip_are_not_published(
    store: Path,
    tmp_path: Path,
    members: dict[str, bytes],
    why: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rawpaths, "EVAL_MAX_UNCOMPRESSED", 2_000_000)
    run = store / "raw" / "demo" / "suite" / "model" / "run1"
    (run / "x.eval").write_bytes(_zip({"header.json": b"{}", **members}))
    listing = rawpaths.list_raw(store, run)
    assert [f.rel.rsplit("/", 1)[1] for f in listing.files] == ["results_1.json"]
    assert any("x.eval" in line and why in line for line in listing.left_out), listing
    # and checked again when copied
    log = RawLog("run1", run / "x.eval", "x.eval", root=store)
    assert copy_raw_logs((log,), tmp_path / "site", {"run1": "runs/run1.html"}) == {}


def test_an_eval_log_in_a_compression_nothing_can_check_is_not_published(store: Path) -> None:
    run = store / "raw" / "demo" / "suite" / "model" / "run1"
    (run / "x.eval").write_bytes(_deflate64(_zip({"header.json": b"{}"})))
    (run / "ok.eval").write_bytes(_zip({"header.json": b"{}", "samples/1.json": b"[]"}))
    listing = rawpaths.list_raw(store, run)
    assert sorted(f.rel.rsplit("/", 1)[1] for f in listing.files) == ["ok.eval", "results_1.json"]
    assert any("x.eval" in line and "cannot be checked" in line for line in listing.left_out)


def test_raw_kind_never_blocks_on_a_fifo(store: Path) -> None:
    # a fifo named like an .eval (put in place after an lstat) is refused, not waited on
    fifo = store / "raw" / "demo" / "suite" / "model" / "run1" / "x.eval"
    os.mkfifo(fifo)
    assert rawpaths.raw_kind(fifo, 100) is None


def test_a_poisoned_figure_cache_is_drawn_again_not_published(tmp_path: Path) -> None:
    # the figure cache lives outside the report (GAPBENCH_CACHE_DIR, possibly shared): an
    # entry that is a link (to any file) or an SVG with script is not copied into a report
    from harness.report.figures import FigureJob, render_figures

    minutes = pd.DataFrame(
        {
            "benchmark": ["metr_time_horizons"] * 2,
            "kind": ["agentic"] * 2,
            "model_id": ["c1", "o1"],
            "access": ["closed", "open"],
            "release_date": pd.to_datetime(["2024-03-14", "2025-02-01"]),
            "minutes": [5.4, 54.0],
            "log2_minutes": [2.43, 5.75],
            "frontier": [True, True],
        }
    )
    jobs = [FigureJob("horizon_minutes", "figures/m.svg", minutes)]
    cache = tmp_path / "cache"
    render_figures(jobs, tmp_path / "a", cache_dir=cache)
    (svg,) = cache.glob("*.svg")
    good = svg.read_bytes()
    (tmp_path / "id_rsa").write_text(SECRET)
    poisons = {
        "a link": None,
        "script": good.replace(b"</svg>", b"<script>alert(1)</script></svg>"),
        "a handler": good.replace(b"<svg ", b'<svg onload="alert(1)" ', 1),
        "a link out": good.replace(b"</svg>", b'<image href="https://evil.example/x"/></svg>'),
    }
    for what, bad in poisons.items():
        svg.unlink()
        if bad is None:
            svg.symlink_to(tmp_path / "id_rsa")
        else:
            svg.write_bytes(bad)
        site = tmp_path / what.replace(" ", "-")
        render_figures(jobs, site, cache_dir=cache)
        assert (site / "figures" / "m.svg").read_bytes() == good, what
    assert not svg.is_symlink() and svg.read_bytes() == good  # the entry drawn again


def test_a_compressible_store_does_not_become_gigabytes_of_pages(tmp_path: Path) -> None:
    # a store compresses repeated text a thousandfold: 100 KB of store held 20 MB fields
    # (messages, prompt, tool arguments, errors) and rendered 611 MB of sample pages and
    # 20 MB run CSVs; each page's text is now bounded and says what it left out
    from dataclasses import replace

    import pyarrow as pa

    from harness._types import ToolCall, Transcript, TranscriptMessage
    from harness.report import drill, render_report
    from tests.report.conftest import make_input

    big = "A<b>" * 250_000  # 1 M characters, 1.7 MB once escaped
    huge = Transcript(
        messages=(
            TranscriptMessage("user", big),
            TranscriptMessage("assistant", big, tool_calls=(ToolCall("c", "f", big),)),
            *[TranscriptMessage("tool", "x")] * 3000,
        ),
        prompt=big,
        output=big,
        metadata=big,
        traceback=big,
    )
    report = make_input(tmp_path, with_answer=False)
    samples = report.samples.assign(error=big)
    every = pa.Table.from_pandas(samples[["run_id", "sample_key", "error"]], preserve_index=False)
    transcripts = {"transcripts": lambda keys: dict.fromkeys(keys, huge)}
    for name, fields in {"all": {"all_samples": every}, "shown": {}}.items():
        site = tmp_path / name
        render_report(replace(report, samples=samples, **transcripts, **fields), site)
        pages = list((site / "samples").glob("*.html"))
        assert pages
        for page in pages:
            html = page.read_text(encoding="utf-8")
            assert len(html) < 3 * drill.PAGE_TEXT_BUDGET, (page.name, len(html))
            assert "1,000,000 characters" in html and "more messages are not shown" in html
        for csv in (site / "runs").glob("*.csv"):
            assert csv.stat().st_size < 100 * drill.CSV_TEXT_MAX, csv.name


def test_page_names_never_collide_on_a_case_insensitive_file_system() -> None:
    # 'GPT-4o' from an imported store would overwrite the page of 'gpt-4o' on macOS/Windows
    names = ["gpt-4o", "GPT-4o", "Gpt-4o", "gpt-4O", "con", "CON", "nul.txt", "LPT1"]
    stems = [fmt.slug(n) for n in names]
    assert len({s.casefold() for s in stems}) == len(names), stems
    assert fmt.slug("gpt-4o") == "gpt-4o"  # plain lower-case names keep their stem
    for name, stem in zip(names[4:], stems[4:], strict=True):  # Windows device names
        assert stem.split(".")[0] not in ("con", "nul", "lpt1"), (name, stem)


ZSTD_CHECK = """
import json, shutil, sys, zipfile
from pathlib import Path
assert "zipfile_zstd" not in sys.modules and "inspect_ai" not in sys.modules
from harness.publish import guard
from harness.store import rawpaths
real, site = Path(sys.argv[1]), Path(sys.argv[2])
out = {}
with real.open("rb") as fh:
    out["problem"] = rawpaths.eval_problem(fh)
(site / "raw").mkdir(parents=True)
shutil.copy(real, site / "raw" / "real.eval")
out["clean"] = [f.line() for f in guard.scan_site(site, ())]
with zipfile.ZipFile(site / "raw" / "keyed.eval", "w", compression=rawpaths.ZIP_ZSTANDARD) as z:
    z.writestr("header.json", json.dumps({"error": "bad key sk-proj-" + "Zz9" * 12}))
out["keyed"] = [f.line() for f in guard.scan_site(site, ())]
print(json.dumps(out))
"""


def test_inspect_logs_zstd_members_are_read_where_inspect_is_not_imported(
    tmp_path: Path,
) -> None:
    # inspect writes .eval members with zstd (method 93), which zipfile reads only after
    # zipfile_zstd is imported; report and publish never import inspect: its real logs must
    # still be published, and a key in them still found
    import json
    import subprocess
    import sys

    real = Path(__file__).parents[1] / "store" / "data" / "inspect" / "tiny_arith.eval"
    with zipfile.ZipFile(real) as zf:
        assert {i.compress_type for i in zf.infolist()} == {rawpaths.ZIP_ZSTANDARD}
    done = subprocess.run(
        [sys.executable, "-c", ZSTD_CHECK, str(real), str(tmp_path / "site")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    out = json.loads(done.stdout)
    assert out["problem"] is None and out["clean"] == [], out
    assert out["keyed"] == ["raw/keyed.eval:header.json (openai-key)"], out
