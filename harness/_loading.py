"""The one validator for input: files (YAML, JSON) and single values (CLI and API arguments).

Every problem becomes one `ConfigError` / `UserError` line naming the file or option and the
field (exit 2), never a traceback. What is checked here, for every file a user can hand us
(models.yaml, sweeps, suite.yaml, mapping files, imported JSON):
- size: a file larger than its cap is refused before it is read;
- nesting: YAML deeper than MAX_DEPTH levels (also through aliases) and JSON deeper than
  MAX_JSON_DEPTH are refused with the line where it happened, instead of a RecursionError;
- aliases: the document as aliases expand it may hold at most MAX_NODES nodes (the "billion
  laughs" file), and an alias may not contain itself;
- duplicate keys in one YAML mapping are refused (PyYAML would silently keep the last);
- dates: the loader does NOT turn `2025-13-45` into a date (PyYAML raises a bare ValueError
  from deep inside, for any key, even an unknown one). Dates stay strings, so the typed model
  that reads them parses them and names the field (`models[0].release_date: ...`), and an
  unknown key is reported as an unknown key.
Numbers are checked by the typed models themselves (pydantic `ge/le`, `allow_inf_nan=False`);
`check_value` runs exactly those checks on one value given on the command line or to the API,
so a bound is written once and holds for files, options and Python callers alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import ConfigError, UserError

M = TypeVar("M", bound=BaseModel)

MAX_YAML_BYTES = 8 * 1024 * 1024  # config files are kilobytes; 8 MiB is generous
MAX_JSON_BYTES = 1024 * 1024 * 1024  # imported engine logs can be large
MAX_DEPTH = 64  # configs nest 4-5 levels deep
MAX_JSON_DEPTH = 256  # engine logs nest deeper (messages, tool calls, arguments)
MAX_NODES = 1_000_000  # after alias expansion
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader with a nesting limit, duplicate-key check and no implicit dates."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(
                    None, None, f"nested deeper than {MAX_DEPTH} levels", mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key '{key_node.value}'", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# Dates stay strings: drop the implicit timestamp resolver (an explicit !!timestamp still works
# and its errors are caught below like any other constructor error).
_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_size(root: Node) -> tuple[int, int]:
    """(nodes, depth) of the document as its aliases expand it; rejects recursive aliases."""
    memo: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def walk(node: Node) -> tuple[int, int]:
        key = id(node)
        if key in memo:
            return memo[key]
        if key in active:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to a node that contains it", node.start_mark
            )
        active.add(key)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        size, depth = 1, 1
        for child in children:
            s, d = walk(child)
            size += s
            depth = max(depth, d + 1)
            if size > MAX_NODES or depth > MAX_DEPTH:
                what = (
                    f"more than {MAX_NODES} values once aliases expand"
                    if size > MAX_NODES
                    else f"nested deeper than {MAX_DEPTH} levels once aliases expand"
                )
                raise yaml.composer.ComposerError(None, None, what, child.start_mark)
        active.discard(key)
        memo[key] = (size, depth)
        return memo[key]

    return walk(root)


def _check_size(path: Path, cap: int) -> None:
    if not path.is_file():
        raise ConfigError(path, None, "file not found")
    size = path.stat().st_size
    if size > cap:
        raise ConfigError(path, None, f"file too large ({size} bytes; at most {cap})")


def loads_yaml(text: str, source: Path | str) -> Any:
    """Parse YAML text with the limits above; `source` names it in errors."""
    loader = _ConfigLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}" if mark is not None else None
        problem = exc.problem or exc.context or "unreadable"
        raise ConfigError(source, where, f"not valid YAML ({problem})") from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise ConfigError(source, None, f"not valid YAML ({exc})") from None
    except RecursionError:  # a backstop: the depth limit above should always come first
        raise ConfigError(source, None, "not valid YAML (nested too deeply)") from None
    finally:
        loader.dispose()


def read_yaml(path: Path, *, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """The YAML document at `path`, checked for size, nesting, aliases and duplicate keys."""
    path = Path(path)
    _check_size(path, max_bytes)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, None, f"cannot read ({exc})") from None
    return loads_yaml(text, path)


def _json_depth_ok(value: Any, source: Path | str, where: str | None) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ConfigError(source, where, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def loads_json(text: str | bytes, source: Path | str, *, where: str | None = None) -> Any:
    """Parse JSON with a nesting limit; any problem is one ConfigError naming `source`."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        at = where or f"line {exc.lineno}"
        raise ConfigError(source, at, f"not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise ConfigError(source, where, "JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(source, where, f"not valid JSON ({exc})") from None
    _json_depth_ok(value, source, where)
    return value


def read_json(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """The JSON document at `path`, checked for size and nesting."""
    path = Path(path)
    _check_size(path, max_bytes)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read ({exc})") from None
    return loads_json(data, path)


def read_jsonl(path: Path, *, max_bytes: int = MAX_JSON_BYTES) -> Iterator[Any]:
    """One JSON value per non-empty line of `path`; errors name the line."""
    path = Path(path)
    _check_size(path, max_bytes)
    try:
        with path.open("rb") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    yield loads_json(line, path, where=f"line {n}")
    except OSError as exc:
        raise ConfigError(path, None, f"cannot read ({exc})") from None


def field_path(loc: tuple[int | str, ...]) -> str:
    """('models', 0, 'id') -> 'models[0].id'"""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _problem(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required field missing"
    if kind == "finite_number":
        return "must be a finite number (not nan or inf)"
    ctx = error.get("ctx") or {}
    bounds = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return f"must be {bounds[kind]} {limit}"
    if kind == "less_than":
        return f"must be < {ctx.get('lt', '?')}"
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type"):
        return "must be a number"
    msg = str(error["msg"])
    return msg[len("Value error, ") :] if msg.startswith("Value error, ") else msg


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    # pydantic adds validator names ('function-after[...]') and union members
    # ('int', 'tuple[int, int]') to locations; they mean nothing to a user.
    return tuple(
        p
        for p in loc
        if not (
            isinstance(p, str)
            and (p.startswith(("function-", "constrained-")) or "[" in p or p in _TYPES)
        )
    )


_TYPES = {"int", "str", "float", "bool", "list", "dict", "tuple", "date", "none"}


def validation_to_config_error(path: Path | str, exc: ValidationError) -> ConfigError:
    errors = exc.errors()
    first = errors[0]
    # A union (an int or a range) fails once per member at the same place: one problem.
    where = _clean_loc(first["loc"])
    others = {_clean_loc(e["loc"]) for e in errors} - {where}
    extra = f" (and {len(others)} more problems)" if others else ""
    return ConfigError(path, field_path(where), _problem(first) + extra)


def load_model(path: Path, model: type[M], data: Any = None) -> M:
    """Validate `data` (or the YAML at `path`) as `model`, naming `path` in any error."""
    if data is None:
        data = read_yaml(path)
    if data is None:
        raise ConfigError(path, None, "file is empty")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_to_config_error(path, exc) from None
    except RecursionError:
        raise ConfigError(path, None, "nested too deeply") from None


def parse_model(path: Path, model: type[M], data: Any, prefix: str) -> M:
    """Validate a fragment of a file; field paths are prefixed (e.g. 'models[3]')."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = validation_to_config_error(path, exc)
        field = f"{prefix}.{err.field}" if err.field and err.field != "(top level)" else prefix
        raise ConfigError(path, field, err.problem) from None


def check_value(model: type[BaseModel], base: Mapping[str, Any], field: str, value: Any) -> Any:
    """Validate one value of `model.field` with the model's own constraints.

    `base` fills the model's other required fields with valid values. Returns the parsed
    value; raises UserError("<field>: <problem>"). The CLI and the API use this so that a
    number given as `--epochs 0` or `epochs=0` is refused exactly as `epochs: 0` in a file is.
    """
    try:
        parsed = model.model_validate({**base, field: value})
    except ValidationError as exc:
        errors = [e for e in exc.errors() if _clean_loc(e["loc"])[:1] == (field,)]
        first = errors[0] if errors else exc.errors()[0]
        raise UserError(f"{field}: {_problem(first)} (got {value!r})") from None
    return getattr(parsed, field)


def finite(value: float, name: str) -> float:
    """`value` if it is a finite number; UserError naming `name` otherwise."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise UserError(f"{name}: must be a finite number (got {value!r})")
    return float(value)
