"""A key the upstream echoes reaches no file gapbench writes (issue 18.2, 18.6): a gateway that
repeats the client's key in its 401 body and in its error JSON, met by both SDKs (OpenAI
protocol, Anthropic protocol) through both engines (lm-eval on a standard suite, inspect on
an agentic one) in a real sweep, then the report. Every file written under the results,
cache and reports folders is scanned for the key, as bytes, as UTF-16 and inside zip
archives (inspect's .eval logs are compressed): zero hits.

The key has no known shape and its variable's name no known suffix: only the deployments'
own key variables (registered by the executor) can mask it."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness import api, exitcodes
from harness.store.secret_scan import scan_store
from tests.fakeapi import FakeAPI
from tests.sweep.conftest import sweep_file, workspace

CANARY = "gw-Canary-5e6f7a8b9c0d1e2f3a4b"
KEY_ENV = "GATEWAY_CREDENTIAL"


def hits(root: Path, needle: str) -> list[str]:
    """Every file (or zip member) under root whose bytes hold `needle`."""
    forms = [needle.encode(), needle.encode("utf-16-le")]
    out = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        data = path.read_bytes()
        if any(f in data for f in forms):
            out.append(str(path.relative_to(root)))
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if any(f in zf.read(info) for f in forms):
                        out.append(f"{path.relative_to(root)}:{info.filename}")
    return out


def test_hits_looks_inside_compressed_archives(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "log.eval", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("samples/1.json", f'{{"error": "{CANARY}"}}' * 50)
    assert CANARY.encode() not in (tmp_path / "log.eval").read_bytes()  # compressed away
    assert hits(tmp_path, CANARY) == ["log.eval:samples/1.json"]


@pytest.fixture
def gateway() -> Iterator[FakeAPI]:
    """Accepts the key for model listings (the preflight passes), then answers every
    completion 401 with the key in its message and in the headers it says it got."""
    with FakeAPI(api_key=CANARY) as fake:
        fake.set_echo_key(True)
        fake.set_faults(1.0, kinds=("401",))
        yield fake


@pytest.mark.slow  # both engines start for real (about 30 s on 2 busy cores)
def test_an_echoed_key_reaches_no_file_through_both_sdks_and_both_engines(
    tmp_path: Path, gateway: FakeAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api = gateway
    monkeypatch.setenv(KEY_ENV, CANARY)
    monkeypatch.delenv("GAPBENCH_SECRET_ENV_NAMES", raising=False)  # registered afresh
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    ws = workspace(tmp_path, fake_api)
    data = yaml.safe_load(ws.settings.registry_path.read_text())
    for dep in data["deployments"]:
        dep["api_key_env"] = KEY_ENV
    ws.settings.registry_path.write_text(yaml.safe_dump(data, sort_keys=False))
    ws = api.workspace(ws.settings)
    body = "name: echo\nmodels: [fake-gpt, fake-claude]\n"
    body += "suites: [ladder_standard, ladder_agentic]\nlimit: 1\n"
    out = api.run_sweep(sweep_file(tmp_path, body), ws=ws)
    assert out.exit_code == exitcodes.PARTIAL
    assert {r.status for r in out.runs} == {"failed"} and len(out.runs) == 4
    assert fake_api.outcomes()["401"] >= 4  # the gateway did answer, and echoed, each
    api.build_report("echo", ws=ws, sweep="echo")
    written = [ws.settings.results_dir, ws.settings.cache_dir, ws.settings.reports_dir]
    assert all(any(p.is_file() for p in d.rglob("*")) for d in written)
    for folder in written:
        assert hits(folder, CANARY) == [], folder
    assert scan_store(ws.settings.results_dir) == []
    # What the errors say instead: the key was there, masked.
    errors = api.results(ws=ws).samples["error"].dropna().tolist()
    assert any("[masked:key-value]" in e for e in errors), errors[:3]
