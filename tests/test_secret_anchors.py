"""The literal anchors that let `harness.secrets` skip a shape's regex: every text a shape
matches holds one of its anchors (else masking would skip a real key), in every case variant
the regex folds; and the url-password shape's fast form masks what its RE2 form finds."""

from __future__ import annotations

import re

import pytest

from harness.secrets import SHAPES, _shapes_in, find_secrets, mask

SECRET = "Zx9Qw8Er7Ty6Ui5Op4As3Df2"
EXAMPLES = {
    "anthropic-key": [f"sk-ant-api03-{SECRET}"],
    "openai-key": [f"sk-{SECRET}", f"sk-proj-{SECRET}", f"sk-svcacct-{SECRET}"],
    "hf-token": [f"hf_{SECRET}"],
    "google-key": ["AIza" + "B" * 35],
    "github-token": ["ghp_" + "a" * 36, "ghs_" + "b" * 40, f"github_pat_{SECRET}"],
    "slack-token": [f"xoxb-{SECRET}"],
    "aws-key": ["AKIAABCDEFGHIJKLMNOP", "ASIAABCDEFGHIJKLMNOP"],
    "bearer": [f"Authorization: Bearer {SECRET}", f"BEARER {SECRET}"],
    "auth-header": [
        f"x-api-key: {SECRET}",
        f'"X-Goog-Api-Key": "{SECRET}"',
        f"Ocp-Apim-Subscription-Key={SECRET}",
        f"authorization: Basic {SECRET}",
    ],
    "key-field": [
        f'{{"api_key": "{SECRET}"}}',
        f"{{'ApiKey': '{SECRET}'}}",
        f'{{\\"client-secret\\": \\"{SECRET}\\"}}',
        f'{{"ACCESS_TOKEN": "{SECRET}"}}',
        f'{{"secretkey": "{SECRET}"}}',
    ],
    "key-query": [f"/v1?key={SECRET}", f"&Access-Token={SECRET}", f"?client_secret={SECRET}"],
    "url-password": [
        f"https://user:{SECRET}@host/x",
        f"POSTGRES+psycopg://me:{SECRET}@db",
        f"git+ssh://u:{SECRET}@h",
    ],
}


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.kind)
def test_every_match_holds_an_anchor(shape) -> None:  # type: ignore[no-untyped-def]
    examples = EXAMPLES[shape.kind]
    # The Kelvin sign and the long s fold to k and s under the regexes' IGNORECASE.
    variants = [
        e for ex in examples for e in (ex, ex.replace("k", "\u212a"), ex.replace("s", "\u017f"))
    ]
    for text in variants:
        if not shape.pattern.search(text):
            continue  # a case-sensitive shape need not match a folded variant
        assert shape in _shapes_in(f"padding {text} padding"), text
    assert all(shape.pattern.search(e) for e in examples)


def test_every_shape_has_anchors_and_examples() -> None:
    assert {s.kind for s in SHAPES} == set(EXAMPLES)
    assert all(s.anchors for s in SHAPES)


def test_a_text_without_anchors_is_left_alone_and_one_with_them_is_masked() -> None:
    clean = '{"input_tokens": 12, "url": "https://example.com/a", "monkey": "keyboard"}' * 1000
    assert mask(clean) == clean and find_secrets(clean) == []
    for kind, examples in EXAMPLES.items():
        for ex in examples:
            out = mask(clean + ex)
            assert SECRET not in out and "[masked:" in out, (kind, ex)


def test_url_password_fast_form_agrees_with_its_re2_form() -> None:
    (shape,) = [s for s in SHAPES if s.kind == "url-password"]
    assert shape.re2 is not None
    slow = re.compile(shape.re2, re.IGNORECASE)
    texts = [
        f"https://user:{SECRET}@host",
        f"see https://user:{SECRET}@host and ftp://a:{SECRET}x@b",
        "https://example.com/path?q=1@2",
        f"://nouser:{SECRET}@x",  # no scheme: neither form
        f"HTTP://U:{SECRET}@H",
        "mailto:someone@example.com",
        f"s3://bucket:short@x https://u:{SECRET}",
    ]
    for text in texts:
        fast = [m.group(1) for m in shape.pattern.finditer(text)]
        assert fast == [m.group(1) for m in slow.finditer(text)], text
