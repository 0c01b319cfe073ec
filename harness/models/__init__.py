"""Model cards (what a model IS) and deployments (how it is reached), kept apart."""

from harness.models.cards import ModelCard
from harness.models.deployments import Deployment, Pricing
from harness.models.registry import SHIPPED_REGISTRY, Registry, load_registry, open_registry

__all__ = [
    "SHIPPED_REGISTRY",
    "Deployment",
    "ModelCard",
    "Pricing",
    "Registry",
    "load_registry",
    "open_registry",
]
