"""Load a YAML file into a pydantic model; any problem becomes one ConfigError line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from harness.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(path, None, "file not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else None
        raise ConfigError(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    except (OSError, UnicodeDecodeError) as exc:
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


def validation_to_config_error(path: Path, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    elif first["type"] == "missing":
        msg = "required field missing"
    extra = f" (and {len(exc.errors()) - 1} more problems)" if len(exc.errors()) > 1 else ""
    return ConfigError(path, field_path(loc), msg + extra)


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


def parse_model(path: Path, model: type[M], data: Any, prefix: str) -> M:
    """Validate a fragment of a file; field paths are prefixed (e.g. 'models[3]')."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = validation_to_config_error(path, exc)
        field = f"{prefix}.{err.field}" if err.field and err.field != "(top level)" else prefix
        raise ConfigError(path, field, err.problem) from None
