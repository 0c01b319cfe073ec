"""The request path: a caching, accounting proxy between the engines and every model API."""

from harness.serve.proxy.ledger import Ledger
from harness.serve.proxy.server import CACHE_HEADER, SCOPE_HEADER, request_path

__all__ = ["CACHE_HEADER", "SCOPE_HEADER", "Ledger", "request_path"]
