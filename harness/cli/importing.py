"""`gapbench import`: results made elsewhere (Epoch AI hub, lm-eval, inspect logs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._common import console, ws


def cmd_import(args: argparse.Namespace) -> int:
    from harness import api

    w = ws(args)
    # an Epoch dump may be named by its URL (http/https), which a Path would mangle
    url = args.source == "epoch" and str(args.path or "").startswith(("http://", "https://"))
    summary = api.import_results(
        args.source,
        args.path if url else Path(args.path) if args.path else None,
        ws=w,
        access=args.access,
        model_id=args.model,
        release_date=args.release_date,
        kind=args.kind,
        suite=args.suite,
        filter_name=args.filter,
        metric=args.metric,
        replace=args.replace,
    )
    console.print(summary.line(), markup=False, highlight=False, soft_wrap=True)
    for warning in summary.warnings:
        console.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
    return 0


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    im = sub.add_parser(
        "import",
        parents=[common],
        help="import results made elsewhere (marked source=imported:<name>)",
        description=(
            "Import an Epoch AI Benchmarking Hub dump (folder, zip or its URL; every dump is kept "
            "as a snapshot, and re-importing one says so and writes nothing), lm-eval output "
            "(results_*.json with "
            "samples_*.jsonl) or inspect .eval logs. For a model in the registry the card's "
            "access, release date and organisation are recorded (a contradicting --access or "
            "--release-date is refused); for any other model --access is required. Prompts, "
            "outputs and targets go to the transcripts table. Re-importing writes nothing "
            "new; --replace writes every row again with the facts given now."
        ),
        epilog=(
            "examples:\n"
            "  gapbench import epoch --from https://epoch.ai/data/benchmark_data.zip\n"
            "  gapbench import lm-eval --from out/ --model smollm2-135m-instruct\n"
            "  gapbench import lm-eval --from out/ --access open --release-date 2024-10-31 "
            "--filter strict-match\n"
            "  gapbench import inspect --from logs/ --model gpt-4o-mini --kind agentic\n"
            "  gapbench import inspect --from logs/ --model my-model --access closed --replace"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    im.add_argument("source", choices=["epoch", "lm-eval", "inspect"])
    im.add_argument(
        "--from",
        dest="path",
        metavar="PATH",
        help="file, folder or zip to import; epoch: also an http(s) URL of the zip (without "
        "--from: Epoch's public zip), online only (offline: exit 3)",
    )
    im.add_argument(
        "--access",
        choices=["open", "closed"],
        help="lm-eval/inspect: the model's access (required unless the model is in the registry)",
    )
    im.add_argument(
        "--model",
        help="lm-eval/inspect: model id to record (default: the name in the log); a registry id "
        "brings the card's facts",
    )
    im.add_argument(
        "--release-date",
        metavar="YYYY-MM-DD",
        help="lm-eval/inspect: the model's release date (models not in the registry)",
    )
    im.add_argument(
        "--kind",
        choices=["standard", "agentic"],
        help="lm-eval/inspect: suite kind (default standard / agentic)",
    )
    im.add_argument("--suite", help="inspect: suite name to record (default: the task name)")
    im.add_argument(
        "--filter",
        help="lm-eval: import only this filter (e.g. strict-match) as the task's suite; "
        "default: every filter, the first as <task>, others as <task>[<filter>]",
    )
    im.add_argument(
        "--metric", help="lm-eval: the per-sample metric to score with (default: the task's first)"
    )
    im.add_argument(
        "--replace",
        action="store_true",
        help="write every row again with the facts given now; the new rows win in reads and the "
        "old ones stay as history (one atomic write)",
    )
    im.set_defaults(func=cmd_import)
