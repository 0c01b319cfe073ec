"""Regenerate data/ (BFCL multi-turn base, vendored) from a bfcl-eval wheel.

    pip download --no-deps bfcl-eval==2026.3.23 -d /tmp/bfcl
    python tasks/agentic/bfcl_multi_turn/vendor.py /tmp/bfcl/bfcl_eval-2026.3.23-py3-none-any.whl

bfcl-eval is not installed (its dependencies pull a CUDA torch and pin numpy); only these
Apache-2.0 files are taken from it, in the layout inspect_evals' BFCL loader reads from its
cache directory. The backends' package imports are rewritten to plain module imports, exactly
as inspect_evals does when it fetches them from GitHub. Backends that multi_turn_base never
uses (memory, web search: they need extra dependencies) become stubs that raise ImportError,
which inspect_evals' loader treats as "class unavailable".
"""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path

CATEGORY = "multi_turn_base"
PREFIX = "bfcl_eval/"
DATA = PREFIX + "data/"
FUNC_SOURCE = PREFIX + "eval_checker/multi_turn_eval/func_source_code/"
# Backends (and their function docs) that multi_turn_base uses, plus their helper module.
BACKENDS = (
    "gorilla_file_system",
    "math_api",
    "message_api",
    "posting_api",
    "ticket_api",
    "trading_bot",
    "travel_booking",
    "vehicle_control",
)
HELPERS = ("long_context",)
STUBS = ("memory_api_metaclass", "memory_kv", "memory_vector", "memory_rec_sum", "web_search")
STUB_TEXT = 'raise ImportError("not vendored by gapbench: multi_turn_base does not use it")\n'


def vendor(wheel: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:

        def copy(member: str, dest: Path, rewrite: bool = False) -> None:
            data = zf.read(member)
            if rewrite:
                text = data.decode("utf-8").replace(
                    "from bfcl_eval.eval_checker.multi_turn_eval.func_source_code.", "from "
                )
                data = text.encode("utf-8")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)

        name = f"BFCL_v4_{CATEGORY}.json"
        copy(DATA + name, out / name)
        copy(DATA + "possible_answer/" + name, out / "possible_answer" / name)
        for backend in BACKENDS:
            copy(
                DATA + f"multi_turn_func_doc/{backend}.json",
                out / "multi_turn_func_doc" / f"{backend}.json",
            )
        for module in BACKENDS + HELPERS:
            copy(
                FUNC_SOURCE + f"{module}.py",
                out / "func_source_code" / f"{module}.py",
                rewrite=True,
            )
        for module in STUBS:
            (out / "func_source_code" / f"{module}.py").write_text(STUB_TEXT, encoding="utf-8")
    source = {
        "wheel": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "category": CATEGORY,
        "licence": "Apache-2.0 (Copyright 2023 The Gorilla Authors; the wheel ships no LICENSE file)",
        "upstream": "https://github.com/ShishirPatil/gorilla/tree/main/berkeley-function-call-leaderboard",
    }
    (out / "SOURCE.json").write_text(json.dumps(source, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    vendor(Path(sys.argv[1]), Path(__file__).resolve().parent / "data")
