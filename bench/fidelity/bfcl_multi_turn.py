"""Agreement of gapbench's bfcl_multi_turn suite with bfcl-eval's own multi-turn checker.

    python -m bench.fidelity bfcl_multi_turn --n 200

A trajectory is what a function-calling model does in each user turn: a list of steps, each
either one assistant message of tool calls (name + JSON arguments, possibly malformed) or a
text reply (which ends the turn). gapbench's side replays it through the inspect runner
(inspect_evals' multi-turn solver on the vendored backends, the request path, the suite's
scorer, the store) with a scripted model behind the fake API; the official side gives the same
steps, in the form BFCL's FC inference writes them ([{name: arguments JSON}] per step, text as
text), to bfcl-eval's _evaluate_single_multi_turn_entry (bfcl_official.py).
"""

from __future__ import annotations

import ast
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from bench.fidelity.agreement import compare, result
from bench.fidelity.bfcl import OFFICIAL_SCRIPT
from bench.fidelity.bfcl_multi_turn_more import KINDS_MORE, perturb_more
from bench.fidelity.bfcl_multi_turn_steps import DONE, Call, Step, Turns, _steps, to_turns
from bench.fidelity.official_env import run_official
from bench.fidelity.replay import GapbenchScore, Trajectory, replay_suite
from harness.config import REPO_ROOT
from harness.suites.registry import load_suite
from tests.fakeapi import Conversation, Reply, ToolCall

SUITE = "bfcl_multi_turn"
SUITE_DIR = REPO_ROOT / "tasks" / "agentic" / "bfcl_multi_turn"
DATA = SUITE_DIR / "data"
PER_SAMPLE = 4


def load_entries() -> tuple[dict[str, dict[str, Any]], dict[str, list[list[str]]]]:
    entries = {}
    for line in (DATA / "BFCL_v4_multi_turn_base.json").read_text().splitlines():
        if line.strip():
            e = json.loads(line)
            entries[e["id"]] = e
    truth = {}
    for line in (
        (DATA / "possible_answer" / "BFCL_v4_multi_turn_base.json").read_text().splitlines()
    ):
        if line.strip():
            a = json.loads(line)
            truth[a["id"]] = a["ground_truth"]
    return entries, truth


def _signatures() -> dict[str, list[str]]:
    """method name -> its parameter names, from the vendored backends."""
    import inspect as pyinspect

    from inspect_evals.bfcl.backends import build_tool_mapping, create_instances

    from harness.runners.inspect_tasks.bfcl import _load_backends

    _load_backends(DATA / "func_source_code")
    entries, _ = load_entries()
    classes = sorted({c for e in entries.values() for c in e["involved_classes"]})
    methods = build_tool_mapping(create_instances(classes, {}, False))
    return {name: list(pyinspect.signature(m).parameters) for name, m in methods.items()}


def parse_call(text: str, signatures: dict[str, list[str]]) -> Call:
    """A ground-truth call string as a function-calling model sends it: keyword arguments
    (positional ones named from the backend method's signature)."""
    node = ast.parse(text.strip(), mode="eval").body
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name), text
    name = node.func.id
    args = {signatures[name][i]: ast.literal_eval(a) for i, a in enumerate(node.args)}
    args.update({k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg})
    return {"name": name, "arguments": args}


def gold_turns(truth: list[list[str]], signatures: dict[str, list[str]]) -> list[list[Call]]:
    return [[parse_call(c, signatures) for c in turn] for turn in truth]


# -- perturbations ---------------------------------------------------------------------------


def _spots(calls: list[list[Call]]) -> list[tuple[int, int]]:
    return [(t, i) for t, turn in enumerate(calls) for i in range(len(turn))]


def _wrong_value(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + rng.choice([1, 2, 10])
    if isinstance(value, str):
        return rng.choice(
            [value + "x", value.upper() if value.upper() != value else value + "_", "zzz"]
        )
    if isinstance(value, list):
        return value[:-1] if value else ["x"]
    return "x"


def _wrong_type(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return ",".join(map(str, value))
    return 1


def perturb(kind: str, calls: list[list[Call]], rng: random.Random) -> tuple[Turns, str] | None:
    c = [[dict(x, arguments=dict(x["arguments"])) for x in turn] for turn in calls]
    spots = _spots(c)
    if kind == "gold":
        return to_turns(c), "one call per step"
    if kind == "gold_parallel":
        return to_turns(c, parallel=True), "a turn's calls in one step"
    if kind == "null":
        return [[{"text": "I can't do that."}] for _ in c], "text only"
    if kind in ("wrong_value", "wrong_type"):
        with_args = [(t, i) for t, i in spots if c[t][i]["arguments"]]
        if not with_args:
            return None
        t, i = rng.choice(with_args)
        key = rng.choice(sorted(c[t][i]["arguments"]))
        old = c[t][i]["arguments"][key]
        new = (_wrong_value if kind == "wrong_value" else _wrong_type)(old, rng)
        c[t][i]["arguments"][key] = new
        return to_turns(c), f"turn {t} {c[t][i]['name']}.{key}: {old!r} -> {new!r}"
    if kind == "extra_arg":
        t, i = rng.choice(spots)
        c[t][i]["arguments"]["verbose"] = True
        return to_turns(c), f"turn {t} {c[t][i]['name']} extra verbose=True"
    if kind == "missing_call":
        t, i = rng.choice(spots)
        gone = c[t].pop(i)
        return to_turns(c), f"dropped turn {t} {gone['name']}"
    if kind == "duplicate_call":
        t, i = rng.choice(spots)
        c[t].insert(i, dict(c[t][i]))
        return to_turns(c), f"turn {t} {c[t][i]['name']} twice"
    if kind == "order_within_turn":
        turns = [t for t, turn in enumerate(c) if len(turn) >= 2]
        if not turns:
            return None
        t = rng.choice(turns)
        i = rng.randrange(len(c[t]) - 1)
        c[t][i], c[t][i + 1] = c[t][i + 1], c[t][i]
        return to_turns(c), f"turn {t}: calls {i} and {i + 1} swapped"
    if kind in ("call_late", "call_early"):
        if len(c) < 2:
            return None
        if kind == "call_late":
            t = rng.choice([t for t in range(len(c) - 1) if c[t]] or [0])
            if not c[t]:
                return None
            moved = c[t].pop()
            c[t + 1].insert(0, moved)
            return to_turns(c), f"{moved['name']} moved from turn {t} to {t + 1}"
        t = rng.choice([t for t in range(1, len(c)) if c[t]] or [1])
        if not c[t]:
            return None
        moved = c[t].pop(0)
        c[t - 1].append(moved)
        return to_turns(c), f"{moved['name']} moved from turn {t} to {t - 1}"
    if kind == "truncated":
        if len(c) < 2:
            return None
        keep = rng.randrange(1, len(c))
        turns = to_turns(c[:keep]) + [[{"text": "I have to stop here."}] for _ in c[keep:]]
        return turns, f"stopped after turn {keep - 1}"
    if kind == "truncated_mid_turn":
        t, i = rng.choice(spots)
        c[t] = c[t][:i]
        turns = to_turns(c[: t + 1]) + [[{"text": "Stopping."}] for _ in c[t + 1 :]]
        return turns, f"stopped in turn {t} before call {i}"
    if kind == "malformed_json":
        t, i = rng.choice(spots)
        raw = json.dumps(c[t][i]["arguments"])
        values = list(c[t][i]["arguments"].values())
        forms = [raw[:-1], raw.replace('"', "'"), raw + "}", "{" + raw, raw + '"', raw + "'", ""]
        forms += [
            "[]",
            "null",
            json.dumps(values[0]) if values else "1",
            str(values[0]) if values else "x",
        ]
        c[t][i]["arguments"] = rng.choice(forms)
        return to_turns(c), f"turn {t} {c[t][i]['name']}: arguments {c[t][i]['arguments'][:60]!r}"
    if kind == "malformed_in_parallel_step":
        turns = [t for t, turn in enumerate(c) if len(turn) >= 2]
        if not turns:
            return None
        t = rng.choice(turns)
        i = rng.randrange(len(c[t]))
        c[t][i]["arguments"] = json.dumps(c[t][i]["arguments"])[:-1]
        out = to_turns(c)
        out[t] = _steps(c[t], parallel=True)
        return out, f"turn {t}: one malformed call in a parallel step"
    if kind == "wrong_function_name":
        t, i = rng.choice(spots)
        old = c[t][i]["name"]
        c[t][i]["name"] = old + "_v2"
        return to_turns(c), f"turn {t} {old} -> {old}_v2"
    if kind == "extra_read_call":
        t = rng.randrange(len(c))
        names = [x["name"] for turn in c for x in turn]
        read = next(
            (
                n
                for n in ("pwd", "ls", "get_current_time", "get_user_id", "displayCarStatus")
                if n in names
            ),
            None,
        )
        if read is None:
            return None
        c[t].append({"name": read, "arguments": {}})
        return to_turns(c), f"turn {t}: extra {read}()"
    if kind == "no_final_text":
        turns = to_turns(c)
        t = rng.randrange(len(turns))
        turns[t] = [s for s in turns[t] if "calls" in s] + [{"text": ""}]
        return turns, f"turn {t}: empty final message"
    if kind == "text_with_calls":
        turns = to_turns(c)
        t = rng.randrange(len(turns))
        for s in turns[t]:
            if "calls" in s:
                s["text"] = "Calling the tool now."
        return turns, f"turn {t}: text beside the calls"
    if kind in KINDS_MORE:
        return perturb_more(kind, c, spots, rng)
    raise KeyError(kind)


KINDS: dict[str, float] = {
    "gold": 4, "gold_parallel": 3, "null": 2, "wrong_value": 5, "wrong_type": 4, "extra_arg": 2,
    "missing_call": 4, "duplicate_call": 3, "order_within_turn": 3, "call_late": 3,
    "call_early": 3, "truncated": 3, "truncated_mid_turn": 2, "malformed_json": 5,
    "malformed_in_parallel_step": 2, "wrong_function_name": 2, "extra_read_call": 2,
    "no_final_text": 1, "text_with_calls": 1, **KINDS_MORE,
}  # fmt: skip


def trajectories(n: int, seed: int) -> list[Trajectory]:
    entries, truth = load_entries()
    firsts = Counter(e["question"][0][0]["content"] for e in entries.values())
    usable = [i for i, e in entries.items() if firsts[e["question"][0][0]["content"]] == 1]
    signatures = _signatures()
    rng = random.Random(seed)
    ids = rng.sample(usable, min(len(usable), -(-n // PER_SAMPLE)))
    names = list(KINDS)
    out = []
    for k in range(n):
        sid = ids[k % len(ids)]
        calls = gold_turns(truth[sid], signatures)
        kind = names[k] if k < len(names) else rng.choices(names, list(KINDS.values()))[0]
        made = perturb(kind, calls, rng)
        if made is None and k < len(names):  # every kind once: on the next sample it fits
            for other in ids[k % len(ids) + 1 :] + ids[: k % len(ids)]:
                made = perturb(kind, gold_turns(truth[other], signatures), rng)
                if made is not None:
                    sid = other
                    break
        while made is None:
            kind = rng.choices(names, list(KINDS.values()))[0]
            made = perturb(kind, calls, rng)
        turns, detail = made
        out.append(Trajectory(f"{sid}#{k}", sid, kind, turns, detail))
    return out


# -- the two sides -----------------------------------------------------------------------------


def _position(conv: Conversation) -> tuple[int, int]:
    """(user turn index, steps already taken in it) from the conversation so far."""
    turn, step = -1, 0
    for t in conv.turns:
        if t.role == "user":
            turn, step = turn + 1, 0
        elif t.role == "assistant":
            step += 1
    return turn, step


def reply_for(t: Trajectory, conv: Conversation) -> Reply:
    turn, step = _position(conv)
    turns: Turns = t.payload
    if turn >= len(turns) or step >= len(turns[turn]):
        return Reply(text=DONE)
    s = turns[turn][step]
    calls = tuple(ToolCall(c["name"], c["arguments"]) for c in s.get("calls", []))
    return Reply(text=str(s.get("text", "")), tool_calls=calls)


def gapbench_scores(trajs: list[Trajectory]) -> dict[str, GapbenchScore]:
    entries, _ = load_entries()
    index = {e["question"][0][0]["content"].strip(): i for i, e in entries.items()}

    def sample_of(conv: Conversation) -> str | None:
        first = next((t.text for t in conv.turns if t.role == "user"), "")
        return index.get(first.strip())

    return replay_suite(SUITE, trajs, reply_for, sample_of, concurrency=2)


MAXIMUM_STEP_LIMIT = 20  # bfcl_eval/constants/default_prompts.py


def _decodes(step: Step) -> bool:
    """BFCL's FC decoder takes the step (all its calls' arguments JSON objects)."""

    def obj(arguments: Any) -> bool:
        if not isinstance(arguments, str):
            return isinstance(arguments, dict)
        try:
            return isinstance(json.loads(arguments), dict)
        except ValueError:
            return False

    return bool(step.get("calls")) and all(obj(c["arguments"]) for c in step["calls"])


def as_run(turns: Turns) -> Turns:
    """The trajectory as BFCL's FC inference lets it go (base_handler.inference_multi_turn_FC),
    and gapbench's solver too (harness/runners/inspect_tasks/bfcl.py): a turn ends at its first
    step that does not decode (that step kept: a text reply, a call whose arguments are not a
    JSON object), and after MAXIMUM_STEP_LIMIT + 1 decoded steps in a turn no further turn is
    run. The replay never asks for the steps dropped here."""
    out: Turns = []
    for t, turn in enumerate(turns):
        kept: list[Step] = []
        decoded = 0
        for s in turn:
            kept.append(s)
            if not _decodes(s):
                break
            decoded += 1
            if decoded > MAXIMUM_STEP_LIMIT:
                break
        out.append(kept)
        if decoded > MAXIMUM_STEP_LIMIT and t < len(turns) - 1:
            break  # force-quit: BFCL runs no further turn
    return out


def official_result(turns: Turns) -> list[list[Any]]:
    """The trajectory as BFCL's FC inference records it: per turn, per step, the step's tool
    calls as [{name: arguments JSON}], or its text (of the steps as_run keeps)."""
    out = []
    for turn in as_run(turns):
        steps: list[Any] = []
        for s in turn:
            if s.get("calls"):
                steps.append([
                    {c["name"]: c["arguments"] if isinstance(c["arguments"], str) else json.dumps(c["arguments"])}
                    for c in s["calls"]
                ])  # fmt: skip
            else:
                steps.append(str(s.get("text", "")))
        out.append(steps)
    return out


def official_scores(
    trajs: list[Trajectory], make: bool = True
) -> tuple[dict[str, float], dict[str, Any]]:
    items = [
        {"key": t.key, "category": "multi_turn_base", "id": t.sample_id,
         "result": official_result(t.payload)}
        for t in trajs
    ]  # fmt: skip
    out = run_official(Path(OFFICIAL_SCRIPT), {"items": items}, make=make)
    return {k: 1.0 if v["valid"] else 0.0 for k, v in out["scores"].items()}, out


def run(n: int, seed: int) -> dict[str, Any]:
    trajs = trajectories(n, seed)
    official, out = official_scores(trajs)
    gapbench = gapbench_scores(trajs)
    version = load_suite(SUITE_DIR / "suite.yaml").version
    meta = {"name": "bfcl-eval", "version": str(out["version"]), "entry": str(out["entry"])}
    return result(SUITE, version, meta, compare(trajs, gapbench, official), seed)
