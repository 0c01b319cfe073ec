"""Stable keys: a run key per (model card, deployment, suite+version, engine version), and a
sample key per (run, sample, epoch). Resume skips sample keys already stored."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def stable_hash(payload: Any, length: int = 16) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def sample_key(run_id: str, sample_id: str, epoch: int) -> str:
    return stable_hash({"run": run_id, "sample": sample_id, "epoch": epoch}, length=24)
