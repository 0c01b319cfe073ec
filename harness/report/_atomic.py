"""Write a whole directory so that readers see the old version or the new one, never a mix.

The report is rendered into a hidden sibling temp directory (same file system, so renames are
atomic) and then swapped in with two renames: old -> hidden backup, temp -> target. A crash
while rendering leaves the published report untouched; between the two renames the target is
briefly absent (microseconds), but never half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import UserError

# Written into every report. Only a directory carrying it (or an empty one) is ever replaced,
# so a mistyped output path can never wipe an unrelated directory.
MARKER = ".gapbench-report"
STALE_AFTER_S = 3600.0


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield an empty temp directory; on clean exit it replaces `target` as a whole."""
    target = Path(target).resolve()
    _check_replaceable(target)
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    try:
        # mkdtemp makes 0700; a published report must be readable by a web server like any
        # directory the user would have created.
        tmp.chmod(0o777 & ~_umask())
        (tmp / MARKER).write_text(
            "rendered by gapbench; this directory is replaced whole on re-render\n"
        )
        yield tmp
        _check_replaceable(target)  # re-check: something may have appeared while rendering
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _remove_stale(target: Path, max_age_s: float = STALE_AFTER_S) -> None:
    """Delete temp/backup siblings left by a render that was killed (SIGKILL, power loss).

    Only old ones: a young one may belong to a render running right now in another process.
    """
    now = time.time()
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for leftover in target.parent.glob(pattern):
            try:
                if now - leftover.stat().st_mtime > max_age_s:
                    shutil.rmtree(leftover, ignore_errors=True)
            except FileNotFoundError:
                pass  # another render cleaned it first


def _check_replaceable(target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        return
    if (
        target.is_dir()
        and not target.is_symlink()
        and ((target / MARKER).is_file() or not any(target.iterdir()))
    ):
        return
    raise UserError(f"{target}: exists and is not a gapbench report; refusing to replace it")


def _swap(new: Path, target: Path) -> None:
    if not target.exists() and not target.is_symlink():
        os.rename(new, target)
        return
    backup = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:8]}"
    os.rename(target, backup)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(backup, target)  # put the previous report back rather than leave nothing
        raise
    shutil.rmtree(backup, ignore_errors=True)
