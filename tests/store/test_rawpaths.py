"""harness/store/rawpaths.py: a store's raw paths confined to its raw/ folder, only known raw
types listed, and `results --check` naming the run records that point elsewhere."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from harness._types import RunRecord
from harness.store import Store
from harness.store.rawpaths import (
    BadRawPath,
    RawFile,
    check_raw_paths,
    confine,
    layout_path,
    list_raw,
    open_below,
    run_folder,
    server_logs,
)


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("header.json", "{}")
    return buf.getvalue()


ZIP = _zip()  # an inspect log is a zip that can be read (anything else is not published)


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results folder with a run's raw folder, and a secret beside it (outside raw/)."""
    root = tmp_path / "results"
    run = root / "raw" / "demo" / "ladder" / "org" / "model" / "run1"
    run.mkdir(parents=True)
    (run / "log.eval").write_bytes(ZIP)
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "id_rsa").write_text("PRIVATE KEY")
    return root


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("/etc", "absolute"),
        ("C:/Windows", "absolute"),
        ("raw/../../secret", "'..'"),
        ("raw/demo/../../..", "'..'"),
        ("runs", "not below"),
        ("samples/x", "not below"),
        ("raw\\..\\secret", "backslash"),
        ("raw/a\x00b", "NUL"),
        ("", "empty"),
        ("raw/" + "a" * 5000, "characters"),
    ],
)
def test_paths_that_leave_raw_are_refused(results: Path, value: str, why: str) -> None:
    with pytest.raises(BadRawPath, match=why):
        confine(results, value)


def test_symlinks_fifos_and_loops_are_refused(results: Path, tmp_path: Path) -> None:
    raw = results / "raw"
    (raw / "out").symlink_to(tmp_path / "secret")
    with pytest.raises(BadRawPath, match="symbolic link"):
        confine(results, "raw/out")
    with pytest.raises(BadRawPath, match="symbolic link"):
        confine(results, "raw/out/id_rsa")
    (raw / "loop").symlink_to(raw / "loop")
    with pytest.raises(BadRawPath, match="symbolic link"):
        confine(results, "raw/loop/x")
    os.mkfifo(raw / "pipe")
    with pytest.raises(BadRawPath, match="fifo"):
        confine(results, "raw/pipe")
    # raw itself a link: a store handed over with raw -> /home/someone is refused whole
    other = tmp_path / "other"
    other.mkdir()
    (other / "raw").symlink_to(tmp_path / "secret")
    with pytest.raises(BadRawPath, match="symbolic link"):
        confine(other, "raw/id_rsa")


def test_a_confined_path_is_found_or_is_none(results: Path) -> None:
    where = confine(results, layout_path("demo", "ladder", "org/model") + "/run1")
    assert where == results / "raw/demo/ladder/org/model/run1"
    assert confine(results, "raw/demo/missing") is None
    assert confine(results, "raw/demo/ladder/org/model/run1/log.eval/below") is None


def test_only_known_raw_types_are_listed_under_names_that_do_not_render(
    results: Path, tmp_path: Path
) -> None:
    run = results / "raw" / "demo" / "ladder" / "org" / "model" / "run1"
    for name in (
        "pwn.html",
        "pwn.HTML",
        "pwn.htm",
        "pwn.xhtml",
        "pwn.svg",
        "pwn.js",
        "pwn.txt",
        "noext",
        "pwn.json.html",
    ):
        (run / name).write_text("<script>alert(1)</script>")
    (run / "fake.eval").write_text("<html><script>alert(1)</script>")  # not a zip
    (run / "results_2026.json").write_text("{}")
    (run / "pwn.html.json").write_text("<html><script>alert(1)</script>")
    (run / "samples_x.JSONL").write_text("{}\n")
    (run / "link.json").symlink_to(tmp_path / "secret" / "id_rsa")
    (run / "dir-link").symlink_to(tmp_path / "secret")
    os.mkfifo(run / "pipe.json")
    listing = list_raw(results, run)
    names = {f.rel.rsplit("/", 1)[1]: f.published_name for f in listing.files}
    assert names == {
        "log.eval": "log.eval",
        "results_2026.json": "results_2026.json.txt",
        "pwn.html.json": "pwn_html.json.txt",
        "samples_x.JSONL": "samples_x.jsonl.txt",
    }
    left = "\n".join(listing.left_out)
    for name in ("pwn.html", "pwn.svg", "pwn.js", "fake.eval", "link.json", "dir-link", "pipe"):
        assert name in left
    assert all(f.path.resolve().is_relative_to(results / "raw") for f in listing.files)


def test_server_logs_are_matched_by_name_never_by_a_glob(results: Path) -> None:
    logs = results / "raw" / "server-logs"
    logs.mkdir()
    (logs / "org_model@llama-cpp-8080.log").write_text("started")
    (logs / "other-1.log").write_text("x")
    found = server_logs(results, "org/model@llama-cpp")
    assert [f.path.name for f in found] == ["org_model@llama-cpp-8080.log"]
    assert server_logs(results, "*") == [] and server_logs(results, "../../x") == []
    assert isinstance(found[0], RawFile) and found[0].published_name.endswith(".log.txt")


def test_results_check_lists_run_records_that_point_elsewhere(results: Path) -> None:
    store = Store(results)
    for run_id, raw in (
        ("run1", "raw/demo/ladder/org/model/run1"),
        ("evil", "/home"),
        ("up", "raw/../.."),
    ):
        store.append_run(
            RunRecord(
                run_id=run_id,
                attempt_id="a",
                sweep_id="demo",
                model_id="m",
                deployment_id="d",
                suite="ladder",
                suite_version="1",
                engine="inspect",
                engine_version="x",
                spec_json="{}",
                status="complete",
                n_planned=1,
                n_scored=1,
                n_error=0,
                n_limit=0,
                started_at=datetime(2026, 1, 1, tzinfo=UTC),
                harness_version="x",
                raw_path=raw,
            )
        )
    lines = check_raw_paths(results)
    assert len(lines) == 2
    assert any("run evil" in line and "absolute" in line for line in lines)
    assert any("run up" in line and "'..'" in line for line in lines)
    assert all(line in store.check() for line in lines)


# -- B2 (red team of issue 18): a run's folder, and paths swapped after the check -----------


@pytest.mark.parametrize(
    ("value", "recorded", "why"),
    [
        ("raw", True, "not a run's folder"),  # every raw file of the store
        ("raw/./.", True, "not a run's folder"),
        (layout_path(".", ".", "."), False, "not a run's folder"),  # names that are dots
        ("raw/demo", True, "not a run's folder"),  # a whole sweep
        ("raw/server-logs/x", True, "server-logs"),  # every deployment's server logs
        (layout_path("server-logs", "s", "m"), False, "server-logs"),
        ("raw/demo/ladder/org/model/other-run", True, "run's id"),  # another run's logs
    ],
)
def test_a_run_cannot_claim_more_than_its_own_folder(
    results: Path, value: str, recorded: bool, why: str
) -> None:
    (results / "raw" / "demo" / "ladder" / "org" / "model" / "other-run").mkdir()
    with pytest.raises(BadRawPath, match=why):
        run_folder(results, "run1", value, recorded=recorded)
    own = run_folder(results, "run1", "raw/demo/ladder/org/model/run1", recorded=True)
    assert own == results / "raw/demo/ladder/org/model/run1"
    assert run_folder(results, "x", layout_path("demo", "ladder", "org/model"), recorded=False)


def test_a_folder_swapped_for_a_link_after_the_check_is_not_followed(
    results: Path, tmp_path: Path
) -> None:
    run = results / "raw" / "demo" / "ladder" / "org" / "model" / "run1"
    (run / "results.json").write_text("{}")
    log = run_folder(results, "run1", "raw/demo/ladder/org/model/run1", recorded=True)
    assert log is not None
    fd = open_below(results, log / "results.json")
    os.close(fd)
    # the check passed; now the folder becomes a link to a secret folder with the same name
    (tmp_path / "secret" / "results.json").write_text("PRIVATE KEY")
    run.rename(run.with_name("moved"))
    run.symlink_to(tmp_path / "secret")
    with pytest.raises(BadRawPath, match="run1: not a folder"):
        open_below(results, log / "results.json")
    # and the file itself swapped for a fifo: refused without blocking
    run.unlink()
    run.mkdir()
    os.mkfifo(run / "results.json")
    with pytest.raises(BadRawPath, match="not a regular file"):
        open_below(results, log / "results.json")
