"""The analysis method options (`--since ... --ci`) of `gapbench analyze` and `gapbench report`.

Every command's parser is built on every gapbench invocation, so this module must stay light:
importing harness.analysis (scipy, pandas) here cost 2-5 s on every `gapbench run` (issue 14,
fast start). The choices and defaults below are copies of harness.analysis.spec's
(CENSORINGS, AVERAGINGS, PRIMARY); tests/cli/test_lazy_imports.py fails when they drift
apart. The options are turned into an AnalysisSpec only when a command runs
(`spec_from_args`), which is where harness.analysis is imported.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.analysis.spec import AnalysisSpec

# harness.analysis.spec: CENSORINGS, AVERAGINGS
CENSORING_CHOICES = ("both", "none", "closed", "open", "bounds")
AVERAGING_CHOICES = ("benchmark", "pooled")
# harness.analysis.spec: OWN_ROWS
OWN_ROWS_CHOICES = ("comparable", "calibrated", "all", "none")
# harness.analysis.spec.PRIMARY, as shown in --help
PRIMARY_DEFAULTS = {
    "since": "2025-01-01",
    "censoring": "bounds",
    "averaging": "benchmark",
    "own_rows": "comparable",
    "replicates": 2000,
    "curve_replicates": 200,
    "power_simulations": 400,
    "seed": 0,
    "ci": 0.95,
}


def add_spec_arguments(p: argparse.ArgumentParser) -> None:
    """The method choices of docs/methods.md as options; defaults are the primary spec."""
    primary = PRIMARY_DEFAULTS
    g = p.add_argument_group(
        "method choices (recorded with the result; defaults: the primary specification)"
    )
    g.add_argument(
        "--since",
        metavar="DATE",
        help=f"window start on the open crossing date, YYYY-MM-DD (default {primary['since']}; "
        "'' for none)",
    )
    g.add_argument("--until", metavar="DATE", help="window end, YYYY-MM-DD (default: none)")
    g.add_argument(
        "--censoring",
        choices=CENSORING_CHOICES,
        help="first-model crossings and unreached thresholds: both = drop first-model "
        "crossings of either side, closed|open = drop that side's, none = keep them as "
        "exact, bounds = keep them as one-sided bounds with a censored-data fit "
        f"(default {primary['censoring']})",
    )
    g.add_argument("--benchmarks", metavar="A,B,...", help="only these benchmarks (default: all)")
    g.add_argument(
        "--mapping",
        metavar="FILE",
        help="YAML kind mapping (benchmark: standard|agentic|exclude) applied without "
        "re-importing (default: the stored kinds)",
    )
    g.add_argument(
        "--averaging",
        choices=AVERAGING_CHOICES,
        help="benchmark = each benchmark one unit; pooled = every datapoint one unit "
        f"(default {primary['averaging']})",
    )
    g.add_argument(
        "--own-rows",
        choices=OWN_ROWS_CHOICES,
        help="your runs of suites that measure a published benchmark join its frontier: "
        "comparable = those with the benchmark's items (or a subset) whose own and published "
        "scores do not disagree, calibrated = only those a model scored both ways confirms, "
        "all = every such suite, none = published rows alone "
        f"(default {primary['own_rows']})",
    )
    g.add_argument(
        "--replicates",
        type=str,
        metavar="N",
        help=f"bootstrap replicates of D (default {primary['replicates']})",
    )
    g.add_argument(
        "--curve-replicates",
        type=str,
        metavar="N",
        help="bootstrap replicates per specification on the sensitivity curve "
        f"(default {primary['curve_replicates']})",
    )
    g.add_argument(
        "--power-simulations",
        type=str,
        metavar="N",
        help="simulated data sets behind the power and the minimum detectable effect "
        f"(default {primary['power_simulations']})",
    )
    g.add_argument("--seed", type=str, metavar="S", help=f"random seed (default {primary['seed']})")
    g.add_argument(
        "--ci", type=str, metavar="LEVEL", help=f"confidence level (default {primary['ci']})"
    )


def spec_from_args(args: argparse.Namespace) -> AnalysisSpec:
    """The AnalysisSpec of parsed options (UserError naming the option on a bad value)."""
    from harness.analysis.spec import spec_from_options

    return spec_from_options(
        since=args.since,
        until=args.until,
        censoring=args.censoring,
        benchmarks=args.benchmarks,
        mapping=args.mapping,
        averaging=args.averaging,
        own_rows=args.own_rows,
        replicates=args.replicates,
        curve_replicates=args.curve_replicates,
        power_simulations=args.power_simulations,
        seed=args.seed,
        ci=args.ci,
    )
