"""Readable snapshots of a claim's details: rounded numbers in JSON (syrupy), never raw tensors."""

from __future__ import annotations

from typing import Any

import torch
from syrupy.extensions.json import JSONSnapshotExtension


def rounded(value: Any, digits: int = 2) -> Any:
    """Tensors, numbers and containers -> plain JSON-able values with floats rounded."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    if isinstance(value, float):
        return round(value, digits) + 0.0  # + 0.0 turns -0.0 into 0.0
    if isinstance(value, dict):
        return {str(k): rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    return value


class RoundedJSONSnapshot(JSONSnapshotExtension):
    """One readable .json file per snapshot, under __snapshots__/ beside the claim file."""
