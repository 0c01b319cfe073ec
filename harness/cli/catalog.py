"""`gapbench models [add]` and `gapbench suites`: what can be run, and adding a model."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from harness.cli._common import Parser, checked, console, epilog, ws
from harness.errors import GapbenchError, UserError
from harness.models import Registry, load_registry


def cmd_models(args: argparse.Namespace) -> int:
    w = ws(args)
    reg = w.registry
    layered = len(reg.layers) > 1
    title = " over ".join(str(p) for p in reg.layers) if layered else str(reg.path)
    table = Table(title=f"models ({title})")
    cols = ["id", "aliases", "organisation", "access", "released", "params", "deployments"]
    for col in cols + (["from"] if layered else []):
        table.add_column(col)
    shipped = {c.id for c in load_registry(reg.layers[-1]).cards} if layered else set()
    for card in reg.cards:
        deps = ", ".join(d.id.split("@", 1)[-1] for d in reg.deployments_of(card.id))
        params = f"{card.parameters / 1e9:.3g}B" if card.parameters else "?"
        row = [
            card.id,
            ", ".join(card.aliases),
            card.organisation,
            card.access,
            str(card.release_date),
            params,
            deps,
        ]
        if layered:
            row.append(_origin_label(reg, card.id, shipped))
        table.add_row(*(escape(x) for x in row))
    console.print(table)
    return 0


def _origin_label(reg: Registry, model_id: str, shipped: set[str]) -> str:
    """'shipped', or the personal file (marked when its card replaces a shipped one)."""
    origin = reg.origin(model_id)
    if origin == reg.layers[-1]:
        return "shipped"
    return f"{origin.name} (replaces shipped)" if model_id in shipped else origin.name


# `models add` option -> card/deployment field, so that an error names the option.
_CARD_OPTIONS = {
    "id": "ID",
    "name": "--name",
    "organisation": "--organisation",
    "access": "--access",
    "release_date": "--release-date",
    "parameters": "--parameters",
    "licence": "--licence",
    "source": "--source",
}
_DEPLOYMENT_OPTIONS = {
    "provider": "--provider",
    "base_url": "--base-url",
    "api_model": "--api-model",
    "api_key_env": "--api-key-env",
    "tool_call_format": "--tool-call-format",
    "context_length": "--context-length",
    "max_connections": "--max-connections",
    "weights": "--gguf",
}


def cmd_models_add(args: argparse.Namespace) -> int:
    from harness import api
    from harness.api.models import model_from_fields

    card_fields: dict[str, Any] = {
        "id": args.id,
        "name": args.name or args.id,
        "organisation": args.organisation,
        "access": args.access,
        "release_date": args.release_date,
        "licence": args.licence,
        "source": args.source or args.base_url or "unknown",
    }
    if args.parameters is not None:
        card_fields["parameters"] = args.parameters
    dep_fields: dict[str, Any] | None = None
    if args.base_url or args.provider or args.gguf or args.api_model:
        provider = args.provider or (
            "llama-cpp" if args.gguf else "openai-compatible" if args.base_url else None
        )
        if provider is None:
            raise UserError("--provider: required without --base-url or --gguf")
        dep_fields = {
            "id": args.deployment_id or f"{args.id}@{provider}",
            "provider": provider,
            "base_url": args.base_url,
            "api_model": args.api_model,
            "api_key_env": args.api_key_env,
            "tool_call_format": args.tool_call_format
            or ("chatml-function-calling" if args.gguf else "native"),
            "context_length": args.context_length,
            # llama-cpp-python serves one request at a time
            "max_connections": args.max_connections or (1 if args.gguf else None),
            "weights": {"path": str(Path(args.gguf).expanduser().resolve())} if args.gguf else None,
        }
        dep_fields = {k: v for k, v in dep_fields.items() if v is not None}
    card, dep = model_from_fields(
        card_fields, dep_fields, {**_CARD_OPTIONS, **_DEPLOYMENT_OPTIONS, "model": "ID"}
    )
    w = ws(args)
    path = api.add_model(card, dep, registry=args.registry, ws=w)
    console.print(
        f"added {card.id}" + (f" and deployment {dep.id}" if dep else "") + f" to {path}",
        markup=False,
        highlight=False,
    )
    if args.registry and str(path) != str(w.settings.registry_path):
        console.print(
            f"use it with: GAPBENCH_REGISTRY={path} gapbench run --model {card.id} --suite ...",
            markup=False,
            highlight=False,
        )
    return 0


def cmd_suites(args: argparse.Namespace) -> int:
    from harness.runners import get_runner

    w = ws(args)
    table = Table(title=f"suites ({w.suites.tasks_dir})")
    for col in ("name", "kind", "engine", "size", "version", "smoke", "source"):
        table.add_column(col)
    for s in w.suites.suites:
        size = s.size
        if size is None:
            try:
                size = len(get_runner(s.engine).sample_ids(s))
            except GapbenchError:
                size = None
        table.add_row(
            s.name,
            s.kind,
            s.engine,
            "?" if size is None else str(size),
            s.version,
            str(len(s.smoke)),
            s.source,
        )
    console.print(table)
    return 0


def _card_value(field: str) -> Any:
    from harness._loading import check_value
    from harness.models import ModelCard

    base = {
        "id": "x",
        "name": "x",
        "organisation": "x",
        "access": "open",
        "release_date": "2024-01-01",
        "licence": "x",
        "source": "x",
    }

    def check(raw: str) -> Any:
        return check_value(ModelCard, base, field, raw)

    return checked(check)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    m = sub.add_parser(
        "models",
        parents=[common],
        help="list model cards and their deployments; `models add` adds one",
        description="Model cards (what a model is) and deployments (how it is reached), from "
        "the registry: $GAPBENCH_REGISTRY, or the repository's models.yaml.",
        epilog=epilog(
            "gapbench models",
            "GAPBENCH_REGISTRY=~/my-models.yaml gapbench models",
            "gapbench models add my-llama --access open --release-date 2025-04-05 \\",
            "    --base-url http://127.0.0.1:8080/v1 --api-model llama --registry ~/my-models.yaml",
        ),
    )
    m.set_defaults(func=cmd_models)
    msub = m.add_subparsers(dest="models_command", parser_class=Parser, metavar="{add}")
    a = msub.add_parser(
        "add",
        parents=[common],
        help="add a model card (and a deployment) to a registry file, validated",
        description="Append a card, and a deployment when --base-url/--gguf/--provider is "
        "given, to the registry file. Everything is validated against the whole registry "
        "before the file is replaced (atomically); its comments are kept.",
        epilog=epilog(
            "gapbench models add my-llama --access open --release-date 2025-04-05 \\",
            "    --base-url http://127.0.0.1:8080/v1 --api-model llama",
            "gapbench models add tiny --access open --release-date 2024-10-31 --gguf ~/tiny.gguf",
            "gapbench models add some-api-model --access closed --release-date 2025-09-01 \\",
            "    --provider openai-compatible --base-url https://api.example.com/v1 \\",
            "    --api-model some-model --api-key-env EXAMPLE_API_KEY",
            notes="Then: gapbench run --model ID --suite NAME. Keys are never written: a "
            "deployment names the environment variable holding one (--api-key-env).",
        ),
    )
    a.add_argument("id", type=_card_value("id"), help="model id (lowercase slug, e.g. my-llama)")
    card = a.add_argument_group("the card: what the model is")
    card.add_argument("--access", required=True, choices=["open", "closed"])
    card.add_argument(
        "--release-date", required=True, type=_card_value("release_date"), metavar="YYYY-MM-DD"
    )
    card.add_argument("--name", help="display name (default: the id)")
    card.add_argument("--organisation", default="unknown", metavar="ORG")
    card.add_argument("--licence", default="unknown")
    card.add_argument("--source", metavar="URL", help="where these facts come from")
    card.add_argument("--parameters", type=_card_value("parameters"), metavar="N")
    dep = a.add_argument_group("the deployment: how it is reached (optional)")
    dep.add_argument("--base-url", metavar="URL", help="OpenAI-compatible server, e.g. .../v1")
    dep.add_argument(
        "--gguf", metavar="PATH", help="local GGUF weights (a managed llama.cpp server)"
    )
    dep.add_argument(
        "--provider",
        choices=["openai-compatible", "openai", "anthropic", "llama-cpp", "vllm"],
        help="default openai-compatible with --base-url, llama-cpp with --gguf",
    )
    dep.add_argument("--api-model", metavar="NAME", help="model name sent to the server")
    dep.add_argument("--api-key-env", metavar="VAR", help="environment variable holding the key")
    dep.add_argument(
        "--tool-call-format",
        choices=["native", "chatml-function-calling", "none", "unknown"],
    )
    dep.add_argument("--context-length", type=int, metavar="N")
    dep.add_argument("--max-connections", type=int, metavar="N")
    dep.add_argument("--deployment-id", metavar="ID", help="default ID@PROVIDER")
    a.add_argument(
        "--registry",
        metavar="PATH",
        help="registry file to write (default $GAPBENCH_REGISTRY or the repository's models.yaml)",
    )
    a.set_defaults(func=cmd_models_add)
    sub.add_parser(
        "suites",
        parents=[common],
        help="list suites with kind, size, version and source",
        epilog=epilog("gapbench suites", "GAPBENCH_TASKS_DIR=./my-tasks gapbench suites"),
    ).set_defaults(func=cmd_suites)
