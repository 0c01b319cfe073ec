"""The request path's own HTTP header names and cache modes (shared by proxy and runners).

Request headers named x-gapbench-* never leave the proxy: they are between the runners and it.
"""

from __future__ import annotations

from typing import Literal

# request: "<sample id>/<epoch>", so that the cache replays per (sample, epoch) (cache.py)
SCOPE_HEADER = "x-gapbench-cache-scope"
# request: a cache mode for this call only (overrides the route's)
CACHE_MODE_HEADER = "x-gapbench-cache-mode"
# response: "hit" when the answer came from the cache
CACHE_HEADER = "x-gapbench-cache"
# response: how many upstream attempts the answer took
ATTEMPTS_HEADER = "x-gapbench-attempts"
# response: "open" when the deployment's circuit breaker refused the call
BREAKER_HEADER = "x-gapbench-breaker"
# the error type in the body of such a refusal (HTTP 424), and so in the sample's error text
BREAKER_ERROR_TYPE = "gapbench_circuit_open"

# normal: replay stored answers, store new ones. bypass-read: never replay (always call
# upstream), still store what clients received (canaries: tonight's answers, not last night's).
CacheMode = Literal["normal", "bypass-read"]
CACHE_MODES: tuple[CacheMode, ...] = ("normal", "bypass-read")
