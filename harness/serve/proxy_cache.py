"""The proxy's response cache: successful answers on disk (diskcache, sqlite), one per slot.

Why slots: identical requests are not interchangeable in an eval. Epoch 2 of a sample sends
exactly the bytes epoch 1 sent, and must get a fresh answer, or pass^k would just repeat
pass@1. So the k-th identical request (same deployment, path and canonical body) within one
proxy session gets slot k, and the cache holds one answer per (request, slot). A rerun opens a
new session and counts again from slot 0, so it replays the same answers in the same order and
makes no upstream call for any of them. A request that fails gives its slot back, so retries
and failures do not shift the numbering between the first run and the rerun.

Clients that know better (a runner that can tag each sample's epoch) may send the header
``x-gapbench-cache-scope``; its value joins the key and it is never forwarded upstream.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
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


@dataclass
class _Slots:
    lock: threading.Lock = field(default_factory=threading.Lock)
    taken: dict[str, set[int]] = field(default_factory=dict)


class ResponseCache:
    """Disk cache of answers plus this session's slot bookkeeping (in memory)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        # eviction_policy "none": an evicted answer would be paid for again on the rerun.
        self._disk = diskcache.Cache(str(directory), eviction_policy="none")
        self._slots = _Slots()

    def claim(self, key: str) -> tuple[int, CachedResponse | None]:
        """Take the lowest free slot for `key`; return it and its cached answer, if any."""
        with self._slots.lock:
            taken = self._slots.taken.setdefault(key, set())
            slot = next(i for i in range(len(taken) + 1) if i not in taken)
            taken.add(slot)
        value = self._disk.get(f"{key}:{slot}")
        if isinstance(value, tuple) and len(value) == 2:
            return slot, CachedResponse(content_type=str(value[0]), body=bytes(value[1]))
        return slot, None

    def store(self, key: str, slot: int, response: CachedResponse) -> None:
        self._disk.set(f"{key}:{slot}", (response.content_type, response.body))

    def release(self, key: str, slot: int) -> None:
        """Give a slot back after a failed attempt, so the retry takes the same slot."""
        with self._slots.lock:
            self._slots.taken.get(key, set()).discard(slot)

    def close(self) -> None:
        self._disk.close()
