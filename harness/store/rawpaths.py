"""Raw engine logs of a store, read as untrusted input: paths confined, file types known.

A results folder may come from someone else (a colleague's store, a nightly box), and a run
record's `raw_path`, like the sweep, suite, model and deployment names that the older layout
builds a path from, is text that store wrote. Before any of it becomes a path that a report
copies and a site publishes:

- confined: a relative path below the store's own `raw/` folder: no absolute path, no `..`,
  no backslash or NUL, and no symbolic link anywhere from the results folder down (a link
  could lead anywhere, `raw` itself included); only regular files (no fifo, device or socket,
  which could block a reader or be a disk); `BadRawPath` otherwise, one line naming why;
- a run's own: a run's folder is at least two levels below raw/ (raw/<sweep>/<suite>/...),
  never raw/ itself nor the server logs' folder (which would publish every other run's logs),
  and a recorded raw_path ends with the run's id, as the executor names it
  (raw/<sweep>/<suite>/<model>/<run_id>): a record cannot claim another run's folder;
- opened as checked: `open_below` opens a file one path component at a time from the results
  folder, never following a link, so a folder swapped for a link after the check (TOCTOU)
  is refused, not followed;
- known: only the types the engines write are published: inspect logs (`.eval`, which must be
  a zip), lm-eval output (`.json`, `.jsonl`) and model server logs (`.log`). Each gets a name
  a browser shows as text or downloads (`.json.txt`, `.jsonl.txt`, `.log.txt`; `.eval` is a
  download), never one it would render (`.html`, `.svg`, `.js`, ...): everything else is left
  out and counted.

`check_raw_paths` lists the run records that point elsewhere, for `gapbench results --check`.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal

from harness._text import one_line

RAW_FOLDER = "raw"
SERVER_LOGS = "server-logs"
MAX_RAW_PATH = 4096  # characters of a recorded raw_path
MAX_FILES_PER_RUN = 1000  # files looked at in one run's folder (a huge tree is not walked whole)

RawKind = Literal["inspect-log", "json", "jsonl", "server-log"]

# suffix (lower case) -> (kind, the suffix it is published under)
KNOWN_SUFFIXES: dict[str, tuple[RawKind, str]] = {
    ".eval": ("inspect-log", ".eval"),
    ".json": ("json", ".json.txt"),
    ".jsonl": ("jsonl", ".jsonl.txt"),
    ".log": ("server-log", ".log.txt"),
}
ZIP_MAGIC = b"PK\x03\x04"  # an .eval log is a zip; anything else under that name is refused
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")


class BadRawPath(Exception):
    """A recorded raw path that leads outside the store's raw folder; str() says why."""


@dataclass(frozen=True)
class RawFile:
    """A raw log that may be published: a regular file below raw/, of a known type."""

    path: Path
    rel: str  # relative to the raw folder, '/'-separated
    kind: RawKind
    size: int

    @property
    def published_name(self) -> str:
        """A name that cannot render as a page: the stem made plain, the known suffix after
        it ("pwn.html.json" -> "pwn_html.json.txt")."""
        suffix = self.path.suffix.lower()
        stem = _UNSAFE_NAME.sub("_", self.path.name[: -len(suffix)]).strip("_") or "log"
        return f"{stem[:100]}{KNOWN_SUFFIXES[suffix][1]}"


def _check_text(value: str) -> PurePosixPath:
    if not value:
        raise BadRawPath("empty path")
    if len(value) > MAX_RAW_PATH:
        raise BadRawPath(f"path of {len(value):,} characters")
    if "\x00" in value or "\\" in value:
        raise BadRawPath("path holds a NUL or backslash")
    pure = PurePosixPath(value)
    if pure.is_absolute() or re.match(r"^[A-Za-z]:", value):
        raise BadRawPath("an absolute path")
    if ".." in pure.parts:
        raise BadRawPath("path holds '..'")
    if not pure.parts or pure.parts[0] != RAW_FOLDER:
        raise BadRawPath(f"not below the store's {RAW_FOLDER}/ folder")
    return pure


def confine(results_dir: Path, value: str) -> Path | None:
    """The path a store recorded (`raw/...`, relative to the results folder), checked step by
    step from the results folder down; None when it does not exist (a run without logs).
    BadRawPath when it leads, or could lead, elsewhere."""
    pure = _check_text(str(value))
    here = Path(results_dir)
    for part in pure.parts:
        if part in ("", "."):
            continue
        here = here / part
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise BadRawPath(f"cannot be read ({exc.strerror})") from None
        if stat.S_ISLNK(st.st_mode):
            raise BadRawPath(f"{here.relative_to(results_dir).as_posix()} is a symbolic link")
        if here != Path(results_dir) / pure and not stat.S_ISDIR(st.st_mode):
            return None  # a file in the middle of the path: nothing below it
    last = os.lstat(here)
    if not (stat.S_ISDIR(last.st_mode) or stat.S_ISREG(last.st_mode)):
        raise BadRawPath("not a regular file or folder (a fifo, device or socket)")
    return here


def run_folder(results_dir: Path, run_id: str, value: str, *, recorded: bool) -> Path | None:
    """`confine` for a run's raw folder: `value` is its recorded raw_path (`recorded`) or the
    older layout's path (layout_path). Beyond `confine`: at least two levels below raw/, not
    in the server logs' folder, and a recorded path ends with the run's own id."""
    pure = _check_text(str(value))
    below = pure.parts[1:]
    if len(below) < 2:
        raise BadRawPath(f"not a run's folder (at least {RAW_FOLDER}/<sweep>/<suite>/...)")
    if below[0] == SERVER_LOGS:
        raise BadRawPath(f"inside {RAW_FOLDER}/{SERVER_LOGS}/ (server logs go by deployment)")
    if recorded and below[-1] != str(run_id):
        raise BadRawPath("does not end with the run's id (another run's folder)")
    return confine(results_dir, str(value))


def open_below(results_dir: Path, path: Path) -> int:
    """A read-only descriptor of the regular file `path` (below `results_dir`), opened one
    component at a time from the results folder: every folder with O_NOFOLLOW|O_DIRECTORY,
    the file with O_NOFOLLOW|O_NONBLOCK. A component swapped for a symbolic link (or the
    file for a fifo) after the path was checked is refused here, never followed.
    BadRawPath otherwise. Where the OS has no dir_fd support, only the last component is
    opened without following a link."""
    rel = Path(path).relative_to(results_dir)
    parts = PurePosixPath(rel.as_posix()).parts
    if not parts or ".." in parts:
        raise BadRawPath("not below the results folder")
    if os.open not in os.supports_dir_fd:  # pragma: no cover - not Linux or macOS
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    else:
        here = os.open(results_dir, os.O_RDONLY | _DIRECTORY)
        try:
            for part in parts[:-1]:
                try:
                    below = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=here)
                except OSError as exc:
                    raise BadRawPath(f"{part}: not a folder ({exc.strerror})") from None
                os.close(here)
                here = below
            try:
                fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=here)
            except OSError as exc:
                raise BadRawPath(f"{parts[-1]}: cannot be opened ({exc.strerror})") from None
        finally:
            os.close(here)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BadRawPath(f"{parts[-1]}: not a regular file")
    return fd


def layout_path(sweep_id: str, suite: str, model_id: str) -> str:
    """Where runs recorded before `raw_path` existed kept their logs: raw/<sweep>/<suite>/
    <model>/ (model ids may hold '/': org/model). Confine it like any recorded path."""
    return "/".join((RAW_FOLDER, str(sweep_id), str(suite), str(model_id)))


def raw_kind(path: Path, size: int) -> RawKind | None:
    """The known type of a raw file, from its suffix (and, for .eval, its first bytes)."""
    known = KNOWN_SUFFIXES.get(path.suffix.lower())
    if known is None:
        return None
    if known[0] == "inspect-log":
        if size < len(ZIP_MAGIC):
            return None
        try:  # a fifo or link put in its place after the caller's lstat is not followed
            fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
        except OSError:
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode) or not _is_zip_fd(fd):
                return None
        finally:
            os.close(fd)
    return known[0]


def _is_zip_fd(fd: int) -> bool:
    return os.pread(fd, len(ZIP_MAGIC), 0) == ZIP_MAGIC


# What an inspect .eval log may be to be published: a zip that Python reads (so the publish
# guard can scan every member), of member names that cannot climb out when someone unzips it,
# and of a size that the scan reads whole (a zip bomb is not published).
EVAL_MAX_MEMBERS = 100_000
EVAL_MAX_UNCOMPRESSED = 512 * 2**20  # harness.secrets.MAX_SCAN_BYTES: every member is scanned
_STDLIB_COMPRESSION = (0, 8, 12, 14)  # stored, deflate, bzip2, lzma (zipfile reads these)
ZIP_ZSTANDARD = 93  # what inspect writes its .eval logs with


def readable_zip_methods() -> tuple[int, ...]:
    """The zip compression methods this process can read: the standard library's, plus
    zstandard (inspect's .eval logs) through `zipfile_zstd`, the package inspect itself uses to
    teach zipfile zstd on Python < 3.14 (imported here, so a process that never imported
    inspect reads its logs too). Without it a zstd member cannot be read: callers treat it as
    unchecked, never as clean."""
    import zipfile

    if getattr(zipfile, "ZIP_ZSTANDARD", None) != ZIP_ZSTANDARD:
        try:
            import zipfile_zstd  # noqa: F401
        except ImportError:  # pragma: no cover - installed with inspect-ai
            return _STDLIB_COMPRESSION
    return (*_STDLIB_COMPRESSION, ZIP_ZSTANDARD)


def _eval_file_problem(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _NONBLOCK)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    with os.fdopen(fd, "rb") as src:
        return eval_problem(src)


def eval_problem(src: BinaryIO) -> str | None:
    """Why an opened .eval file may not be published (None: it may): not a readable zip,
    a member name with '..', an absolute path, a backslash or a control character, a
    compression Python cannot read, encryption, or more than EVAL_MAX_UNCOMPRESSED bytes
    (or EVAL_MAX_MEMBERS members) once decompressed. Reads the zip's directory only."""
    import zipfile

    readable = readable_zip_methods()
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        return f"not a readable zip ({type(exc).__name__})"
    if len(infos) > EVAL_MAX_MEMBERS:
        return f"{len(infos):,} members"
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            not name
            or name.startswith("/")
            or "\\" in name
            or re.match(r"^[A-Za-z]:", name)
            or ".." in parts
            or re.search(r"[\x00-\x1f\x7f]", name)
        ):
            return f"a member named {one_line(name)[:80]!r}"
        if info.compress_type not in readable or info.flag_bits & 0x1:
            return f"member {one_line(name)[:80]!r} compressed in a way that cannot be checked"
        total += info.file_size
    if total > EVAL_MAX_UNCOMPRESSED:
        return f"{total:,} bytes once decompressed"
    return None


@dataclass(frozen=True)
class Listing:
    files: tuple[RawFile, ...]
    left_out: tuple[str, ...]  # one reason per file or link not published ("x.html: unknown type")


def list_raw(results_dir: Path, top: Path) -> Listing:
    """The publishable files at or below `top` (a confined path: see `confine`): regular files
    of a known type, reached without following any symbolic link."""
    raw_root = Path(results_dir) / RAW_FOLDER
    files: list[RawFile] = []
    left_out: list[str] = []

    def consider(path: Path) -> None:
        try:
            st = os.lstat(path)
        except OSError:
            return
        name = path.relative_to(raw_root).as_posix()
        if stat.S_ISLNK(st.st_mode):
            left_out.append(f"{name}: a symbolic link")
        elif not stat.S_ISREG(st.st_mode):
            left_out.append(f"{name}: not a regular file")
        elif (kind := raw_kind(path, st.st_size)) is None:
            left_out.append(f"{name}: not a known raw log type")
        elif kind == "inspect-log" and (problem := _eval_file_problem(path)) is not None:
            left_out.append(f"{name}: {problem}")
        else:
            files.append(RawFile(path, name, kind, st.st_size))

    if not top.is_dir() or top.is_symlink():
        consider(top)
        return Listing(tuple(files), tuple(left_out))
    seen = 0
    for folder, dirs, names in os.walk(top, followlinks=False):
        here = Path(folder)
        for d in list(dirs):  # links to folders are listed by walk but never entered
            if (here / d).is_symlink():
                left_out.append(f"{(here / d).relative_to(raw_root).as_posix()}: a symbolic link")
                dirs.remove(d)
        dirs.sort()
        for n in sorted(names):
            seen += 1
            if seen > MAX_FILES_PER_RUN:
                left_out.append(
                    f"{top.relative_to(raw_root).as_posix()}: more than "
                    f"{MAX_FILES_PER_RUN} files, the rest not looked at"
                )
                return Listing(tuple(files), tuple(left_out))
            consider(here / n)
    return Listing(tuple(files), tuple(left_out))


def server_logs(results_dir: Path, deployment_id: str) -> list[RawFile]:
    """The model server logs of a deployment: raw/server-logs/<id with '/' as '_'>-<port>.log
    (as harness.serve names them), matched by name, never by a glob built from the id."""
    folder = Path(results_dir) / RAW_FOLDER / SERVER_LOGS
    try:
        confined = confine(results_dir, f"{RAW_FOLDER}/{SERVER_LOGS}")
    except BadRawPath:
        return []
    if confined is None or not confined.is_dir():
        return []
    prefix = str(deployment_id).replace("/", "_") + "-"
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        if not re.fullmatch(r"\d+\.log", rest) or entry.is_symlink() or not entry.is_file():
            continue
        path = Path(entry.path)
        out.append(
            RawFile(
                path,
                path.relative_to(folder.parent).as_posix(),
                "server-log",
                entry.stat(follow_symlinks=False).st_size,
            )
        )
    return out


def check_raw_paths(results_dir: Path) -> list[str]:
    """One line per current run record (runs/current.parquet) whose raw_path leads outside
    the store's raw folder, for `results --check`. An unreadable file is reported by the
    file checks, not here."""
    import pyarrow.parquet as pq

    current = Path(results_dir) / "runs" / "current.parquet"
    try:
        table = pq.read_table(current, columns=["run_id", "raw_path"])
    except Exception:  # missing, foreign or unreadable: nothing to say about raw paths
        return []
    pairs = zip(
        table.column("run_id").to_pylist(), table.column("raw_path").to_pylist(), strict=True
    )
    return raw_path_problems(results_dir, list(pairs))


def raw_path_problems(results_dir: Path, raw_paths: list[tuple[str, object]]) -> list[str]:
    """One line per (run_id, raw_path) whose path leads outside the store's raw folder."""
    lines = []
    for run_id, value in raw_paths:
        if value is None or (isinstance(value, float) and value != value) or value == "":
            continue
        try:
            run_folder(results_dir, str(run_id), str(value), recorded=True)
        except BadRawPath as exc:
            lines.append(
                one_line(
                    f"{Path(results_dir) / 'runs'}: run {run_id}: raw_path '{value}': {exc} "
                    "(reports skip it)"
                )
            )
    return lines
