"""More perturbations of BFCL multi-turn trajectories: the red team of issue 21 (kinds neither
the issue nor bench/fidelity/bfcl_multi_turn.py's first run used).

What they probe: how bfcl-eval turns a call into source text and eval()s it (a name or a
keyword with spaces or in another Unicode form of the identifier, a method call's text inside
a string value, a float that is not finite), the JSON text of the arguments (duplicated keys,
escapes, numbers spelled 5.0 or 5e0, a JSON string of the JSON, a BOM), calls that change
nothing (a read repeated, a method of a class the sample does not use, a state-changing call
that fails), a turn answered in text only, and a turn's calls in one step reversed or twice.
"""

from __future__ import annotations

import json
import random
from typing import Any

from bench.fidelity.bfcl_multi_turn_steps import Call, Turns, _steps, to_turns

# Red team of issue 21: kinds neither the issue nor the first run used.
_READ_ONLY = ("pwd", "ls", "get_current_time", "get_user_id", "displayCarStatus", "get_watchlist",
              "get_account_info", "list_users", "get_ticket", "get_stock_info")  # fmt: skip
_FOREIGN = {"ls": {}, "get_current_time": {}, "mean": {"numbers": [1, 2]}, "list_users": {}}
_FAILING = {  # class method -> arguments with which it changes nothing and reports an error
    "cd": {"folder": "no_such_folder"}, "rm": {"file_name": "no_such_file.txt"},
    "cat": {"file_name": "no_such_file.txt"}, "sell_stock": {"symbol": "ZZZZ", "quantity": 1},
    "cancel_order": {"order_id": 999999}, "close_ticket": {"ticket_id": 999999},
    "unfollow_user": {"username_to_unfollow": "nobody_at_all"},
}  # fmt: skip


def _raw_arguments(args: dict[str, Any], rng: random.Random) -> tuple[str, str] | None:
    """The arguments as JSON text a model might send for the same values, or nearly."""
    if not args:
        return None
    key = rng.choice(sorted(args))
    value = args[key]
    body = json.dumps({k: v for k, v in args.items() if k != key})[1:-1]
    rest = (", " + body) if body else ""
    forms: list[tuple[str, str]] = [
        (json.dumps(args, indent=2), "indented JSON"),
        ("\n " + json.dumps(args) + " \n", "whitespace around"),
        ("{" + f'"{key}": 0, ' + json.dumps(args)[1:], f"{key} twice, the right one last"),
        (json.dumps(args)[:-1] + f', "{key}": 0}}', f"{key} twice, the right one first"),
        (json.dumps(args, ensure_ascii=True).replace(f'"{key}"', '"' + "".join(f"\\u{ord(ch):04x}" for ch in key) + '"', 1), f"{key} as \\u escapes"),
        (json.dumps(json.dumps(args)), "a JSON string of the JSON"),
        ("\ufeff" + json.dumps(args), "a BOM before"),
    ]  # fmt: skip
    if type(value) is int:
        forms += [("{" + f'"{key}": {value}.0' + rest + "}", f"{key} as {value}.0"),
                  ("{" + f'"{key}": {value}e0' + rest + "}", f"{key} as {value}e0"),
                  ("{" + f'"{key}": "{value}"' + rest + "}", f"{key} as a string")]  # fmt: skip
    if type(value) is float:
        forms += [("{" + f'"{key}": {value:e}' + rest + "}", f"{key} as {value:e}"),
                  ("{" + f'"{key}": NaN' + rest + "}", f"{key} as NaN"),
                  ("{" + f'"{key}": Infinity' + rest + "}", f"{key} as Infinity")]  # fmt: skip
    if isinstance(value, bool):
        forms += [("{" + f'"{key}": {int(value)}' + rest + "}", f"{key} as {int(value)}")]
    if isinstance(value, str):
        forms += [("{" + f'"{key}": {json.dumps(value + " ")}' + rest + "}", f"{key} with a trailing space"),
                  ("{" + f'"{key}": null' + rest + "}", f"{key} null")]  # fmt: skip
    return rng.choice(forms)


def perturb_more(kind: str, c: list[list[Call]], spots: list[tuple[int, int]],
                  rng: random.Random) -> tuple[Turns, str] | None:  # fmt: skip
    if kind == "name_spacing":
        t, i = rng.choice(spots)
        old = c[t][i]["name"]
        c[t][i]["name"] = rng.choice([old + " ", " " + old, old + "\t", "  " + old + "  "])
        return to_turns(c), f"turn {t} {old!r} sent as {c[t][i]['name']!r}"
    if kind == "name_prefixed":
        t, i = rng.choice(spots)
        old = c[t][i]["name"]
        c[t][i]["name"] = rng.choice(["functions.", "default_api.", "tools."]) + old
        return to_turns(c), f"turn {t} {old} sent as {c[t][i]['name']}"
    if kind == "key_variants":
        with_args = [(t, i) for t, i in spots if c[t][i]["arguments"]]
        if not with_args:
            return None
        t, i = rng.choice(with_args)
        args = c[t][i]["arguments"]
        key = rng.choice(sorted(args))
        fullwidth = "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in key)
        new = rng.choice([key + " ", " " + key, fullwidth, key.upper(), key.replace("_", "")])
        if new == key:
            return None
        args[new] = args.pop(key)
        return to_turns(c), f"turn {t} {c[t][i]['name']}: key {key!r} sent as {new!r}"
    if kind == "json_text_variants":
        with_args = [(t, i) for t, i in spots if c[t][i]["arguments"]]
        if not with_args:
            return None
        t, i = rng.choice(with_args)
        made = _raw_arguments(c[t][i]["arguments"], rng)
        if made is None:
            return None
        c[t][i]["arguments"] = made[0]
        return to_turns(c), f"turn {t} {c[t][i]['name']}: {made[1]}"
    if kind == "repeated_read_call":
        names = {x["name"] for turn in c for x in turn}
        read = next((n for n in _READ_ONLY if n in names), None)
        if read is None:
            return None
        t = rng.randrange(len(c))
        args = next(x["arguments"] for turn in c for x in turn if x["name"] == read)
        k = rng.randint(2, 5)
        c[t] = c[t] + [{"name": read, "arguments": dict(args)} for _ in range(k)]
        return to_turns(c), f"turn {t}: {read} {k} more times"
    if kind == "foreign_class_call":
        names = {x["name"] for turn in c for x in turn}
        foreign = [n for n in _FOREIGN if n not in names]
        t = rng.randrange(len(c))
        name = rng.choice(foreign)
        c[t].insert(rng.randint(0, len(c[t])), {"name": name, "arguments": dict(_FOREIGN[name])})
        return to_turns(c), f"turn {t}: {name}() of a class the sample does not use"
    if kind == "failing_state_call":
        names = {x["name"] for turn in c for x in turn}
        usable = [n for n in _FAILING if n in names] or [n for n in _FAILING if n in ("cd", "rm")]
        t = rng.randrange(len(c))
        name = rng.choice(usable)
        c[t].insert(rng.randint(0, len(c[t])), {"name": name, "arguments": dict(_FAILING[name])})
        return to_turns(c), f"turn {t}: {name}{_FAILING[name]} (fails, changes nothing)"
    if kind == "text_only_turn":
        with_calls = [t for t, turn in enumerate(c) if turn]
        if not with_calls:
            return None
        t = rng.choice(with_calls)
        out = to_turns(c)
        out[t] = [{"text": rng.choice(["Sure, done!", "I have done that.", ""])}]
        return out, f"turn {t} answered in text only"
    if kind == "method_call_in_string":
        t, i = rng.choice(spots)
        strings = [k for k, v in c[t][i]["arguments"].items() if isinstance(v, str)]
        if not strings:
            return None
        key = rng.choice(strings)
        c[t][i]["arguments"][key] += rng.choice([" ls()", " (see cd(x))", " pwd()"])
        return to_turns(c), f"turn {t} {c[t][i]['name']}.{key} holds a method call's text"
    if kind == "parallel_reversed":
        turns = [t for t, turn in enumerate(c) if len(turn) >= 2]
        if not turns:
            return None
        t = rng.choice(turns)
        out = to_turns(c)
        out[t] = _steps(list(reversed(c[t])), parallel=True)
        return out, f"turn {t}: its calls in one step, reversed"
    if kind in ("step_limit_mid_turn", "step_limit_last_turn"):
        # BFCL's inference stops a turn after 21 decoded steps, and the conversation too when
        # turns remain (force-quit); a read-only call repeated 21 times before the turn's own
        names = {x["name"] for turn in c for x in turn}
        read = next((n for n in _READ_ONLY if n in names), None)
        if read is None or len(c) > 3 or (kind == "step_limit_mid_turn" and len(c) < 2):
            return None
        t = 0 if kind == "step_limit_mid_turn" else len(c) - 1
        args = next(x["arguments"] for turn in c for x in turn if x["name"] == read)
        c[t] = [{"name": read, "arguments": dict(args)} for _ in range(21)] + c[t]
        return to_turns(c), f"turn {t}: {read} 21 times before its calls"
    if kind == "duplicate_parallel_step":
        turns = [t for t, turn in enumerate(c) if turn]
        t = rng.choice(turns)
        out = to_turns(c)
        out[t] = _steps(c[t] + c[t], parallel=True)
        return out, f"turn {t}: its calls twice in one step"
    return None


KINDS_MORE: dict[str, float] = {
    "name_spacing": 3, "name_prefixed": 2, "key_variants": 3, "json_text_variants": 5,
    "repeated_read_call": 2, "foreign_class_call": 2, "failing_state_call": 3,
    "text_only_turn": 2, "method_call_in_string": 2, "parallel_reversed": 2,
    "duplicate_parallel_step": 1, "step_limit_mid_turn": 1, "step_limit_last_turn": 1,
}  # fmt: skip
