"""Secrets never cross into storage: one masker for every place bytes enter the store or a log.

Two things are masked:
- the VALUES of key variables: every environment variable a deployment names as its key
  (`api_key_env`, or the provider default OPENAI_API_KEY / ANTHROPIC_API_KEY) plus any variable
  whose name ends in _API_KEY, _TOKEN or _SECRET, as long as the value is long enough to be a
  key (short values such as "x" or "EMPTY" would mask ordinary words);
- common key SHAPES whatever their source (an upstream may echo a key gapbench never saw):
  `sk-...`, `sk-ant-...`, `Bearer <token>`, `Authorization:` / `x-api-key:` header values,
  Hugging Face `hf_...` tokens.

A masked secret reads `[masked:<kind>]`, so a reader still sees that a key was there.
`find_secrets` reports the kinds found (for `results --check`, `publish` and tests), never the
values themselves.

This is a leaf module (no harness imports): the request path, the runners, the store writers,
the server log writer, the report and publish all call it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Values shorter than this are not treated as secrets even when a key variable holds them:
# local servers are often given api_key="EMPTY" or "x".
MIN_SECRET_LEN = 8

# Names of variables whose values are secrets, beyond the ones deployments name.
_SECRET_NAME = re.compile(r"(?:_API_KEY|_TOKEN|_SECRET|_ACCESS_KEY)$")


@dataclass(frozen=True)
class Shape:
    kind: str
    pattern: re.Pattern[str]
    # The regex group holding the secret itself (0 = the whole match); the rest is kept, so
    # "Authorization: Bearer abc" becomes "Authorization: Bearer [masked:bearer]".
    group: int = 0


SHAPES: tuple[Shape, ...] = (
    Shape("anthropic-key", re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}")),
    Shape("openai-key", re.compile(r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}")),
    Shape("hf-token", re.compile(r"\bhf_[A-Za-z0-9]{20,}")),
    Shape("bearer", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9._~+/=\-]{8,})"), group=1),
    Shape(
        "auth-header",
        re.compile(
            r"(?i)\b(?:authorization|x-api-key|api-key|x-goog-api-key)[\"']?\s*[:=]\s*[\"']?"
            r"(?:bearer\s+|basic\s+)?([^\s\"',}]{8,})"
        ),
        group=1,
    ),
)


def secret_env_names(extra: Iterable[str] = ()) -> set[str]:
    """Environment variable names whose values are secrets: `extra` (the key variables the
    registry's deployments name) plus every *_API_KEY / *_TOKEN / *_SECRET variable set now."""
    names = {n for n in extra if n}
    names |= {"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "HF_TOKEN"}
    names |= {n for n in os.environ if _SECRET_NAME.search(n)}
    return names


def secret_values(
    extra_names: Iterable[str] = (), env: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The values to mask, longest first (so a key that contains another is masked whole)."""
    source = os.environ if env is None else env
    values = {
        source[n].strip()
        for n in secret_env_names(extra_names)
        if len(source.get(n, "").strip()) >= MIN_SECRET_LEN
    }
    return tuple(sorted(values, key=len, reverse=True))


def mask(text: str, values: Iterable[str] | None = None) -> str:
    """`text` with every known key value and every key shape replaced by `[masked:<kind>]`.

    `values`: the secret values to mask (default: `secret_values()` from the environment now).
    Idempotent: masking masked text changes nothing."""
    if not text:
        return text
    for value in secret_values() if values is None else values:
        if value and len(value) >= MIN_SECRET_LEN and value in text:
            text = text.replace(value, "[masked:key-value]")
    for shape in SHAPES:
        text = _mask_shape(text, shape)
    return text


def _mask_shape(text: str, shape: Shape) -> str:
    def repl(m: re.Match[str]) -> str:
        secret = m.group(shape.group)
        if secret.startswith("[masked:"):
            return m.group(0)
        start, end = m.span(shape.group)
        whole_start = m.start()
        return (
            m.group(0)[: start - whole_start]
            + f"[masked:{shape.kind}]"
            + m.group(0)[end - whole_start :]
        )

    return shape.pattern.sub(repl, text)


def find_secrets(text: str, values: Iterable[str] | None = None) -> list[str]:
    """The kinds of secret present in `text` (empty when clean). Never returns the values."""
    if not text:
        return []
    found: list[str] = []
    for value in secret_values() if values is None else values:
        if value and len(value) >= MIN_SECRET_LEN and value in text:
            found.append("key-value")
            break
    for shape in SHAPES:
        for m in shape.pattern.finditer(text):
            if not m.group(shape.group).startswith("[masked:"):
                found.append(shape.kind)
                break
    return found
