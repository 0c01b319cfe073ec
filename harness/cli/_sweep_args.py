"""What `gapbench run` and `gapbench plan` share: the sweep to plan (a file, or --model/--suite),
every sweep-file field that makes sense on one line as an option, and the plan they make.

Each option is checked by the sweep file's own field (`SweepSpec.check`) while argparse parses,
so `--concurrency 0` and `concurrency: 0` in a file are refused alike, before anything is read.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from harness.cli._common import checked, sweep_value, ws
from harness.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path

    from harness.api import Model, Workspace
    from harness.sweep.plan import Plan
    from harness.sweep.spec import SweepSpec

# --model given as a URL: these options describe it (registry models have them in their card).
URL_OPTIONS = {
    "access": "--access",
    "release_date": "--release-date",
    "api_model": "--api-model",
    "id": "--id",
    "organisation": "--organisation",
    "api_key_env": "--api-key-env",
}

# SweepSpec field -> the run/plan option that overrides it (a file's value, or the default).
SWEEP_OPTIONS = {
    "smoke": "--smoke",
    "limit": "--limit",
    "epochs": "--epochs",
    "samples": "--samples",
    "concurrency": "--concurrency",
    "user_simulator": "--user-simulator",
    "shards": "--shards",
    "write_batch": "--write-batch",
    "max_error_rate": "--max-error-rate",
    "budget_usd": "--budget",
}


def is_url(ref: str) -> bool:
    return ref.startswith(("http://", "https://"))


def _url_model(args: argparse.Namespace, url: str) -> Model:
    from harness import api

    required = ("api_model", "access", "release_date")
    missing = [URL_OPTIONS[key] for key in required if not getattr(args, key, None)]
    if missing:
        raise UserError(
            f"--model {url}: a model given by URL needs {', '.join(missing)} "
            "(or add it to the registry: gapbench models add --help)"
        )
    return api.endpoint(
        url,
        args.api_model,
        access=args.access,
        release_date=args.release_date,
        id=args.id,
        organisation=args.organisation or "unknown",
        api_key_env=args.api_key_env,
        names={**URL_OPTIONS, "base_url": "--model", "name": "--api-model"},
    )


def quick_sweep(args: argparse.Namespace, w: Workspace) -> tuple[SweepSpec, Workspace]:
    """The SweepSpec of `run --model ... --suite ...`, and the workspace that knows its models.

    Every problem names the option it came from (exit 2) and is found before planning.
    """
    from harness.sweep.spec import SweepSpec

    models = args.model or []
    if not models or not args.suite:
        raise UserError("a run without a sweep file needs --model and --suite (see --help)")
    urls = [m for m in models if is_url(m)]
    if len(urls) > 1:
        raise UserError(
            "--model: give at most one URL per command (add others with `gapbench models add`)"
        )
    if not urls:
        given = [opt for key, opt in URL_OPTIONS.items() if getattr(args, key, None)]
        if given:
            raise UserError(
                f"{given[0]}: describes a model given by URL; a registry model's card has it"
            )
    refs: list[str] = []
    for ref in models:
        if is_url(ref):
            model = _url_model(args, ref)
            registry = w.registry.with_entries((model.card,), (model.deployment,), id_name="--id")
            w = replace(w, registry=registry)
            refs.append(model.deployment.id)
            continue
        try:
            w.registry.resolve(ref)
        except KeyError as exc:
            raise UserError(f"--model: {exc.args[0]}") from None
        refs.append(ref)
    for name in args.suite:
        try:
            w.suites.get(name)
        except KeyError as exc:
            raise UserError(f"--suite: {exc.args[0]}") from None
    spec = SweepSpec(name=args.name or "quick", models=refs, suites=list(args.suite))
    return spec, w


def _check_user_simulator(args: argparse.Namespace, w: Workspace) -> None:
    ref = getattr(args, "user_simulator", None)
    if ref:
        try:
            w.registry.resolve(ref)
        except KeyError as exc:
            raise UserError(f"--user-simulator: {exc.args[0]}") from None


@dataclass(frozen=True)
class Target:
    """What `run`/`plan` ARGS name, checked: the sweep, what names it in errors, and the
    workspace that knows its models (with a URL model and --timeout applied)."""

    sweep: SweepSpec
    source: Path | None
    ws: Workspace


def check_target(args: argparse.Namespace) -> Target:
    """Every problem with ARGS that needs no planning, found before anything is written (the
    sweep lock included): the sweep file, --model/--suite, and a file's models, suites and
    user simulator by name (one line naming the option, or the file and field; exit 2)."""
    from harness._loading import field_path
    from harness.errors import ConfigError

    sweep_ref = getattr(args, "sweep", None)
    quick = bool(getattr(args, "model", None) or getattr(args, "suite", None))
    if quick and sweep_ref:
        raise UserError(f"give a sweep ({sweep_ref}) or --model/--suite, not both")
    if not quick and not sweep_ref:
        raise UserError("give a sweep file or name, or --model and --suite (see --help)")
    if getattr(args, "name", None) and not quick:
        raise UserError("--name: only for runs without a sweep file (a sweep file has its name)")
    w = ws(args)
    source: Path | None
    if quick:
        target, w = quick_sweep(args, w)
        source = None
    else:  # read and validate the file before the engines are even imported
        from harness.api.workspace import load_sweep_ref

        target, source = load_sweep_ref(str(sweep_ref), w)
        names: list[tuple[str, int | None, str]] = [
            ("models", i, m) for i, m in enumerate(target.models)
        ]
        if target.user_simulator:
            names.append(("user_simulator", None, target.user_simulator))
        for key, i, ref in names:
            try:
                w.registry.resolve(ref)
            except KeyError as exc:
                where = field_path((key, i)) if i is not None else key
                raise ConfigError(source, where, str(exc.args[0])) from None
        for i, name in enumerate(target.suites):
            try:
                w.suites.get(name)
            except KeyError as exc:
                raise ConfigError(source, field_path(("suites", i)), str(exc.args[0])) from None
    _check_user_simulator(args, w)
    if getattr(args, "timeout", None) is not None:
        w = replace(w, registry=w.registry.with_settings(timeout_s=args.timeout))
    return Target(target, source, w)


def make_plan(
    args: argparse.Namespace,
    *,
    dry_run: bool,
    check_endpoints: bool = True,
    target: Target | None = None,
) -> tuple[Plan, Workspace]:
    """The plan of `run`/`plan` ARGS (a sweep file or --model/--suite, options applied).
    check_endpoints False: nothing skipped for a key or endpoint (to price the whole sweep).
    target: ARGS already checked (`check_target`)."""
    from harness import api

    t = target or check_target(args)
    w = t.ws
    plan = api.plan(
        t.sweep,
        source=t.source,
        ws=w,
        smoke=getattr(args, "smoke", None),
        limit=getattr(args, "limit", None),
        epochs=getattr(args, "epochs", None),
        samples=getattr(args, "samples", None),
        concurrency=getattr(args, "concurrency", None),
        user_simulator=getattr(args, "user_simulator", None),
        shards=getattr(args, "shards", None),
        write_batch=getattr(args, "write_batch", None),
        max_error_rate=getattr(args, "max_error_rate", None),
        budget_usd=getattr(args, "budget", None),
        retry_errors=bool(getattr(args, "retry_errors", False)),
        dry_run=dry_run,
        use_cache=not getattr(args, "no_cache", False),
        check_endpoints=check_endpoints,
    )
    return plan, w


def _release_date(raw: str) -> Any:
    from harness._loading import check_value
    from harness.models import ModelCard

    base = {
        "id": "x",
        "name": "x",
        "organisation": "x",
        "access": "open",
        "licence": "x",
        "source": "x",
    }
    return check_value(ModelCard, base, "release_date", raw)


def _timeout(raw: str) -> Any:
    from harness.models.deployments import Deployment

    base = {"id": "x", "model": "x", "provider": "openai", "api_model": "x"}
    from harness._loading import check_value

    return check_value(Deployment, base, "timeout_s", raw)


def _sample_ids(raw: str) -> list[str]:
    ids = [s.strip() for s in raw.split(",") if s.strip()]
    if not ids:
        raise UserError("samples: give sample ids, comma-separated (e.g. 11,15)")
    return ids


class _ExtendIds(argparse.Action):
    """--samples A,B --samples C -> [A, B, C]."""

    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        setattr(namespace, self.dest, [*(getattr(namespace, self.dest, None) or []), *values])


def add_sweep_arguments(sp: argparse.ArgumentParser) -> None:
    """The sweep (positional, or --model/--suite and a URL model's card) and the options that
    override a sweep file's fields, as `run` and `plan` take them."""
    sp.add_argument("sweep", nargs="?", help="sweep YAML path, or a name in sweeps/ (e.g. demo)")
    quick = sp.add_argument_group("without a sweep file")
    quick.add_argument(
        "--model",
        action="append",
        metavar="ID|URL",
        help="model id, alias or deployment id (`gapbench models`), or an OpenAI-compatible "
        "base URL; repeatable",
    )
    quick.add_argument(
        "--suite",
        action="append",
        metavar="NAME",
        help="suite name (`gapbench suites`); repeatable",
    )
    quick.add_argument(
        "--name", type=sweep_value("name"), help="sweep id recorded on every row (default quick)"
    )
    url = sp.add_argument_group("a --model given by URL (not in the registry)")
    url.add_argument(
        "--api-model", metavar="NAME", help="the model name the server knows (required)"
    )
    url.add_argument(
        "--access", choices=["open", "closed"], help="open weights or API-only (required)"
    )
    url.add_argument(
        "--release-date",
        type=checked(_release_date),
        metavar="YYYY-MM-DD",
        help="the model's release date (required)",
    )
    url.add_argument("--id", metavar="SLUG", help="model id to record (default: from --api-model)")
    url.add_argument("--organisation", metavar="ORG", help="who made it (default unknown)")
    url.add_argument("--api-key-env", metavar="VAR", help="environment variable holding its key")
    s = sp.add_argument_group("sweep fields (override the sweep file's; same names and bounds)")
    s.add_argument(
        "--smoke",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="only each suite's smoke subset (--no-smoke: every sample, whatever the file says)",
    )
    s.add_argument(
        "--limit",
        type=sweep_value("limit"),
        metavar="N|A-B",
        help="first N samples per suite, or samples A to B (1-based, inclusive)",
    )
    s.add_argument(
        "--epochs", type=sweep_value("epochs"), metavar="K", help="repeats per sample (1..1000)"
    )
    s.add_argument(
        "--samples",
        type=checked(_sample_ids),
        action=_ExtendIds,
        metavar="ID[,ID...]",
        help="only these sample ids (in suites that have them); repeatable",
    )
    s.add_argument(
        "--concurrency",
        type=sweep_value("concurrency"),
        metavar="N",
        help="cap on parallel samples per deployment (1..1024)",
    )
    s.add_argument(
        "--user-simulator",
        metavar="MODEL",
        help="model or deployment playing the user in tau2 suites (the same for every agent)",
    )
    s.add_argument(
        "--shards",
        type=sweep_value("shards"),
        metavar="N",
        help="worker processes a large run is split over (default: the number of cores)",
    )
    s.add_argument(
        "--write-batch",
        type=sweep_value("write_batch"),
        metavar="N",
        help="finished samples per atomic store write (default 16, or every 2 s)",
    )
    s.add_argument(
        "--max-error-rate",
        type=sweep_value("max_error_rate"),
        metavar="R",
        help="a run with a larger share of errored samples is not complete (0..1)",
    )
    s.add_argument(
        "--budget",
        type=sweep_value("budget_usd"),
        metavar="USD",
        help="stop starting samples past this projected spend (a finite number > 0)",
    )
    s.add_argument(
        "--timeout",
        type=checked(_timeout),
        metavar="SECONDS",
        help="per-call timeout for every deployment in the sweep (overrides timeout_s)",
    )
    sp.add_argument(
        "--retry-errors",
        action="store_true",
        help="run stored errored samples again (the newest attempt wins)",
    )
    sp.add_argument(
        "--no-cache",
        action="store_true",
        help="read no stored answer: samples missing here run through the engine and every "
        "model call goes upstream (new answers are still cached)",
    )
