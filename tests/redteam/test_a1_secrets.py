"""B2's red team of issue 18, findings in A1's areas (harness/secrets.py, store/secret_scan.py),
fixed by A3 (the xfail markers are gone: each test now guards its fix):

- key shapes that are not masked when the key's value is not in this process's environment
  (an upstream echoing its own key, a gateway's key, a key pasted into a prompt);
- a known key value written URL-encoded or with '/' JSON-escaped is not masked;
- `scan_store` (behind `results --check` and `publish`) does not see text in some places a
  store file can hold it. Severity: the raw .eval and UTF-16 cases are published by a report
  (the publish guard's own site scan refuses them: tests/publish/test_guard_redteam.py);
  the Parquet cases are not read by the store (a dictionary or binary column is skipped with
  a warning; schema metadata is never shown), so they only make `results --check` incomplete.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.secrets import mask
from harness.store.secret_scan import scan_store

SLASHED = "gwKey/7f3a+9c1e=55d0"  # a key value with '/', '+' and '=' (base64 alphabet)
SHAPED = "sk-proj-" + "Rb4" * 12


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("API key not valid: AIzaSyD-1234567890abcdefghijklmnopqrstu", "AIzaSyD-1234567890abcdef"),
        ("token ghp_1234567890abcdefghijklmnopqrstuvwxyzAB", "ghp_1234567890abcdefghij"),
        ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github_pat_11ABCDEFG01"),
        ("slack xoxb-1234567890-1234567890123-abcdefghijklmnopqrstuvwx", "abcdefghijklmnopqrstuvwx"),
        ("aws AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
        ('{"api_key": "gw7f3a9c1e55d04b2a99"}', "gw7f3a9c1e55d04b2a99"),
        ("GET /v1/models?key=gw7f3a9c1e55d04b2a99&alt=json", "gw7f3a9c1e55d04b2a99"),
        ("GET /v1/models?api_key=gw7f3a9c1e55d04b2a99", "gw7f3a9c1e55d04b2a99"),
        ("base_url https://alice:gw7f3a9c1e55d04b2a99@gw.example/v1", "gw7f3a9c1e55d04b2a99"),
        ("Ocp-Apim-Subscription-Key: gw7f3a9c1e55d04b2a99", "gw7f3a9c1e55d04b2a99"),
    ],
    ids=["google", "github", "github-pat", "slack", "aws", "api_key-json", "key-query",
         "api_key-query", "url-userinfo", "azure-apim"],
)  # fmt: skip
def test_common_key_shapes_are_masked_without_knowing_the_value(text: str, secret: str) -> None:
    assert secret not in mask(text, ())


@pytest.mark.parametrize(
    "text",
    [f"GET /v1?key={quote(SLASHED, safe='')}", json.dumps({"k": SLASHED}).replace("/", "\\/")],
    ids=["url-encoded", "json-escaped-slash"],
)
def test_a_known_key_value_is_masked_however_it_is_escaped(text: str) -> None:
    masked = mask(text, (SLASHED,))
    assert "7f3a" not in masked, masked


def _zip_deflate64(data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("samples/1.json", data)
    out = bytearray(buf.getvalue())
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        struct.pack_into("<H", out, out.find(sig) + offset, 9)
    return bytes(out)


def _store_with(tmp_path: Path, what: str) -> Path:
    root = tmp_path / "results"
    (root / "samples").mkdir(parents=True)
    (root / "raw" / "s" / "r").mkdir(parents=True)
    if what == "dictionary column":
        col = pa.array([f"401: bad key {SHAPED}", "ok"]).dictionary_encode()
        pq.write_table(pa.table({"error": col}), root / "samples" / "x.parquet")
    elif what == "binary column":
        col = pa.array([f"401: bad key {SHAPED}".encode(), b"ok"], pa.binary())
        pq.write_table(pa.table({"error": col}), root / "samples" / "x.parquet")
    elif what == "schema metadata":
        table = pa.table({"error": ["ok"]}).replace_schema_metadata({"note": SHAPED})
        pq.write_table(table, root / "samples" / "x.parquet")
    elif what == "deflate64 member":
        (root / "raw" / "s" / "r" / "log.eval").write_bytes(_zip_deflate64(SHAPED.encode() * 9))
    elif what == "utf-16 log":
        (root / "raw" / "s" / "r" / "server.log").write_bytes(f"key {SHAPED}".encode("utf-16"))
    return root


@pytest.mark.parametrize(
    "what",
    ["dictionary column", "binary column", "schema metadata", "deflate64 member", "utf-16 log"],
)
def test_scan_store_finds_a_key_wherever_a_store_file_holds_it(tmp_path: Path, what: str) -> None:
    # a finding may be the key's kind or 'cannot be checked': never silence
    assert scan_store(_store_with(tmp_path, what), ()) != []


WRITE_ZSTD_LOG = """
import json, sys, zipfile, zipfile_zstd
with zipfile.ZipFile(sys.argv[1], "w", compression=93) as z:
    z.writestr("header.json", json.dumps({"error": "bad key sk-proj-" + "Zz9" * 12}))
"""


def test_results_check_finds_a_key_in_an_inspect_log_as_inspect_writes_it(
    tmp_path: Path,
) -> None:
    # inspect writes .eval members with zstd (method 93); zipfile reads them only after
    # `zipfile_zstd` is imported, which `gapbench results --check` and `--scrub` never do:
    # the member is then scanned as its compressed bytes (nothing found) and never masked.
    # (A process that imported inspect, like this test session, reads them: hence the
    # subprocesses.)
    import subprocess
    import sys

    log = tmp_path / "results" / "raw" / "s" / "suite" / "m" / "r1" / "log.eval"
    log.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", WRITE_ZSTD_LOG, str(log)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from harness.cli import main; sys.exit(main())",
         "results", "--check", "--results-dir", str(tmp_path / "results")],
        capture_output=True, text=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert "openai-key" in done.stdout + done.stderr, done.stdout + done.stderr
