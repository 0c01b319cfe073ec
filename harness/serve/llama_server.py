"""Entry point of the managed llama.cpp server: `python -m harness.serve.llama_server ARGS`.

It runs llama-cpp-python's own server (`python -m llama_cpp.server`, same arguments) with
two changes, both made here because this module runs inside the child process:

1. max_tokens is honoured by the chatml-function-calling chat format. Upstream, that handler
   runs its sub-completions (the message after "message:", each tool call's arguments, and
   the "another call?" follow-ups) with max_tokens=None, so once the model starts a tool call
   a turn can generate until n_ctx and keep the single-slot server busy long after the client
   gave up. We wrap the handler: the request's max_tokens becomes a budget shared by all the
   sub-completions of the turn (each gets at most what is left, and at least 1 token so the
   handler's loop always ends). The first sub-completion, which only picks "message:" or a
   function name under a grammar (stop=":"), is bounded by that grammar and left alone.
   Without max_tokens in the request, behaviour is upstream's. The manager also keeps n_ctx
   modest (the deployment's context_length).
2. Weight repacking ("extra buffer types", e.g. the AMX / CPU-repack kernels) is off unless
   `--use_extra_bufts true` is given: on this project's x86 machines (AVX-512 + AMX) the
   repacked Q4 kernels segfault on any batch of more than one token, i.e. on every real
   prompt. llama-cpp-python's server has no flag for it, so this module sets the field in
   llama_model_default_params. The flag is consumed here, not passed on.
3. A watchdog thread exits this process when its parent (gapbench) is gone, covering the cases
   PR_SET_PDEATHSIG cannot (see process.py). The parent's pid comes in GAPBENCH_PARENT_PID.
4. `GET /gapbench/fixes` answers {"max_tokens_budget": true}, so that gapbench can tell this
   server from a stock llama-cpp-python one when a user gives its URL (and warn on the stock
   one for agentic suites). Start it by hand with `gapbench serve MODEL` or
   `python -m harness.serve.llama_server` plus llama-cpp-python's own server flags.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

HANDLER_NAME = "chatml-function-calling"
FIXES_PATH = "/gapbench/fixes"  # beside /v1, on the server root
_PARENT_ENV = "GAPBENCH_PARENT_PID"


class BudgetedLlama:
    """Wraps a `Llama` so that create_completion calls share one max_tokens budget."""

    def __init__(self, llama: Any, budget: int) -> None:
        self._llama = llama
        self.left = budget

    def __getattr__(self, name: str) -> Any:
        return getattr(self._llama, name)

    def create_completion(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("stop") == [":"] and kwargs.get("grammar") is not None:
            # The grammar-bound "message: or functions.<name>:" choice: short by construction.
            return self._llama.create_completion(*args, **kwargs)
        asked = kwargs.get("max_tokens")
        cap = self.left if asked is None or asked <= 0 else min(asked, self.left)
        kwargs["max_tokens"] = max(1, cap)
        out = self._llama.create_completion(*args, **kwargs)
        if isinstance(out, dict):  # streams carry no usage; their call is capped all the same
            used = int(out.get("usage", {}).get("completion_tokens", kwargs["max_tokens"]))
            self.left = max(0, self.left - used)
        return out


def budgeted_handler(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A chat handler that passes a BudgetedLlama to `handler` when max_tokens is given."""

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        max_tokens = kwargs.get("max_tokens")
        if max_tokens is None or max_tokens <= 0:
            return handler(*args, **kwargs)
        if "llama" in kwargs:
            kwargs["llama"] = BudgetedLlama(kwargs["llama"], max_tokens)
        elif args:
            args = (BudgetedLlama(args[0], max_tokens), *args[1:])
        return handler(*args, **kwargs)

    wrapped.__wrapped__ = handler  # type: ignore[attr-defined]
    return wrapped


def patch_chatml_function_calling() -> None:
    from llama_cpp import llama_chat_format

    registry = llama_chat_format.LlamaChatCompletionHandlerRegistry()
    original = registry.get_chat_completion_handler_by_name(HANDLER_NAME)
    if getattr(original, "__wrapped__", None) is None:
        registry.register_chat_completion_handler(
            HANDLER_NAME, budgeted_handler(original), overwrite=True
        )


def take_extra_bufts_flag(argv: list[str]) -> tuple[list[str], bool]:
    """Remove `--use_extra_bufts VALUE` from argv; return (rest, value) (default False)."""
    rest: list[str] = []
    value = False
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--use_extra_bufts" and i + 1 < len(argv):
            value = argv[i + 1].strip().lower() in ("1", "true", "yes", "on")
            i += 2
            continue
        if arg.startswith("--use_extra_bufts="):
            value = arg.split("=", 1)[1].strip().lower() in ("1", "true", "yes", "on")
        else:
            rest.append(arg)
        i += 1
    return rest, value


def set_extra_bufts(enabled: bool) -> None:
    import llama_cpp.llama_cpp as lib  # the module whose default params Llama() reads

    original = lib.llama_model_default_params
    if getattr(original, "_gapbench", False):
        return

    def default_params() -> Any:
        params = original()
        params.use_extra_bufts = enabled
        return params

    default_params._gapbench = True  # type: ignore[attr-defined]
    lib.llama_model_default_params = default_params


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # parent gone: nobody will ever stop us, so stop now
        time.sleep(0.5)


def main_watchdog_only() -> None:
    """Start the parent watchdog (if GAPBENCH_PARENT_PID is set) and return."""
    parent = os.environ.get(_PARENT_ENV)
    if parent and parent.isdigit():
        threading.Thread(target=_watch_parent, args=(int(parent),), daemon=True).start()


def add_fixes_route() -> None:
    """Make every app the server creates answer GET FIXES_PATH (see 4. above)."""
    import llama_cpp.server.app as app_module

    original = app_module.create_app
    if getattr(original, "_gapbench", False):
        return

    def create_app(*args: Any, **kwargs: Any) -> Any:
        app = original(*args, **kwargs)
        app.add_api_route(
            FIXES_PATH,
            lambda: {"max_tokens_budget": True, "handler": HANDLER_NAME},
            methods=["GET"],
        )
        return app

    create_app._gapbench = True  # type: ignore[attr-defined]
    app_module.create_app = create_app


def main() -> None:
    main_watchdog_only()
    sys.argv[1:], extra_bufts = take_extra_bufts_flag(sys.argv[1:])
    set_extra_bufts(extra_bufts)
    patch_chatml_function_calling()
    add_fixes_route()  # before llama_cpp.server.__main__ imports create_app
    from llama_cpp.server.__main__ import main as server_main

    server_main()


if __name__ == "__main__":
    main()
