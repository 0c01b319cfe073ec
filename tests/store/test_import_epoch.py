"""The Epoch AI Benchmarking Hub dump in ../shared/data imports with known facts intact."""

from __future__ import annotations

import json
import shutil
import zipfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import ConfigError, OfflineError
from harness.store import Store
from harness.store.importers import import_epoch
from harness.store.importers.epoch import access_of, load_mapping
from tests.fixtures.epoch import epoch_dump_dir

DUMP = epoch_dump_dir()
needs_dump = pytest.mark.skipif(not DUMP.is_dir(), reason="Epoch dump not available")


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, pd.DataFrame]:
    if not DUMP.is_dir():
        pytest.skip("Epoch dump not available")
    store = Store(tmp_path_factory.mktemp("epoch"))
    summary = import_epoch(DUMP, store)
    assert summary.rows_written > 2000 and summary.rows_present == 0
    return store, store.samples(source="imported:epoch")


def _one(df: pd.DataFrame, model: str, suite: str) -> pd.Series:
    hit = df[(df.model_id == model) & (df.suite == suite)]
    assert len(hit) == 1, (model, suite, len(hit))
    return hit.iloc[0]


@needs_dump
def test_known_rows(imported: tuple[Store, pd.DataFrame]) -> None:
    _, df = imported
    r1 = _one(df, "DeepSeek-R1", "gpqa_diamond")
    assert r1.access == "open" and r1.kind == "standard"
    assert r1.score == pytest.approx(0.6922348484848484)
    assert r1.release_date.date() == date(2025, 1, 20)
    extra = json.loads(r1.extra)
    assert extra["organisation"] == "DeepSeek" and float(extra["stderr"]) == pytest.approx(
        0.0307, abs=1e-4
    )

    o1 = _one(df, "o1-preview-2024-09-12", "gpqa_diamond")
    assert o1.access == "closed" and o1.score == pytest.approx(0.5031565656565656)
    assert o1.release_date.date() == date(2024, 9, 12)
    assert json.loads(o1.extra)["display_name"] == "o1-preview"

    # the same model under two version strings: each joins to its own index row
    oss_gpqa = _one(df, "openai/gpt-oss-120b_high", "gpqa_diamond")
    oss_metr = _one(df, "gpt-oss-120b", "metr_time_horizons")
    assert oss_gpqa.access == oss_metr.access == "open"
    assert oss_gpqa.release_date == oss_metr.release_date == pd.Timestamp("2025-08-05")
    assert oss_metr.kind == "agentic" and oss_metr.score == pytest.approx(41.983451)
    assert json.loads(oss_metr.extra)["unit"] == "minutes"

    swe = _one(df, "claude-opus-4-5-20251101", "swe_bench_bash_only")
    assert swe.access == "closed" and swe.kind == "agentic" and swe.score == pytest.approx(0.768)
    aider = _one(df, "gpt-oss-120b_high", "aider_polyglot")
    assert aider.score == pytest.approx(0.418)  # percent in the file, a fraction here


@needs_dump
def test_rows_are_aggregates_marked_imported(imported: tuple[Store, pd.DataFrame]) -> None:
    store, df = imported
    assert set(df.sample_id) == {"__aggregate__"} and set(df.epoch) == {1}
    assert set(df.status) == {"scored"} and set(df.sweep_id) == {""}
    assert set(df.access) == {"open", "closed"} and df.sample_key.is_unique
    assert store.samples(source="own").empty
    # blank accessibility in the index is not guessed: Claude Opus 4.7 (xhigh) is left out
    assert "claude-opus-4-7_xhigh" not in set(df.model_id)
    # left-out benchmarks (Elo, points) never enter
    assert not {"webdev_arena", "geobench", "lech_mazur_writing"} & set(df.suite)
    fractions = df[df.suite != "metr_time_horizons"]
    assert fractions.score.between(0, 1).all()


@needs_dump
def test_reimport_adds_nothing(imported: tuple[Store, pd.DataFrame]) -> None:
    store, df = imported
    again = import_epoch(DUMP, store)
    assert again.rows_written == 0 and again.rows_present == len(df)
    assert len(store.samples()) == len(df)


@needs_dump
def test_zip_gives_the_same_rows(tmp_path: Path, imported: tuple[Store, pd.DataFrame]) -> None:
    _, df = imported
    archive = tmp_path / "benchmark_data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in DUMP.iterdir():
            zf.write(f, f"benchmark_data/{f.name}")
    store = Store(tmp_path / "results")
    summary = import_epoch(archive, store)
    assert summary.rows_written == len(df)
    assert set(store.samples().sample_key) == set(df.sample_key)


def test_mapping_is_complete_and_reasoned() -> None:
    mapping = load_mapping()
    suites = [b.suite for b in mapping.benchmarks]
    assert len(suites) == len(set(suites))
    assert all(b.reason.strip() for b in mapping.benchmarks)
    kinds = {b.suite: b.kind for b in mapping.benchmarks}
    assert kinds["gpqa_diamond"] == "standard" and kinds["swe_bench_verified"] == "agentic"
    if DUMP.is_dir():
        files = {p.name for p in DUMP.glob("*.csv")} - {"epoch_capabilities_index.csv"}
        assert files == {b.file for b in mapping.benchmarks}


def test_access_rule() -> None:
    assert access_of("Open weights (non-commercial)") == "open"
    assert access_of("API access") == "closed"
    assert access_of("Hosted access (no API)") == "closed"
    assert access_of("Unreleased") is None and access_of(float("nan")) is None


def test_offline_without_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(OfflineError) as info:
        import_epoch(
            None, Store(tmp_path), url="http://127.0.0.1:9/benchmark_data.zip", timeout_s=1
        )
    assert "--from PATH" in str(info.value) and "\n" not in str(info.value)


@needs_dump
def test_malformed_dump_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "dump"
    shutil.copytree(DUMP, broken)
    (broken / "gpqa_diamond.csv").write_text("Model version,other\nx,1\n")
    with pytest.raises(ConfigError) as info:
        import_epoch(broken, Store(tmp_path / "results"))
    assert "gpqa_diamond.csv" in str(info.value) and "mean_score" in str(info.value)
    assert not Store(tmp_path / "results").files("samples")  # nothing half-imported
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match=r"junk\.zip"):
        import_epoch(tmp_path / "junk.zip", Store(tmp_path / "results"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="not an Epoch dump"):
        import_epoch(tmp_path / "empty", Store(tmp_path / "r2"))
