"""Secrets never cross into storage (issue 18.2): the masker, the store's writes, the scan of a
whole results folder and the scrub of an old one."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.errors import UserError
from harness.secrets import find_secrets, mask, mask_file, register_key_names, secret_values
from harness.store import Store
from harness.store.rows import samples_table
from harness.store.secret_scan import scan_store, scrub_store
from harness.sweep.lock import sweep_lock
from tests.store.helpers import put, run, samples

KEY = "gw-canary-7f3a9c1e5b2d4f6a8c0e"  # no known shape: only its variable's value finds it
SHAPED = "sk-ant-api03-canaryCANARYcanary0123"


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("MY_GATEWAY_CREDENTIAL", KEY)  # a name no suffix rule would catch
    monkeypatch.delenv("GAPBENCH_SECRET_ENV_NAMES", raising=False)
    register_key_names(["MY_GATEWAY_CREDENTIAL"])  # as the executor does for deployments
    return KEY


def test_masks_keep_json_valid_and_name_the_kind_never_the_value(key_env: str) -> None:
    assert KEY in secret_values()
    body = json.dumps(
        {
            "error": {
                "message": f"bad key {KEY}, also {SHAPED}",
                "headers": {"authorization": "Bearer tok_0123456789abcdef", "x-api-key": KEY},
            }
        }
    )
    for text in (body, json.dumps({"detail": body})):  # as sent, and escaped once more
        masked = mask(text)
        assert json.loads(masked)  # still JSON
        assert KEY not in masked and SHAPED not in masked and "tok_0123456789abcdef" not in masked
        assert "[masked:key-value]" in masked and "[masked:anthropic-key]" in masked
        assert find_secrets(masked) == [] and mask(masked) == masked
    assert set(find_secrets(body)) >= {"key-value", "anthropic-key", "bearer"}
    assert not any(KEY in kind for kind in find_secrets(body))
    assert mask("the model said EMPTY and sk-") == "the model said EMPTY and sk-"


@pytest.mark.parametrize("prefix", ["", "u:", "us:", "user:"])
def test_a_key_an_upstream_echoes_in_base64_is_masked(key_env: str, prefix: str) -> None:
    # A3's fault server echoed the client's key base64-encoded (as an HTTP Basic header
    # would carry it): it reached the samples table and lm-eval's raw files unmasked.
    encoded = base64.b64encode(f"{prefix}{KEY}".encode()).decode()
    for text in (f"401: rejected Basic {encoded}", f"echo={encoded.translate(URLSAFE)}"):
        assert "key-value" in find_secrets(text)
        masked = mask(text)
        assert "[masked:key-value]" in masked and find_secrets(masked) == []


URLSAFE = str.maketrans("+/", "-_")


def test_the_store_masks_rows_transcripts_and_run_records_as_it_writes(
    tmp_path: Path, key_env: str
) -> None:
    from dataclasses import replace

    from harness._types import Transcript, TranscriptMessage

    store = Store(tmp_path)
    tr = Transcript(
        messages=(TranscriptMessage("user", f"echo {KEY}"),),
        output=f"Authorization: Bearer {SHAPED}",
        traceback=f"openai.AuthenticationError: Incorrect API key provided: {KEY}",
    )
    recs = samples(2, status="error", error=f"401 invalid key {KEY}", transcript=tr)
    store.append_samples(recs)
    store.append_run(replace(run(), message=f"failed: {KEY}"))
    assert scan_store(tmp_path) == []
    assert store.samples()["error"].tolist() == ["401 invalid key [masked:key-value]"] * 2
    [t] = store.transcripts([recs[0].sample_key]).values()
    assert t.messages[0].content == "echo [masked:key-value]" and KEY not in (t.traceback or "")
    assert store.runs()["message"].tolist() == ["failed: [masked:key-value]"]


def _plant(root: Path) -> None:
    """Secrets an older gapbench (or a hand) left: a table file, raw logs, an .eval zip."""
    tbl = samples_table(samples(3, run_id="old", status="error", error=f"echo {KEY}"))
    put(tbl, root / "samples" / "arith" / "2026-01-01")
    raw = root / "raw" / "demo" / "arith"
    raw.mkdir(parents=True)
    (raw / "samples_arith.jsonl").write_text(json.dumps({"resp": f"x-api-key: {SHAPED}"}) + "\n")
    with zipfile.ZipFile(raw / "log.eval", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("header.json", json.dumps({"ok": True}))
        zf.writestr("samples/1_epoch_1.json", json.dumps({"error": f"key {KEY} refused"}))


def test_scan_finds_every_planted_secret_and_scrub_removes_them_keeping_the_rest(
    tmp_path: Path, key_env: str
) -> None:
    _plant(tmp_path)
    before = Store(tmp_path).samples()
    found = scan_store(tmp_path)
    places = {(f.file.split("/")[0], f.where.split("/")[0], f.kind) for f in found}
    assert ("samples", "samples.error", "key-value") in places
    assert ("raw", "", "auth-header") in places  # the jsonl file itself
    assert ("raw", "samples", "key-value") in places  # inside the compressed .eval member
    assert not any(KEY in str(f) or SHAPED in str(f) for f in found)

    summary = scrub_store(tmp_path)
    assert summary.cells == 3 and summary.parquet_files == 1 and summary.other_files == 2
    assert scan_store(tmp_path) == []
    after = Store(tmp_path).samples()
    assert len(after) == len(before) and set(after["error"]) == {"echo [masked:key-value]"}
    assert after.drop(columns="error").equals(before.drop(columns="error"))
    with zipfile.ZipFile(tmp_path / "raw" / "demo" / "arith" / "log.eval") as zf:
        assert zf.namelist() == ["header.json", "samples/1_epoch_1.json"]
        assert json.loads(zf.read("header.json")) == {"ok": True}
    part = next((tmp_path / "samples").rglob("*.parquet"))
    assert pq.read_schema(part).metadata[b"gapbench_table"] == b"samples"  # metadata kept
    assert scrub_store(tmp_path).cells == 0  # nothing left to do
    assert mask_file(part) == 0


def test_scrub_refuses_while_a_sweep_runs_on_the_folder(tmp_path: Path, key_env: str) -> None:
    _plant(tmp_path)
    with sweep_lock(tmp_path, "nightly"), pytest.raises(UserError, match="nightly is running"):
        scrub_store(tmp_path)
    assert len(scan_store(tmp_path)) >= 3  # untouched
