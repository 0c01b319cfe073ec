"""A fake OpenAI + Anthropic API server for request-path tests (real HTTP on 127.0.0.1)."""

from tests.fakeapi.policy import Conversation, Policy, Reply, ToolCall, chain_policy, default_policy
from tests.fakeapi.server import FAULT_KINDS, Attempt, FakeAPI, Faults, body_hash

__all__ = [
    "FAULT_KINDS",
    "Attempt",
    "Conversation",
    "FakeAPI",
    "Faults",
    "Policy",
    "Reply",
    "ToolCall",
    "body_hash",
    "chain_policy",
    "default_policy",
]
