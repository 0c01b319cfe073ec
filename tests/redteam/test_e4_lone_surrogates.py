"""E4's red team of issue 21, a finding outside E4's files (harness/store/), fixed by A3: the
xfail marker is gone.

A model's reply may hold a lone UTF-16 surrogate: JSON allows the escape "\\ud800", and the
OpenAI SDK, httpx and aiohttp decode it into a Python str that UTF-8 cannot encode. Found by
replaying a BFCL reply `[f(unit='units\\ud800')]` through the real path: the sweep worker died
in harness/store/transcripts.py (pyarrow: "surrogates not allowed"), so every row of that
chunk was lost, and no error row says why. Untrusted text should be stored (with the surrogates
replaced, say), never lose its batch.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from harness._types import DeploymentFacts, SampleRecord, Transcript, TranscriptMessage
from harness.store import Store

LONE = "units\ud800"


def _record(i: int, text: str) -> SampleRecord:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    return SampleRecord(
        run_id="r1",
        sample_key=f"r1-{i}",
        sweep_id="s1",
        model_id="m1",
        access="open",
        release_date=date(2025, 6, 1),
        suite="bfcl_simple",
        suite_version="1.2",
        kind="standard",
        task="bfcl_simple",
        sample_id=f"simple_python_{i}",
        epoch=1,
        status="scored",
        engine="lm_eval",
        engine_version="0.4",
        harness_version="0.1",
        facts=DeploymentFacts(deployment_id="m1@fake", provider="openai"),
        score=0.0,
        success=False,
        started_at=now,
        finished_at=now,
        transcript=Transcript(
            messages=(TranscriptMessage(role="assistant", content=text),),
            prompt="p",
            output=text,
        ),
    )


def test_a_reply_with_a_lone_surrogate_is_stored_with_its_batch(tmp_path: Path) -> None:
    store = Store(tmp_path / "results")
    written = store.append_samples([_record(0, "[f(unit='units')]"), _record(1, LONE)])
    assert written == 2
    assert len(store.samples()) == 2
