"""inspect's .eval logs compress their members with zstd, which zipfile reads on Python < 3.14
only after `zipfile_zstd` is imported. A command that masks or scans a log may never import
inspect: masking then raised NotImplementedError on every member and the log kept an echoed
key (found running the ladder study in-process)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import zipfile_zstd  # noqa: F401  (this process writes the log as inspect does)

ZSTD = 93
KEY = "sk-proj-abcdefghijklmnopqrstuvwx"


def test_a_zstd_log_is_masked_by_a_process_that_never_imported_inspect(tmp_path: Path) -> None:
    log = tmp_path / "run.eval"
    with zipfile.ZipFile(log, "w") as zf:
        zf.writestr("samples/1_epoch_1.json", f'{{"error": "401: bad key {KEY}"}}', ZSTD)
    code = (
        "import sys; from pathlib import Path\n"
        "from harness.secrets import find_in_file, mask_file\n"
        "assert 'zipfile_zstd' not in sys.modules and 'inspect_ai' not in sys.modules\n"
        f"p = Path({str(log)!r})\n"
        "print(mask_file(p), find_in_file(p))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "[]"], out.stdout + out.stderr
    with zipfile.ZipFile(log) as zf:
        (info,) = zf.infolist()
        assert info.compress_type == ZSTD  # still a log inspect reads as it wrote it
        assert KEY not in zf.read(info).decode()
