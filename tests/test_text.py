"""harness/_text.py: invisible characters made visible, spreadsheet formulas neutralised,
long names clipped, messages kept on one line."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pyarrow as pa
import pytest

from harness._text import (
    FORMULA_START,
    INVISIBLE,
    clip,
    csv_cell,
    csv_safe_frame,
    csv_safe_table,
    has_invisible,
    one_line,
    visible,
)
from harness.errors import ConfigError, UserError


def test_the_invisible_set_covers_every_control_and_format_character() -> None:
    # the hard-coded ranges against this Python's Unicode database, every code point
    missed = [
        cp
        for cp in range(0x110000)
        if (
            unicodedata.category(chr(cp)) in ("Cf", "Zl", "Zp")
            or (unicodedata.category(chr(cp)) == "Cc" and cp not in (9, 10, 13))
        )
        and not INVISIBLE.match(chr(cp))
    ]
    assert missed == []
    for ordinary in "aZ09 \t\n\r.-é中😀\u05d0":
        assert not INVISIBLE.match(ordinary), repr(ordinary)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("gnp\u202eexe.png", "gnp\\u202eexe.png"),  # right-to-left override
        ("ab\u200bc", "ab\\u200bc"),  # zero-width space
        ("a\u2066b\u2069", "a\\u2066b\\u2069"),  # isolates
        ("x\x1b[31my", "x\\u001b[31my"),  # a terminal escape
        ("tag\U000e0041", "tag\\U000e0041"),  # tag characters
        ("plain text, é 中", "plain text, é 中"),
    ],
)
def test_visible_shows_what_is_stored(text: str, shown: str) -> None:
    assert visible(text) == shown
    assert has_invisible(text) == (text != shown)


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals sign
        # B2 (red team): what a spreadsheet trims or folds before it looks for a formula
        (" =1+1", "' =1+1"),  # LibreOffice's "Trim spaces", Google Sheets trim
        ("\u00a0\u3000@SUM(1)", "'\u00a0\u3000@SUM(1)"),  # no-break and ideographic spaces
        ("\n=1+1", "'\n=1+1"),
        ("\u200b=1+1", "'\u200b=1+1"),  # a zero-width space first
        ("\ufe66cmd|' /C calc'!A0", "'\ufe66cmd|' /C calc'!A0"),  # small equals sign
        ("\u207c1", "'\u207c1"),  # superscript equals sign
        ("a=1", "a=1"),
        (" plain", " plain"),
        ("gpt-4o", "gpt-4o"),
        ("", ""),
    ],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_prefixed(cell: str, safe: str) -> None:
    assert csv_cell(cell) == safe


def test_numbers_stay_numbers_in_csv() -> None:
    df = pd.DataFrame({"model_id": ["=cmd|' /C calc'!A0", "ok"], "gap": [-0.5, 0.25], "n": [-3, 4]})
    out = csv_safe_frame(df)
    assert out["model_id"].tolist() == ["'=cmd|' /C calc'!A0", "ok"]
    assert out["gap"].tolist() == [-0.5, 0.25] and out["gap"].dtype == float
    assert out["n"].tolist() == [-3, 4]
    assert df["model_id"][0].startswith("=")  # the input is not changed
    assert csv_safe_frame(df[["gap"]]) is not None
    text = out.to_csv(index=False)
    assert ",-0.5," in text and "\n'=cmd" in text

    table = pa.table({"model_id": ["-1+1", None, "fine"], "score": [-0.5, None, 1.0]})
    safe = csv_safe_table(table)
    assert safe.column("model_id").to_pylist() == ["'-1+1", None, "fine"]
    assert safe.column("score").to_pylist() == [-0.5, None, 1.0]
    assert safe.schema == table.schema


def test_long_names_are_clipped_with_their_length() -> None:
    name = "m" * 1_000_000
    assert clip(name) == "m" * 200 + "… (1,000,000 characters)"
    err = UserError(f"--model: unknown model '{name}'")
    assert len(str(err)) < 400 and "1,000,002 characters" in str(err)
    cfg = ConfigError("sweeps/x.yaml", "models[0]", f"unknown model '{name}'")
    assert len(str(cfg)) < 400 and str(cfg).startswith("sweeps/x.yaml: models[0]: unknown")


def test_messages_stay_on_one_line() -> None:
    msg = one_line("bad name 'a\nb\r\x1b]0;owned\x07\u202e'")
    assert "\n" not in msg and "\r" not in msg and "\x1b" not in msg
    assert msg == "bad name 'a\\nb\\r\\u001b]0;owned\\u0007\\u202e'"
    assert str(UserError("x\ny")) == "x\\ny"
    huge = one_line(" ".join(["word"] * 5000))
    assert len(huge) < 4200 and "characters in all" in huge


def test_formula_lookalikes_are_every_character_nfkc_folds_to_a_formula_sign() -> None:
    # B2 (red team): the list against this Python's Unicode database, every code point
    folded = {
        chr(cp)
        for cp in range(0x80, 0x110000)
        if unicodedata.normalize("NFKC", chr(cp))[:1] in ("=", "+", "-", "@")
    }
    assert folded == set(FORMULA_START) - set("=+-@\t\r")
    for char in folded:
        assert csv_cell(f"{char}1") == f"'{char}1", hex(ord(char))


def test_categorical_and_dictionary_columns_and_headers_are_neutralised() -> None:
    # B2 (red team): analysis reads names as categoricals, DuckDB may give dictionary columns,
    # and a column named by data is a header cell too
    df = pd.DataFrame({"model_id": pd.Categorical(["=1+1", "ok", "=1+1"]), "=x": [1, 2, 3]})
    text = csv_safe_frame(df).to_csv(index=False)
    assert text.splitlines() == ["model_id,'=x", "'=1+1,1", "ok,2", "'=1+1,3"]
    table = pa.table(
        {
            "m": pa.array(["@SUM(1)", "ok", None]).dictionary_encode(),
            "clean": pa.array(["a", "b", None]).dictionary_encode(),
            " +h": pa.array(["\u3000=1", "x", None]),
        }
    )
    safe = csv_safe_table(table)
    assert safe.column("m").to_pylist() == ["'@SUM(1)", "ok", None]
    assert safe.column("' +h").to_pylist() == ["'\u3000=1", "x", None]
    assert safe.schema.field("clean").type == table.schema.field("clean").type  # left alone


def test_an_api_option_out_of_range_names_the_argument_alone() -> None:
    """A union-typed option (an int or a range) failed once per union member: the message
    read 'limit.constrained-int: must be >= 1 (and 1 more problems)' (A3's red team)."""
    import pytest

    import gapbench
    from harness.errors import UserError

    with pytest.raises(UserError) as caught:
        gapbench.evaluate("smollm2", "ladder_standard", limit=0)
    assert str(caught.value) == "limit: must be >= 1"
