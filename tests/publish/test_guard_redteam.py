"""B2's red team of issue 18: ways to carry a key past `publish`'s scan of the site, each
refused. A report folder is any folder handed to `publish`; what the scan cannot read whole
(a link, an archive in a compression it cannot read, a member whose CRC lies, a bomb) is a
finding too, never passed as clean."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import struct
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from harness.cli import main
from harness.publish import guard

KEY = "sk-proj-" + "Qx7" * 12  # an OpenAI-shaped key
SLASHED = "gwKey/7f3a+9c1e=55d0"  # a key value with '/', '+' and '=' (base64 alphabet)


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _method(data: bytes, method: int) -> bytes:
    """The zip with every member's compression method field set to `method` (local and
    central headers), as a deflate64 archive made by another tool would say."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        at = out.find(sig)
        while at != -1:
            struct.pack_into("<H", out, at + offset, method)
            at = out.find(sig, at + 4)
    return bytes(out)


def _bad_crc(data: bytes) -> bytes:
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        at = out.find(sig)
        struct.pack_into("<I", out, at + offset, 0xDEADBEEF)
    return bytes(out)


def _kinds(site: Path, values: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    return {f.where: f.kinds for f in guard.scan_site(site, values)}


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        # a key in a member stored in a compression Python cannot read (deflate64): its
        # bytes are compressed, so a text scan of them finds nothing
        ("raw/r/a.eval", _method(_zip({"m.json": KEY.encode() * 50}), 9), "cannot be checked"),
        # a member whose CRC lies: zipfile refuses it, unzip warns and extracts it
        ("raw/r/b.eval", _bad_crc(_zip({"m.json": KEY.encode() * 50})), "cannot be checked"),
        ("raw/r/c.log.txt", f"err {KEY}".encode("utf-16"), "openai-key"),  # UTF-16 text
        ("raw/r/d.json.txt", gzip.compress(KEY.encode()), "openai-key"),
        ("raw/r/e.json.txt", bz2.compress(KEY.encode()), "openai-key"),
        ("raw/r/f.json.txt", lzma.compress(KEY.encode()), "openai-key"),
        ("raw/r/g.eval", _zip({"inner.zip": _zip({"x": KEY.encode()})}), "openai-key"),  # nested
        ("raw/r/h.log.txt", b"plain log\n" + _zip({"x": KEY.encode()}), "openai-key"),  # appended
        ("data/i.csv", _zip({"x": KEY.encode()}), "openai-key"),  # a zip whatever its name
        ("raw/r/j.log.txt", f"GET /v1?key={quote(SLASHED, safe='')}".encode(), "key-value"),
        ("raw/r/k.json.txt", b'{"k": "gwKey\\/7f3a+9c1e=55d0"}', "key-value"),  # PHP's JSON
    ],
    ids=lambda v: v if isinstance(v, str) and "/" in v else "",
)
def test_a_key_hidden_in_an_encoding_or_an_archive_is_found_or_refused(
    tmp_path: Path, name: str, data: bytes, kind: str
) -> None:
    site = tmp_path / "site"
    (site / name).parent.mkdir(parents=True)
    (site / "index.html").write_text("<p>fine</p>")
    (site / name).write_bytes(data)
    found = _kinds(site, (SLASHED,))
    assert list(found) and all(where.startswith(name) for where in found), found
    assert any(k.startswith(kind) for kinds in found.values() for k in kinds), found


def test_bombs_and_oversized_members_are_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "MAX_SCAN_BYTES", 100_000)
    site = tmp_path / "site"
    site.mkdir()
    (site / "bomb.json.txt").write_bytes(gzip.compress(b"\0" * 1_000_000))
    (site / "big.eval").write_bytes(_zip({"m.json": b" " * 200_000 + KEY.encode()}))
    found = _kinds(site)
    assert set(found) == {"bomb.json.txt", "big.eval:m.json"}, found
    assert all(k[0].startswith("cannot be checked") for k in found.values()), found


def test_a_clean_site_passes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "raw").mkdir(parents=True)
    (site / "index.html").write_text("<p>export OPENAI_API_KEY=…</p>")
    (site / "raw" / "run.eval").write_bytes(_zip({"header.json": b"{}", "s/1.json": b"[]"}))
    (site / "raw" / "x.json.txt").write_bytes(gzip.compress(b'{"fine": 1}'))
    assert guard.scan_site(site, (SLASHED,)) == []


def test_publish_refuses_a_report_with_a_link_it_would_follow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # shutil.copytree (the folder and git targets) copies what a link points to: a report
    # folder with a link in it would publish any file; the scan refuses it
    (tmp_path / "secret").write_text("-----BEGIN OPENSSH PRIVATE KEY-----")
    site = tmp_path / "reports" / "r"
    (site / "raw" / "run").mkdir(parents=True)
    (site / "index.html").write_text("<p>fine</p>")
    (site / "raw" / "run" / "log.json.txt").symlink_to(tmp_path / "secret")
    (site / "data").symlink_to(tmp_path, target_is_directory=True)
    capsys.readouterr()
    code = main(["publish", "r", "--to", str(tmp_path / "www"),
                 "--results-dir", str(tmp_path / "results"),
                 "--reports-dir", str(tmp_path / "reports")])  # fmt: skip
    out = capsys.readouterr()
    lines = [ln for ln in (out.err + out.out).splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1, lines
    assert "cannot be checked" in lines[0] and "a symbolic link" in lines[0], lines
    assert not (tmp_path / "www").exists()


WRITE_ZSTD_LOG = """
import json, sys, zipfile, zipfile_zstd
with zipfile.ZipFile(sys.argv[1], "w", compression=93) as z:
    z.writestr("header.json", json.dumps({"error": "bad key sk-proj-" + "Zz9" * 12}))
"""
GUARD = """
import sys
from pathlib import Path
assert "zipfile_zstd" not in sys.modules and "inspect_ai" not in sys.modules
from harness.errors import UserError
from harness.publish.guard import refuse_secrets
try:
    refuse_secrets(results_dir=Path(sys.argv[1]))
except UserError as exc:
    print(exc)
"""


def test_publish_finds_a_key_in_the_stores_inspect_log_as_inspect_writes_it(
    tmp_path: Path,
) -> None:
    # inspect writes .eval members with zstd (method 93), which zipfile reads only once
    # zipfile_zstd is imported; publish never imports inspect (so: fresh processes)
    import subprocess
    import sys

    log = tmp_path / "results" / "raw" / "s" / "suite" / "m" / "r1" / "log.eval"
    log.parent.mkdir(parents=True)
    subprocess.run([sys.executable, "-c", WRITE_ZSTD_LOG, str(log)], check=True)
    done = subprocess.run(
        [sys.executable, "-c", GUARD, str(tmp_path / "results")],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
    )  # fmt: skip
    assert "publish: refused: the store" in done.stdout and "openai-key" in done.stdout, done
