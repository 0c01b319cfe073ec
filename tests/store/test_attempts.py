"""Newest attempt wins in every read; earlier attempts stay as history; transcripts follow
the winning attempt; sweep membership makes a reused row part of a second sweep."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from harness._types import Transcript, TranscriptMessage
from harness.store import Store
from harness.store.query import export, summary
from tests.store.helpers import sample, samples


def _t(text: str) -> Transcript:
    return Transcript(
        messages=(
            TranscriptMessage(role="user", content="q"),
            TranscriptMessage(role="assistant", content=text),
        ),
        output=text,
    )


def test_an_errored_key_is_written_again_and_the_retry_wins_everywhere(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = sample(sample_id="a", status="error", transcript=_t("timeout"))
    store.append_samples([first, sample(sample_id="b", score=0.0, transcript=_t("wrong"))])
    # a second run of both: only the errored key is written (attempt 2); b stays as it was
    retry = [
        sample(sample_id="a", score=1.0, transcript=_t("right")),
        sample(sample_id="b", score=1.0),
    ]
    assert store.append_samples(retry) == 1
    df = Store(tmp_path).samples().set_index("sample_id")
    assert (df.loc["a", "status"], df.loc["a", "score"], df.loc["a", "attempt"]) == (
        "scored",
        1.0,
        2,
    )
    assert (df.loc["b", "score"], df.loc["b", "attempt"]) == (0.0, 1)
    history = store.query("SELECT sample_id, attempt, status FROM samples_all ORDER BY attempt")
    assert history.to_pylist()[-1] == {"sample_id": "a", "attempt": 2, "status": "scored"}
    assert len(history) == 3
    assert store.sample_status(["run-a"]) == {
        first.sample_key: "scored",
        retry[1].sample_key: "scored",
    }
    # the transcript of the winning attempt, not the error's
    got = store.transcripts([first.sample_key, retry[1].sample_key])
    assert got[first.sample_key].output == "right" and got[retry[1].sample_key].output == "wrong"
    # summary and exports see the newest attempt
    row = summary(store).iloc[0]
    assert (row.rows, row.scored, row.errors) == (2, 2, 0)
    assert export(store, tmp_path / "out.parquet") == 2
    assert set(pd.read_parquet(tmp_path / "out.parquet").attempt) == {1, 2}
    # still newest after compaction (history kept)
    store.compact()
    assert Store(tmp_path).samples().set_index("sample_id").loc["a", "status"] == "scored"
    assert len(Store(tmp_path).query("SELECT * FROM samples_all")) == 3


def test_a_retry_that_errors_again_is_a_third_attempt(tmp_path: Path) -> None:
    store = Store(tmp_path)
    for _ in range(3):
        store.append_samples([sample(status="error")])
    assert list(store.samples().attempt) == [3]


def test_replace_policies(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples(samples(3, score=0.0))
    assert store.append_samples(samples(3, score=1.0), replace="none") == 0
    assert store.append_samples(samples(3, score=1.0)) == 0  # "errors": none errored
    assert store.append_samples(samples(3, score=1.0), replace="all") == 3
    df = store.samples()
    assert set(df.score) == {1.0} and set(df.attempt) == {2}


def test_canary_rows_are_marked(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append_samples([sample(sample_id="c", canary=True), sample(sample_id="n")])
    df = store.samples().set_index("sample_id")
    assert bool(df.loc["c", "canary"]) and not bool(df.loc["n", "canary"])
    assert str(df.canary.dtype) == "boolean"


def test_sweep_membership(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = samples(4)  # written by sweep "demo"
    store.append_samples(first)
    keys = [r.sample_key for r in first[:3]]
    planned_not_stored = "k-not-yet"
    assert store.add_sweep_members("nightly", [*keys, planned_not_stored]) == 4
    assert store.add_sweep_members("nightly", keys) == 0  # idempotent
    assert len(store.samples(sweep_id="demo")) == 4
    assert set(store.samples(sweep_id="nightly").sample_key) == set(keys)
    # a later row of a member key written by the nightly sweep itself
    late = dataclasses.replace(sample(sample_id="z"), sweep_id="nightly")
    store.append_samples([late])
    assert len(store.samples(sweep_id="nightly")) == 4
    assert (
        len(store.samples(sweep_id="nightly", suite="arith", model_id="smollm2-135m-instruct")) == 4
    )
    table = summary(store).set_index("sweep_id")
    assert table.loc["nightly", "rows"] == 4 and table.loc["demo", "rows"] == 4
    raw = pd.read_parquet(tmp_path / "membership")
    assert set(raw.sweep_id) == {"nightly"} and len(raw) == 4
