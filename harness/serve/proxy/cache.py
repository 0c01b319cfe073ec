"""The proxy's call cache: the answers clients received, on disk (one sqlite file, WAL).

Identical requests are not interchangeable in an eval: epoch 2 of a sample sends exactly the
bytes epoch 1 sent and must get a fresh answer, or pass^k would just repeat pass@1. So each
request key (deployment, path, canonical body, scope) holds a LIST of answers, in the order
they were delivered, and each proxy session replays them in order: the k-th identical
request of a session gets the k-th stored answer, and once the list is used up, requests go
upstream and their answers are appended. A rerun (a new session) therefore replays exactly
what the first run's clients received, in the same order, with no upstream call; an extra
epoch is new work.

Only answers a client actually received are appended: an answer that lands after its client
went away is paid for but not cached, so that a rerun follows the same conversation as the
first run did. Failed attempts store nothing and consume nothing.

Order alone is not enough when a run resumes part-way: if epoch 1 of a sample is stored and
only epoch 2 is redone, epoch 2's first request would replay epoch 1's answer. So the runners
tag every request with the header ``x-gapbench-cache-scope: <sample id>/<epoch>``; its value
joins the key (one list per sample and epoch) and the proxy never forwards it upstream.

Speed (issue 14: a lock held across sqlite calls cost 230-260 ms per lookup at concurrency
64): the cache lives on the proxy's event loop and never blocks it. What is known about a
key (how many answers are stored, how many this session handed out) is kept in memory; a
key's answers are read from disk once, on its first lookup, by a reader thread; new answers
are written by one writer thread in batches (one transaction per batch, every 50 ms or 256
answers), and no lock is ever held across a disk call. A batch not yet written when the
process is killed is lost: those answers are paid for again by the next run (at most 50 ms
of answers). Several processes may share the file: an index another process took meanwhile
is skipped, so both sessions' answers are kept, in the order they were written.

A cache written by earlier versions (diskcache, ``cache.db`` beside it) is imported once on
first open, so upgrading never pays for answers again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DB_NAME = "answers.sqlite"
FLUSH_EVERY_S = 0.05
FLUSH_AT = 256

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT NOT NULL,
    idx INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    PRIMARY KEY (key, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class CachedResponse:
    content_type: str
    body: bytes


def canonical_body(body: bytes) -> str:
    """JSON bodies with sorted keys and no whitespace, so that key order never splits a key."""
    try:
        return json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    except ValueError:
        return body.decode("utf-8", "replace")


def request_key(deployment_id: str, method: str, path: str, body: bytes, scope: str = "") -> str:
    """The cache key: never derived from headers (which carry keys), only from what was asked."""
    text = "\n".join([deployment_id, f"{method} {path}", scope, canonical_body(body)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=60, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(_SCHEMA)
    return conn


def _import_diskcache(directory: Path, conn: sqlite3.Connection) -> int:
    """Copy the answers of an older (diskcache) cache in `directory` once; how many."""
    done = conn.execute("SELECT value FROM meta WHERE name = 'diskcache_imported'").fetchone()
    if done is not None or not (directory / "cache.db").exists():
        return 0
    import diskcache  # only for caches written before the sqlite format

    old = diskcache.Cache(str(directory), eviction_policy="none")
    n = 0
    try:
        conn.execute("BEGIN IMMEDIATE")
        for name in old.iterkeys():
            key, _, idx = str(name).rpartition(":")
            value = old.get(name)
            if key and idx.isdigit() and isinstance(value, tuple) and len(value) == 2:
                conn.execute(
                    "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)",
                    (key, int(idx), str(value[0]), bytes(value[1])),
                )
                n += 1
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('diskcache_imported', ?)", (str(n),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    finally:
        old.close()
    return n


class AnswerCache:
    """Delivered answers on disk plus this session's replay positions (in memory).

    Use from one event loop: `await lookup(key)`, `store(key, answer)` (returns at once; the
    write is batched), `await close()` (writes what is pending).
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._path = directory / DB_NAME
        reader = _connect(self._path)
        imported = _import_diskcache(directory, reader)
        if imported:
            log.info("call cache: imported %d answers from the older diskcache format", imported)
        # An empty cache at start (a first run) answers every first lookup from memory.
        self._empty = reader.execute("SELECT 1 FROM answers LIMIT 1").fetchone() is None
        self._reader = reader
        self._writer = _connect(self._path)
        self._read_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cache-read")
        self._write_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cache-write")
        self._read_lock = threading.Lock()  # sqlite connection use (reader thread side only)
        self._answers: dict[str, list[CachedResponse]] = {}  # key -> stored answers, read once
        self._loading: dict[str, asyncio.Future[list[CachedResponse]]] = {}
        self._stored: dict[str, int] = {}  # key -> answers stored (disk + pending)
        self._replayed: dict[str, int] = {}  # key -> answers this session handed out
        self._pending: list[tuple[str, int, CachedResponse]] = []
        self._flush_task: asyncio.Task[None] | None = None
        self._flushing: asyncio.Future[None] | None = None
        self.n_written = 0

    # --- reads ----------------------------------------------------------------------------

    def _read(self, key: str) -> list[CachedResponse]:
        with self._read_lock:
            rows = self._reader.execute(
                "SELECT idx, content_type, body FROM answers WHERE key = ? ORDER BY idx", (key,)
            ).fetchall()
        # Indexes are dense when one process wrote them; keep only the leading run.
        out: list[CachedResponse] = []
        for expected, (idx, content_type, body) in enumerate(rows):
            if idx != expected:
                break
            out.append(CachedResponse(str(content_type), bytes(body)))
        return out

    async def _known(self, key: str) -> list[CachedResponse]:
        if key in self._answers:
            return self._answers[key]
        if self._empty:
            self._answers[key] = []
            return self._answers[key]
        pending = self._loading.get(key)
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = loop.run_in_executor(self._read_pool, self._read, key)
            self._loading[key] = pending
        try:
            answers = await asyncio.shield(pending)
        finally:
            self._loading.pop(key, None)
        if key not in self._answers:
            self._answers[key] = answers
            self._stored[key] = max(self._stored.get(key, 0), len(answers))
        return self._answers[key]

    async def lookup(
        self, key: str, valid: Callable[[CachedResponse], bool] | None = None
    ) -> CachedResponse | None:
        """The next stored answer for key that this session has not handed out yet, if any.
        valid: entries it refuses (malformed answers an older version cached) are passed
        over, never replayed."""
        answers = await self._known(key)
        index = self._replayed.get(key, 0)
        while index < len(answers):
            answer = answers[index]
            index += 1
            self._replayed[key] = index
            if valid is None or valid(answer):
                return answer
        return None

    # --- writes ---------------------------------------------------------------------------

    def store(self, key: str, response: CachedResponse) -> None:
        """Append an answer a client received; this session will not hand it out again."""
        index = max(self._stored.get(key, 0), len(self._answers.get(key, ())))
        self._stored[key] = index + 1
        self._replayed[key] = index + 1
        self._pending.append((key, index, response))
        if len(self._pending) >= FLUSH_AT:
            self._schedule(0.0)
        else:
            self._schedule(FLUSH_EVERY_S)

    def _schedule(self, delay: float) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_after(delay))

    async def _flush_after(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await self.flush()

    async def flush(self) -> None:
        """Write every pending answer (one transaction), off the event loop."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        loop = asyncio.get_running_loop()
        self._flushing = loop.run_in_executor(self._write_pool, self._write, batch)
        try:
            await asyncio.shield(self._flushing)
        except Exception:  # a full disk must not end the run: those answers are paid again
            log.warning("call cache: could not write %d answers", len(batch), exc_info=True)
        finally:
            self._flushing = None
        if self._pending:
            self._schedule(0.0)

    def _write(self, batch: list[tuple[str, int, CachedResponse]]) -> None:
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            for key, index, response in batch:
                # Another process may have taken this index meanwhile: append after it.
                while (
                    conn.execute(
                        "INSERT OR IGNORE INTO answers VALUES (?, ?, ?, ?)",
                        (key, index, response.content_type, response.body),
                    ).rowcount
                    == 0
                ):
                    index += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self.n_written += len(batch)

    async def close(self) -> None:
        await self.flush()
        if self._flush_task is not None and not self._flush_task.done():
            self._flush_task.cancel()
        self._read_pool.shutdown(wait=True)
        self._write_pool.shutdown(wait=True)
        self._reader.close()
        self._writer.close()
