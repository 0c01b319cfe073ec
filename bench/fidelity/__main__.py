"""Run the fidelity checks and regenerate their report.

    python -m bench.fidelity SUITE [--n N] [--seed S]   one suite's agreement run -> results/SUITE.json
    python -m bench.fidelity ladder [--replicates R]    the ladder's known-competence agents -> results/ladder/
    python -m bench.fidelity doc [--check]              docs/fidelity.md and README's sentence from the results
    python -m bench.fidelity all                        every suite, the ladder, then doc
    python -m bench.fidelity list                       the suites it knows

Suites are those registered in bench/fidelity/suites.py. Each run writes its JSON (validated
against bench.fidelity.doc.AgreementResult, with the commit and command filled in), then
regenerates docs/fidelity.md and README's sentence from all results: commit them together. Exit codes: 0 done, 1 `doc --check` found drift, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bench.fidelity import doc
from bench.fidelity.suites import SUITES

DEFAULT_N = 200
DEFAULT_SEED = 20261121


def git_commit() -> str:
    """HEAD's short hash, with "-dirty" when tracked files differ from it."""
    root = doc.HERE.parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--"], cwd=root, capture_output=True
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def write_json(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def run_suite(name: str, n: int, seed: int) -> Path:
    """One suite's agreement run, validated and written to results/<name>.json."""
    raw = dict(SUITES[name](n, seed))
    raw.setdefault("commit", git_commit())
    raw.setdefault("generated_by", f"python -m bench.fidelity {name} --n {n} --seed {seed}")
    try:
        result = doc.AgreementResult.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise SystemExit(
            f"bench.fidelity: {name}'s run returned a bad result: {where}: {first['msg']}"
        ) from None
    if result.suite != name:
        raise SystemExit(f"bench.fidelity: {name}'s run returned suite {result.suite!r}")
    return write_json(doc.RESULTS / f"{name}.json", result.model_dump(mode="json"))


def run_ladder(replicates: int, seed: int) -> list[Path]:
    from bench.fidelity import ladder

    stamp = {
        "commit": git_commit(),
        "generated_by": f"python -m bench.fidelity ladder --replicates {replicates} --seed {seed}",
    }
    return [
        write_json(doc.LADDER_RESULTS / f"{name}.json", {**data, **stamp})
        for name, data in ladder.run(replicates, seed).items()
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m bench.fidelity",
        description="Fidelity checks: agreement with the official evaluators, the ladder's "
        "known-competence agents, and docs/fidelity.md.",
    )
    ap.add_argument("what", help="a suite name, 'ladder', 'doc', 'all' or 'list'")
    ap.add_argument("--n", type=int, default=DEFAULT_N, help="trajectories per suite")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument(
        "--replicates", type=int, default=None, help="ladder: replicates per p (default: full)"
    )
    ap.add_argument("--check", action="store_true", help="doc: write nothing, exit 1 on drift")
    args = ap.parse_args(argv)
    if args.n < 1 or (args.replicates is not None and args.replicates < 1):
        print("bench.fidelity: --n and --replicates must be at least 1", file=sys.stderr)
        return 2
    what: str = args.what
    if what == "list":
        print("\n".join([*sorted(SUITES), "ladder", "doc", "all"]))
        return 0
    if what == "doc":
        return doc.main(check=args.check)
    if what not in (*SUITES, "ladder", "all"):
        known = ", ".join([*sorted(SUITES), "ladder", "doc", "all"])
        print(f"bench.fidelity: unknown suite {what!r} (known: {known})", file=sys.stderr)
        return 2
    names = sorted(SUITES) if what == "all" else [what] if what in SUITES else []
    for name in names:
        print(run_suite(name, args.n, args.seed))
    if what in ("ladder", "all"):
        from bench.fidelity import ladder

        reps = args.replicates or ladder.FULL_REPLICATES
        for path in run_ladder(reps, args.seed):
            print(path)
    # the report follows its data: commit docs/fidelity.md and README.md with the results
    # (tests/fidelity/test_doc.py fails when they drift apart)
    return doc.main(check=False)


if __name__ == "__main__":
    raise SystemExit(main())
