"""`gapbench results`: summary counts and exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from harness.store import Store
from harness.store.query import SUMMARY_COLUMNS, export, summary
from tests.store.helpers import sample, samples


def test_summary_counts_statuses_and_averages_scored_only(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples(
        [
            sample(sample_id="a", score=1.0, cost_usd=0.5),
            sample(sample_id="b", score=0.0, cost_usd=0.25),
            sample(sample_id="c", status="error"),
            sample(sample_id="d", status="limit"),
            *samples(2, run_id="run-b", model_id="gpt-x", access="closed", score=0.5),
        ]
    )
    df = summary(store)
    assert list(df.columns) == SUMMARY_COLUMNS
    mine = df[df.model_id == "smollm2-135m-instruct"].iloc[0]
    assert (mine.rows, mine.scored, mine.errors, mine.limits) == (4, 2, 1, 1)
    assert mine.mean_score == 0.5 and mine.cost_usd == 0.75
    other = df[df.model_id == "gpt-x"].iloc[0]
    assert other.access == "closed" and other.mean_score == 0.5 and pd.isna(other.cost_usd)


def test_summary_of_empty_store(tmp_path: Path) -> None:
    df = summary(Store(tmp_path))
    assert df.empty and list(df.columns) == SUMMARY_COLUMNS


def test_export_csv_and_parquet(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    store.append_samples(samples(5))
    assert export(store, tmp_path / "out" / "all.parquet", "parquet") == 5
    assert pq.read_table(tmp_path / "out" / "all.parquet").num_rows == 5
    assert export(store, tmp_path / "out" / "all.csv", "csv") == 5
    back = pd.read_csv(tmp_path / "out" / "all.csv")
    assert len(back) == 5 and "sample_key" in back.columns
    assert not list((tmp_path / "out").glob(".*.tmp"))
