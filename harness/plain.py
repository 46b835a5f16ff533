"""Plain JSON-able Python from tensors, numpy values and containers: the one converter behind
evidence notes, snapshots and the report."""

from __future__ import annotations

import math
from typing import Any

import torch


def plain(value: Any, digits: int | None = None, *, nonfinite_as_text: bool = False) -> Any:
    """Tensors and numpy values -> lists and numbers, tuples -> lists, dict keys -> ``str``,
    recursively; floats rounded to ``digits`` when given (-0.0 -> 0.0); NaN and infinities ->
    "nan", "inf", "-inf" when ``nonfinite_as_text`` (JSON has no numbers for them); anything
    else that is not JSON (a Path, a dataclass) -> its ``str``, so that xdist can ship it."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().tolist()
    elif hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    if isinstance(value, dict):
        return {str(k): plain(v, digits, nonfinite_as_text=nonfinite_as_text) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v, digits, nonfinite_as_text=nonfinite_as_text) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value) if nonfinite_as_text else value
    if isinstance(value, float) and digits is not None:
        return round(value, digits) + 0.0
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)
