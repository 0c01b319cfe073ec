"""A BFCL multi-turn trajectory's shape, shared by bench/fidelity/bfcl_multi_turn.py and its
extra perturbations: per user turn, a list of steps, each one assistant message of tool calls
(name + arguments: a dict, or the raw JSON text a model sent, possibly malformed) or a text
reply, which ends the turn."""

from __future__ import annotations

from typing import Any

DONE = "Done."

Call = dict[str, Any]  # {"name": str, "arguments": dict | str (raw, maybe malformed JSON)}
Step = dict[str, Any]  # {"calls": [Call]} or {"text": str}
Turns = list[list[Step]]


def _steps(calls: list[Call], parallel: bool) -> list[Step]:
    if not calls:
        return [{"text": DONE}]
    groups = [calls] if parallel else [[c] for c in calls]
    return [*({"calls": g} for g in groups), {"text": DONE}]


def to_turns(calls: list[list[Call]], parallel: bool = False) -> Turns:
    return [_steps(turn, parallel) for turn in calls]
