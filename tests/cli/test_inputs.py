"""The one input validator (harness/_loading.py): YAML and JSON limits, dates left to the
typed field, and one value checked with a model's own bounds."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from harness._loading import MAX_DEPTH, loads_json, loads_yaml, read_jsonl
from harness.errors import ConfigError, UserError
from harness.models import ModelCard
from harness.sweep.spec import SweepSpec


def test_dates_stay_strings_so_the_typed_field_names_the_problem() -> None:
    data = loads_yaml("since: 2025-13-45\nok: 2025-01-02\n", "f.yaml")
    assert data == {"since": "2025-13-45", "ok": "2025-01-02"}
    card = {
        "id": "a",
        "name": "a",
        "organisation": "o",
        "access": "open",
        "licence": "l",
        "source": "s",
        "release_date": data["ok"],
    }
    assert ModelCard.model_validate(card).release_date == date(2025, 1, 2)


def test_depth_limit_holds_through_aliases() -> None:
    nested = "[" * (MAX_DEPTH - 2) + "]" * (MAX_DEPTH - 2)
    assert loads_yaml(f"a: {nested}\n", "f") is not None  # just under the limit
    # each alias adds the depth of what it points to: 40 + 40 levels > 64
    doc = "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n"
    with pytest.raises(ConfigError, match="once aliases expand"):
        loads_yaml(doc, "f")


def test_duplicate_keys_are_refused_but_merge_keys_work() -> None:
    with pytest.raises(ConfigError, match="duplicate key 'a'"):
        loads_yaml("a: 1\nb: 2\na: 3\n", "f")
    merged = loads_yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "f")
    assert merged["c"] == {"x": 1, "y": 3}


def test_json_limits_name_the_line() -> None:
    with pytest.raises(ConfigError, match=r"nested too deeply|nested deeper"):
        loads_json("[" * 100_000 + "]" * 100_000, "x.json")
    with pytest.raises(ConfigError, match=r"x\.json: line 2: not valid JSON"):
        loads_json('{"a": 1,\n}', "x.json")
    assert loads_json(json.dumps({"a": [1, {"b": 2}]}), "x.json") == {"a": [1, {"b": 2}]}


def test_jsonl_errors_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text('{"a": 1}\n\n{"a": \n')
    rows = read_jsonl(path)
    assert next(rows) == {"a": 1}
    with pytest.raises(ConfigError, match=r"s\.jsonl: line 3"):
        next(rows)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("limit", "7", 7),
        ("limit", "11-20", (11, 20)),
        ("limit", [3, 4], (3, 4)),
        ("epochs", "3", 3),
        ("budget_usd", "2.5", 2.5),
    ],
)
def test_one_value_checked_with_the_sweep_fields_bounds(
    field: str, value: object, expected: object
) -> None:
    assert SweepSpec.check(field, value) == expected


def test_limit_range_selects_one_based_inclusive() -> None:
    sweep = SweepSpec(name="s", models=["m"], suites=["x"], limit="2-3")
    assert sweep.apply_limit(["a", "b", "c", "d"]) == ["b", "c"]
    assert SweepSpec(name="s", models=["m"], suites=["x"], limit=2).apply_limit("abc") == ["a", "b"]
    with pytest.raises(UserError, match="limit"):
        sweep.with_options(limit="0-2")
