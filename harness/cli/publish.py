"""`gapbench publish`: the report as a static site (folder or git branch), or the results as a
Hugging Face dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._common import console, ws


def cmd_publish(args: argparse.Namespace) -> int:
    from harness import api

    result = api.publish(
        args.report,
        ws=ws(args),
        to=Path(args.to) if args.to else None,
        git_branch=args.git_branch,
        git_remote=args.git_remote,
        hf_dataset=args.hf_dataset,
        sweep=args.sweep,
    )
    console.print(result.line(), markup=False, highlight=False)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "publish",
        parents=[common],
        help="publish a report as a static site (folder or git branch) or results to the HF Hub",
        description=(
            "--to DIR copies the rendered report into DIR (replaced whole). --git-branch "
            "commits it onto a branch (e.g. gh-pages) of the repository here, or of "
            "--git-remote (a remote name, path or URL) and pushes it there; no working tree is "
            "touched. --hf-dataset uploads the results (samples and runs as Parquet) as a "
            "Hugging Face dataset: online only, token from HF_TOKEN; offline it fails at once "
            "(exit 3). Nothing is published when the store or the report holds an API key (a key "
            "variable's value or a key shape): one line naming where, exit 2; `gapbench results "
            "--scrub` masks them in the store, then render the report again."
        ),
    )
    p.add_argument(
        "report",
        nargs="?",
        help="report name under the reports folder, or a report folder (not for --hf-dataset)",
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--to", metavar="DIR", help="publish the site into this folder")
    target.add_argument(
        "--git-branch", metavar="BRANCH", help="commit the site onto this branch (e.g. gh-pages)"
    )
    target.add_argument(
        "--hf-dataset", metavar="OWNER/NAME", help="upload the results as this HF dataset"
    )
    p.add_argument(
        "--git-remote",
        metavar="REMOTE",
        help="with --git-branch: push to this remote (a remote name, a path or a URL)",
    )
    p.add_argument(
        "--sweep", metavar="NAME", help="with --hf-dataset: only this sweep's rows (default: all)"
    )
    p.set_defaults(func=cmd_publish)
