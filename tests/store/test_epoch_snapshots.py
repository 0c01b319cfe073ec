"""A timeline that refreshes itself: `import epoch --from URL` over loopback HTTP, every dump
kept as a snapshot, re-imports that say so, and the store's rows following the newest dump
(two refreshes of the hub replayed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness import exitcodes
from harness.errors import ConfigError, OfflineError, StoreError, UserError
from harness.store import Store
from harness.store.importers import import_epoch
from harness.store.importers.epoch_snapshots import (
    COMPARED,
    find_snapshot,
    latest_snapshot,
    list_snapshots,
    snapshot_frame,
    snapshots_root,
)
from tests.store.epoch_dumps import DUMP_0, DUMP_1, DUMP_2, serve, write_folder, write_zip

SOURCE = "imported:epoch"


def rows(df: pd.DataFrame) -> dict[tuple[str, str], tuple[str, float | None, str]]:
    """(model, suite) -> (status, score, suite_version) of the newest rows."""
    return {
        (r.model_id, r.suite): (r.status, None if pd.isna(r.score) else r.score, r.suite_version)
        for r in df.itertuples()
    }


@pytest.fixture
def site(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    write_zip(folder / "2026-04" / "benchmark_data.zip", DUMP_1())
    write_zip(folder / "2026-05" / "benchmark_data.zip", DUMP_2())
    write_zip(folder / "2026-03" / "benchmark_data.zip", DUMP_0())
    (folder / "not-a-zip.zip").write_text("<html>moved</html>")
    return folder


def test_two_refreshes_over_http(site: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    with serve(site) as base:
        first = import_epoch(f"{base}/2026-04/benchmark_data.zip", store)
        assert (first.rows_written, first.rows_present, first.rows_replaced) == (5, 0, 0)
        assert "kept as snapshot" in first.line()
        second = import_epoch(f"{base}/2026-05/benchmark_data.zip", store)
        again = import_epoch(f"{base}/2026-05/benchmark_data.zip", store)
        older = import_epoch(f"{base}/2026-03/benchmark_data.zip", store)

    # dump 2: one new row (open-new), one revised (open-a), one withdrawn (closed-c), and
    # every row carries the new dump's version (no benchmark split across versions)
    assert second.rows_written == 6 and second.rows_withdrawn == 1
    assert second.rows_replaced == 5 and "1 new rows, 5 replaced (1 withdrawn)" in second.line()
    now = rows(store.samples(source=SOURCE))
    v5 = "epoch-hub-2026-05"
    assert now == {
        ("open-a", "gpqa_diamond"): ("scored", 0.55, v5),
        ("closed-b", "gpqa_diamond"): ("scored", 0.70, v5),
        ("closed-c", "gpqa_diamond"): ("error", None, v5),
        ("open-new", "gpqa_diamond"): ("scored", 0.72, v5),
        ("open-a", "swe_bench_verified"): ("scored", 0.30, v5),
        ("closed-b", "swe_bench_verified"): ("scored", 0.50, v5),
    }
    withdrawn = store.samples(source=SOURCE, model_id="closed-c")
    assert (
        withdrawn["error"].iloc[0].startswith("withdrawn: not in Epoch hub dump epoch-hub-2026-05")
    )

    # the same dump again: a no-op that says so
    assert again.rows_written == 0 and again.rows_present == 5
    assert "already imported: snapshot" in again.line() and "nothing written" in again.line()
    # an older dump is kept for the timeline; the current rows stay the newest dump's
    assert older.rows_written == 0 and "older than snapshot" in older.line()
    assert rows(store.samples(source=SOURCE)) == now

    snaps = list_snapshots(store.root)
    assert [s.dump_version for s in snaps] == [
        "epoch-hub-2026-03", "epoch-hub-2026-04", "epoch-hub-2026-05"
    ]  # fmt: skip
    assert [str(s.data_as_of) for s in snaps] == ["2026-03-05", "2026-04-10", "2026-05-12"]
    assert all(s.source.startswith("http://127.0.0.1:") for s in snaps)
    assert [s.rows for s in snaps] == [4, 5, 5]
    assert latest_snapshot(store.root) == snaps[-1]
    # the history is intact: every snapshot's rows, as the importer made them then
    april = snapshot_frame(store.root, snaps[1].id)
    assert rows(april)[("open-a", "gpqa_diamond")] == ("scored", 0.50, "epoch-hub-2026-04")
    assert ("closed-c", "gpqa_diamond") in rows(april)


def test_current_rows_equal_the_newest_snapshot(site: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    import_epoch(site / "2026-04" / "benchmark_data.zip", store)
    import_epoch(site / "2026-05" / "benchmark_data.zip", store)
    current = store.samples(source=SOURCE)
    current = current[current["status"] == "scored"].set_index("sample_key")
    newest = snapshot_frame(store.root, latest_snapshot(store.root)).set_index("sample_key")  # type: ignore[arg-type]
    assert set(current.index) == set(newest.index)
    cols = list(COMPARED)
    pd.testing.assert_frame_equal(current.loc[newest.index, cols], newest[cols])


def test_snapshot_frame_is_what_the_importer_stores(tmp_path: Path) -> None:
    """snapshot_frame gives exactly the rows (and dtypes) an import into an empty store holds."""
    dump = write_zip(tmp_path / "d1.zip", DUMP_1())
    store = Store(tmp_path / "results")
    import_epoch(dump, store)
    stored = store.samples(source=SOURCE).set_index("sample_key").sort_index()
    frame = snapshot_frame(store.root, list_snapshots(store.root)[0].id)
    frame = frame.set_index("sample_key").sort_index()
    assert list(frame.columns) == list(stored.columns)
    assert (frame.dtypes == stored.dtypes).all()
    cols = [c for c in frame.columns if c not in ("attempt", "written_at")]
    pd.testing.assert_frame_equal(frame[cols], stored[cols])


def test_the_same_files_zipped_or_not_are_one_snapshot(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    import_epoch(write_folder(tmp_path / "unpacked", DUMP_1()), store)
    again = import_epoch(write_zip(tmp_path / "packed.zip", DUMP_1(), folder="x"), store)
    assert again.rows_written == 0 and "already imported" in again.line()
    (snap,) = list_snapshots(store.root)
    kept = snapshots_root(store.root) / snap.id / "benchmark_data.zip"
    assert kept.is_file()  # a folder is kept as a zip of its files
    assert find_snapshot(store.root, snap.sha256[:8]) == snap


def test_replace_rewrites_even_a_kept_dump(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    dump = write_zip(tmp_path / "d1.zip", DUMP_1())
    import_epoch(dump, store)
    forced = import_epoch(dump, store, replace=True)
    assert forced.rows_written == 5 and forced.rows_replaced == 5


def test_offline_url_is_one_line_exit_3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GAPBENCH_OFFLINE", "1")
    store = Store(tmp_path / "results")
    with pytest.raises(OfflineError) as err:
        import_epoch("http://127.0.0.1:9/benchmark_data.zip", store)
    assert err.value.exit_code == exitcodes.OFFLINE == 3
    assert "offline" in str(err.value) and "--from PATH" in str(err.value)
    assert "\n" not in str(err.value) and not store.root.exists()


def test_bad_urls_are_one_line_and_store_nothing(site: Path, tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    with serve(site) as base:
        with pytest.raises(UserError, match="HTTP 404"):
            import_epoch(f"{base}/nothing-here.zip", store)
        with pytest.raises(ConfigError, match="not a zip"):
            import_epoch(f"{base}/not-a-zip.zip", store)
    assert list_snapshots(store.root) == [] and not store.files("samples")


def test_a_broken_snapshot_file_is_named(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    import_epoch(write_zip(tmp_path / "d1.zip", DUMP_1()), store)
    (snap,) = list_snapshots(store.root)
    meta = snapshots_root(store.root) / snap.id / "snapshot.json"
    meta.write_text("{not json")
    with pytest.raises(StoreError) as err:
        list_snapshots(store.root)
    assert str(meta) in str(err.value) and "\n" not in str(err.value)


def test_cli_imports_a_url_and_says_a_reimport_is_a_no_op(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.cli.conftest import gapbench_subprocess

    results = tmp_path / "results"
    with serve(site) as base:
        url = f"{base}/2026-04/benchmark_data.zip"
        args = ("import", "epoch", "--from", url, "--results-dir", str(results))
        first = gapbench_subprocess(*args)
        second = gapbench_subprocess(*args)
        offline = gapbench_subprocess(*args, env={"GAPBENCH_OFFLINE": "1"})
    assert first.returncode == 0, first.stderr
    assert "imported 5 new rows" in first.stdout and "kept as snapshot" in first.stdout
    assert second.returncode == 0 and "already imported" in second.stdout
    assert offline.returncode == 3
    lines = [ln for ln in offline.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "offline" in lines[0] and "Traceback" not in offline.stderr
