"""The request path: one caching, accounting, retrying proxy between the engines and every API.

Both engines (inspect-ai and lm-eval) and both SDKs talk to the Endpoint the proxy gives them,
so caching, retries, concurrency limits, circuit breaking, cost accounting and snapshot
recording happen in one place for all of them, in one asyncio process per gapbench command:

- launch.py   `RequestPath` / `request_path`: start the process, add deployments, feed the Ledger
- app.py      the process itself (aiohttp): routes, cache, attempts, events to the parent
- cache.py    the call cache (answers clients received, replayed in order per key and scope)
- retry.py    the retry policy (the only retries anywhere) and the per-deployment breaker
- limiter.py  the per-deployment AIMD concurrency limit
- ledger.py   CallRecords, totals, breaker states (in the caller's process); usage.py parsing
- hosts.py    where each wire protocol lives upstream; headers.py our own header names
"""

from harness.serve.proxy.headers import (
    ATTEMPTS_HEADER,
    BREAKER_ERROR_TYPE,
    BREAKER_HEADER,
    CACHE_HEADER,
    CACHE_MODE_HEADER,
    CACHE_MODES,
    SCOPE_HEADER,
    CacheMode,
)
from harness.serve.proxy.launch import QUEUE_TIMEOUT_S, RequestPath, request_path
from harness.serve.proxy.ledger import Ledger
from harness.serve.proxy.retry import BreakerPolicy, RetryPolicy

__all__ = [
    "ATTEMPTS_HEADER",
    "BREAKER_ERROR_TYPE",
    "BREAKER_HEADER",
    "CACHE_HEADER",
    "CACHE_MODES",
    "CACHE_MODE_HEADER",
    "QUEUE_TIMEOUT_S",
    "SCOPE_HEADER",
    "BreakerPolicy",
    "CacheMode",
    "Ledger",
    "RequestPath",
    "RetryPolicy",
    "request_path",
]
