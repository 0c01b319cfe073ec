"""The proxy's response cache: the answers clients received, on disk (diskcache, sqlite).

Identical requests are not interchangeable in an eval: epoch 2 of a sample sends exactly the
bytes epoch 1 sent and must get a fresh answer, or pass^k would just repeat pass@1. So each
request key (deployment, path, canonical body) holds a LIST of answers, in the order they were
delivered, and each proxy session replays them in order: the k-th identical request of a
session gets the k-th stored answer, and once the list is used up, requests go upstream and
their answers are appended. A rerun (a new session) therefore replays exactly what the first
run's clients received, in the same order, with no upstream call; an extra epoch is new work.

Only answers a client actually received are appended: a slow answer that lands after its
client gave up (and retried) is paid for but not cached, so that the rerun follows the same
conversation as the first run did. Failed attempts store nothing and consume nothing.

Order alone is not enough when a run resumes part-way: if epoch 1 of a sample is stored and
only epoch 2 is redone, epoch 2's first request would replay epoch 1's answer. So the runners
tag every request with the header ``x-gapbench-cache-scope: <sample id>/<epoch>``; its value
joins the key (one list per sample and epoch) and the proxy never forwards it upstream.
Untagged requests (lm-eval registry tasks, for now) fall back to replay in order.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import diskcache


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


class ResponseCache:
    """Disk cache of delivered answers plus this session's replay positions (in memory)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # eviction_policy "none": an evicted answer would be paid for again on the rerun.
        self._disk = diskcache.Cache(str(directory), eviction_policy="none")
        self._lock = threading.Lock()
        self._stored: dict[str, int] = {}  # key -> answers on disk (as far as we know)
        self._replayed: dict[str, int] = {}  # key -> answers this session has handed out

    def _count(self, key: str) -> int:
        """Answers stored for key (probed once per session, then kept up to date)."""
        if key not in self._stored:
            n = 0
            while f"{key}:{n}" in self._disk:
                n += 1
            self._stored[key] = n
        return self._stored[key]

    def lookup(self, key: str) -> CachedResponse | None:
        """The next stored answer for key that this session has not handed out yet, if any."""
        with self._lock:
            index = self._replayed.get(key, 0)
            if index >= self._count(key):
                return None
            self._replayed[key] = index + 1
        value = self._disk.get(f"{key}:{index}")
        if isinstance(value, tuple) and len(value) == 2:
            return CachedResponse(content_type=str(value[0]), body=bytes(value[1]))
        return None  # unreadable entry: treated as a miss (the answer is fetched again)

    def store(self, key: str, response: CachedResponse) -> None:
        """Append an answer a client received; this session will not hand it out again."""
        with self._lock:
            index = self._count(key)
            # add() refuses an index another process sharing the directory took meanwhile.
            while not self._disk.add(f"{key}:{index}", (response.content_type, response.body)):
                index += 1
            self._stored[key] = index + 1
            self._replayed[key] = index + 1

    def close(self) -> None:
        self._disk.close()
