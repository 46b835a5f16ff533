"""Readable snapshots of a claim's details: rounded numbers in JSON (syrupy), never raw tensors.

A snapshot must survive training on another machine: the same seed and lock give bitwise the
same weights on one machine, but another CPU's kernels (AVX2 against AVX-512) give other rounding,
and trained values drift. So numbers match within ``TOLERANCE``, and a snapshot holds no pick
among near-equal values (see ``fourier.separated_key_frequencies``, ``head_scores.clear_top_head``).
"""

from __future__ import annotations

import json
import math
from typing import Any

from syrupy.extensions.json import JSONSnapshotExtension


# absolute, for the scores and shares that snapshots hold: our own tolerance, about 4x the largest
# drift of a trained value between AVX2 and AVX-512 training runs (0.013, a norm share)
TOLERANCE = 0.05


def close(a: Any, b: Any, tolerance: float = TOLERANCE) -> bool:
    """Same JSON structure, same strings and integers, floats within ``tolerance``."""
    if isinstance(a, float) or isinstance(b, float):
        both_numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
        return both_numbers and math.isclose(a, b, rel_tol=0, abs_tol=tolerance)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], tolerance) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close(x, y, tolerance) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


class RoundedJSONSnapshot(JSONSnapshotExtension):
    """One readable .json file per snapshot, under __snapshots__/ beside the claim file,
    compared with ``close``."""

    def matches(self, *, serialized_data: Any, snapshot_data: Any) -> bool:
        try:
            return close(json.loads(serialized_data), json.loads(snapshot_data))
        except (TypeError, ValueError):  # no snapshot yet, or not JSON
            return serialized_data == snapshot_data
