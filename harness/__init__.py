"""mi-claims harness: the claim API, model cache, interventions, metrics, toy training, report."""

from harness.claim import claim
from harness.registry import ModelUnavailable

__all__ = ["claim", "ModelUnavailable"]
