"""`gapbench serve`: gapbench's fixed llama.cpp server, started by hand."""

from __future__ import annotations

import argparse
import os

from harness import exitcodes
from harness.cli._common import console, epilog, err_console, ws


def cmd_serve(args: argparse.Namespace) -> int:
    from harness import api
    from harness.offline import offline_env
    from harness.serve.process import start_tied, stop_process

    cmd, alias = api.serve_command(args.model, port=args.port, host=args.host, ws=ws(args))
    if args.print_command:
        console.print(" ".join(cmd), markup=False, highlight=False, soft_wrap=True)
        return exitcodes.OK
    url = f"http://{args.host}:{args.port}/v1"
    console.print(
        f"serving {alias} at {url} (llama-cpp-python with gapbench's max_tokens fix; Ctrl-C stops)\n"
        f"use it: gapbench run --model {url} --api-model {alias} --access open "
        "--release-date YYYY-MM-DD --suite NAME",
        markup=False,
        highlight=False,
    )
    # The server's own watchdog ends it when gapbench is gone (covers what PDEATHSIG cannot).
    env = {**os.environ, **offline_env(), "GAPBENCH_PARENT_PID": str(os.getpid())}
    # Its own session, stopped by us: Ctrl-C and SIGTERM (`kill`, a service manager) end
    # gapbench, which stops the server (its whole process group) before it exits; SIGKILL
    # (`kill -9`, the OOM killer) ends gapbench with no chance to, and the kernel ends the
    # server then. A server never outlives the command that started it.
    proc = start_tied(cmd, env=env)
    try:
        code = proc.wait()
    except KeyboardInterrupt:
        stop_process(proc)
        err_console.print(f"gapbench: stopped the server of {alias}", markup=False)
        return exitcodes.INTERRUPTED
    finally:
        if proc.poll() is None:
            stop_process(proc)
    return code


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser(
        "serve",
        parents=[common],
        help="serve a GGUF model with gapbench's fixed llama.cpp server (for agentic suites)",
        description=(
            "Start llama-cpp-python's OpenAI-compatible server with gapbench's fix: its\n"
            "chatml-function-calling format otherwise ignores max_tokens inside a tool call, so\n"
            "one agentic turn can generate until n_ctx and stall the single-slot server. The\n"
            "same server is what `gapbench run` starts itself for managed llama-cpp\n"
            "deployments; this command is for a server you keep running and give by URL.\n"
            "Equivalent by hand: python -m harness.serve.llama_server --model FILE.gguf \\\n"
            "  --chat_format chatml-function-calling --n_ctx 4096 --port 8080\n"
            "(the flags of python -m llama_cpp.server)."
        ),
        epilog=epilog(
            "gapbench serve smollm2-135m-instruct --port 8080",
            "gapbench serve ~/models/qwen2.5-0.5b-instruct-q4_k_m.gguf --port 8081",
            "gapbench serve smollm2-135m-instruct --print-command",
        ),
    )
    s.add_argument("model", help="model or deployment id with GGUF weights, or a .gguf file")
    s.add_argument("--port", type=int, default=8080, help="default 8080")
    s.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    s.add_argument("--print-command", action="store_true", help="print the server command and exit")
    s.set_defaults(func=cmd_serve)
