"""Engine-agnostic scorers for generatively scored standard suites.

A standard suite's data is JSONL of StandardDoc rows; the lm-eval runner sends `prompt` as one
chat user message, and the scorer named in suite.yaml turns the model's text into a score.
Both open and closed models are scored by the same function (no logprobs: closed chat APIs
give none).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness._loading import loads_json
from harness.errors import ConfigError


@dataclass(frozen=True)
class StandardDoc:
    id: str
    prompt: str
    target: str
    h: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Score:
    value: float  # 0..1
    success: bool
    explanation: str = ""


Scorer = Callable[[str, StandardDoc], Score]

# scorer name -> "module:function". Add an entry when adding a scorer module.
_SCORERS: dict[str, str] = {
    "exact_match": "harness.suites.scorers.basic:exact_match",
    "ladder_answer": "harness.suites.scorers.ladder:score_answer",
    "humaneval_exec": "harness.suites.scorers.humaneval:score_completion",
    "bfcl_ast": "harness.suites.scorers.bfcl:score_calls",
}


def get_scorer(name: str) -> Scorer:
    try:
        module, _, func = _SCORERS[name].partition(":")
    except KeyError:
        raise KeyError(f"unknown scorer '{name}' (known: {', '.join(sorted(_SCORERS))})") from None
    fn: Scorer = getattr(importlib.import_module(module), func)
    return fn


def load_docs(path: Path) -> list[StandardDoc]:
    """Read a suite's JSONL data; a bad line is a ConfigError naming file and line."""
    docs: list[StandardDoc] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read suite data ({exc.strerror})") from None
    except UnicodeDecodeError as exc:  # a binary file: one line naming it, not a traceback
        raise ConfigError(
            path, None, f"suite data is not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from None
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = loads_json(line, path, where=f"line {i}")  # depth-limited, one line
            docs.append(
                StandardDoc(
                    id=str(row["id"]),
                    prompt=str(row["prompt"]),
                    target=str(row["target"]),
                    h=row.get("h"),
                    metadata=row.get("metadata") or {},
                )
            )
        except (KeyError, TypeError) as exc:
            raise ConfigError(path, f"line {i}", f"bad suite data row ({exc})") from None
    return docs
